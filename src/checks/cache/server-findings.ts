// Judges the server's own figures (INFO, the window between two INFO samples, a SCAN sample of TTLs) into problems, each a finding with a recommendation.
import type { CacheConfig } from '../../config/sections/cache.js';
import type { Finding } from '../../result/model.js';
import type { WindowDelta } from './server-window.js';

export interface ServerFacts {
  /** INFO at the end of the window. */
  info: Record<string, string>;
  window: WindowDelta;
  /** Keys sampled with SCAN, and how many of them have no TTL. */
  sampled: number;
  withoutTtl: number;
}

export interface Problem {
  /** Tag of `cache_server_problems{problem:…}`. */
  problem: string;
  finding: Finding;
}

const num = (info: Record<string, string>, key: string): number => Number(info[key] ?? 0) || 0;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** keyspace_hits / (hits + misses), or undefined before any lookup. */
export function serverHitRate(info: Record<string, string>): { rate: number; lookups: number } | undefined {
  const hits = num(info, 'keyspace_hits');
  const lookups = hits + num(info, 'keyspace_misses');
  return lookups > 0 ? { rate: hits / lookups, lookups } : undefined;
}

function memoryProblems(info: Record<string, string>, cfg: CacheConfig): Problem[] {
  const out: Problem[] = [];
  const maxmemory = num(info, 'maxmemory');
  const policy = info.maxmemory_policy ?? 'unknown';
  if (maxmemory === 0) {
    out.push({ problem: 'no_maxmemory', finding: {
      severity: 'warn', title: 'no maxmemory set: the cache can grow until the host runs out of memory',
      detail: `used_memory is ${mb(num(info, 'used_memory'))} with no limit (maxmemory 0, policy ${policy}).`,
      recommendation: 'Set maxmemory (e.g. 75% of the memory Redis may use) and maxmemory-policy allkeys-lru or allkeys-lfu for a cache.',
    } });
  } else if (policy === 'noeviction') {
    out.push({ problem: 'noeviction', finding: {
      severity: 'warn', title: 'maxmemory-policy is noeviction: at the limit, writes fail instead of old keys making room',
      detail: `maxmemory ${mb(maxmemory)}, used ${mb(num(info, 'used_memory'))}.`,
      recommendation: 'For a cache use allkeys-lru or allkeys-lfu (volatile-* if the same Redis also holds data that must not be evicted).',
    } });
  }
  const frag = num(info, 'mem_fragmentation_ratio');
  if (frag > cfg.max_fragmentation_ratio && num(info, 'used_memory') >= cfg.fragmentation_min_mb * 1024 * 1024) {
    out.push({ problem: 'fragmentation', finding: {
      severity: 'warn', title: `memory fragmentation ratio ${frag.toFixed(2)} (above ${cfg.max_fragmentation_ratio})`,
      detail: `used_memory_rss ${mb(num(info, 'used_memory_rss'))} for used_memory ${mb(num(info, 'used_memory'))}.`,
      recommendation: 'Enable activedefrag (jemalloc builds), or restart the instance in a maintenance window.',
    } });
  }
  return out;
}

/** What happened in the window: evictions, the hit rate of its lookups, slow and refused commands. */
function windowProblems(w: WindowDelta, info: Record<string, string>, cfg: CacheConfig, hitRateThreshold: number): Problem[] {
  if (w.reset) return [];
  const out: Problem[] = [];
  const over = `over the ${w.seconds.toFixed(1)} s window`;
  if (w.evicted > 0) {
    out.push({ problem: 'evictions', finding: {
      severity: 'warn', title: `${w.evicted} keys evicted ${over} (${(w.evicted / w.seconds).toFixed(1)}/s)`,
      detail: `maxmemory ${mb(num(info, 'maxmemory'))}, used ${mb(num(info, 'used_memory'))}, policy ${info.maxmemory_policy ?? 'unknown'}: keys are dropped to make room while the application runs, which lowers its hit rate.`,
      recommendation: 'Raise maxmemory, shorten TTLs of rarely read keys, or store smaller values (cache.keyspace shows which key families hold the memory); check the hit rate with cache.hit_rate.',
      data: { evicted_keys: w.evicted, seconds: w.seconds },
    } });
  }
  const lookups = w.hits + w.misses;
  if (w.hitRate !== undefined && lookups >= cfg.min_lookups && w.hitRate < hitRateThreshold) {
    out.push({ problem: 'low_hit_rate', finding: {
      severity: 'warn', title: `the server's hit rate ${over} is ${pct(w.hitRate)} (below ${pct(hitRateThreshold)})`,
      detail: `keyspace_hits / (hits + misses) of the ${lookups} lookups made ${over}, by every client of this Redis.`,
      recommendation: 'Find the keys that miss (a key naming pattern read before it is written, TTLs shorter than the reuse interval), and check evictions.',
      data: { hit_rate: w.hitRate, lookups },
    } });
  }
  const slowMs = cfg.server.slow_command_ms;
  for (const c of w.byCommand.filter((x) => x.calls > 0 && x.ms_per_call >= slowMs)) {
    out.push({ problem: 'slow_command', finding: {
      severity: 'warn', subject: c.command,
      title: `${c.command.toUpperCase()} took ${c.ms_per_call.toFixed(2)} ms per call ${over} (${c.calls} calls, at or above ${slowMs} ms)`,
      detail: `Redis runs one command at a time: every other client waited while it ran (${pct(c.busy_share)} of the window).${c.p99_ms_at_most === undefined ? '' : ` p99 at most ${c.p99_ms_at_most} ms (LATENCY HISTOGRAM).`}`,
      recommendation: 'Replace whole-collection commands with bounded ones (KEYS -> SCAN, HGETALL/SMEMBERS/LRANGE 0 -1 -> HSCAN/SSCAN/ranges, DEL of a big key -> UNLINK), and keep Lua scripts short; SLOWLOG GET shows the calls.',
      data: { calls: c.calls, ms_per_call: c.ms_per_call, busy_share: c.busy_share },
    } });
  }
  const rejected = w.byCommand.filter((x) => x.rejected > 0);
  if (rejected.length > 0) {
    out.push({ problem: 'rejected_commands', finding: {
      severity: 'warn', title: `${rejected.reduce((n, c) => n + c.rejected, 0)} commands refused by the server ${over}: ${rejected.map((c) => `${c.command.toUpperCase()} ${c.rejected}`).join(', ')}`,
      detail: 'Rejected calls were refused before running: OOM (maxmemory reached with noeviction), NOPERM (ACL), a wrong number of arguments, a replica refusing writes, or a paused server.',
      recommendation: 'Read the errors the application receives for these commands; for OOM, raise maxmemory or use an evicting maxmemory-policy.',
      data: Object.fromEntries(rejected.map((c) => [c.command, c.rejected])),
    } });
  }
  return out;
}

export function serverProblems(facts: ServerFacts, cfg: CacheConfig, hitRateThreshold: number): Problem[] {
  const out = [...memoryProblems(facts.info, cfg), ...windowProblems(facts.window, facts.info, cfg, hitRateThreshold)];
  if (facts.sampled > 0 && facts.withoutTtl / facts.sampled > cfg.max_no_ttl_share) {
    out.push({ problem: 'keys_without_ttl', finding: {
      severity: 'warn', title: `${pct(facts.withoutTtl / facts.sampled)} of ${facts.sampled} sampled keys have no TTL`,
      detail: 'Keys without a TTL stay until evicted or deleted; with volatile-* policies they can never be evicted.',
      recommendation: 'Give cache entries a TTL (SET … EX); keep data that must persist in a separate Redis or database.',
      data: { sampled: facts.sampled, without_ttl: facts.withoutTtl },
    } });
  }
  return out;
}
