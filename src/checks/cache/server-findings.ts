// Judges the server's own figures (INFO, a SCAN sample of TTLs) into problems, each a finding with a recommendation.
import type { CacheConfig } from '../../config/sections/cache.js';
import type { Finding } from '../../result/model.js';

export interface ServerFacts {
  info: Record<string, string>;
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
  const evicted = num(info, 'evicted_keys');
  if (evicted > 0) {
    out.push({ problem: 'evictions', finding: {
      severity: 'warn', title: `${evicted} keys evicted since the counters were reset`,
      detail: `maxmemory ${mb(maxmemory)}, policy ${policy}: keys were dropped to make room, which lowers the hit rate.`,
      recommendation: 'Raise maxmemory, shorten TTLs of rarely read keys, or store smaller values; check the hit rate with cache.hit_rate.',
      data: { evicted_keys: evicted },
    } });
  }
  return out;
}

export function serverProblems(facts: ServerFacts, cfg: CacheConfig, hitRateThreshold: number): Problem[] {
  const out = memoryProblems(facts.info, cfg);
  const hr = serverHitRate(facts.info);
  if (hr && hr.lookups >= cfg.min_lookups && hr.rate < hitRateThreshold) {
    out.push({ problem: 'low_hit_rate', finding: {
      severity: 'warn', title: `the server's hit rate is ${pct(hr.rate)} (below ${pct(hitRateThreshold)})`,
      detail: `keyspace_hits / (hits + misses) over ${hr.lookups} lookups since the counters were reset (CONFIG RESETSTAT or restart); it includes every client of this Redis.`,
      recommendation: 'Find the keys that miss (a key naming pattern read before it is written, TTLs shorter than the reuse interval), and check evictions.',
      data: { hit_rate: hr.rate, lookups: hr.lookups },
    } });
  }
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
