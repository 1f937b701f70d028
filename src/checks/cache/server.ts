// cache.server: the server's own view, read-only: INFO, SLOWLOG by command name, a SCAN sample of TTLs, and findings.
import type { Redis } from 'ioredis';
import { parseInfo, parseKeyspaceEntry } from '../../targets/redis/info.js';
import { describeError } from '../../util/errors.js';
import type { Check, CheckContext } from '../types.js';
import { redisOf } from './common.js';
import { serverHitRate, serverProblems } from './server-findings.js';
import { CACHE_SERVER_PROBLEMS, KEYS_SAMPLED, KEYS_WITHOUT_TTL_SHARE, REDIS_CONNECTED_CLIENTS, REDIS_EVICTED_KEYS, REDIS_EXPIRED_KEYS, REDIS_FRAGMENTATION_RATIO, REDIS_MAXMEMORY_MB, REDIS_SERVER_HIT_RATE, REDIS_USED_MEMORY_MB } from './metrics.js';
import type { GaugeDecl } from '../../metrics/declare.js';

export interface SlowlogSummary {
  command: string;
  count: number;
  total_ms: number;
  max_ms: number;
}

/** SLOWLOG entries grouped by command name; arguments (key names, values) are dropped on the spot. */
export function summariseSlowlog(entries: unknown[]): SlowlogSummary[] {
  const by = new Map<string, SlowlogSummary>();
  for (const e of entries) {
    if (!Array.isArray(e)) continue;
    const micros = Number(e[2]) || 0;
    const args: unknown = e[3];
    const command = Array.isArray(args) && typeof args[0] === 'string' ? args[0].toUpperCase() : 'UNKNOWN';
    const s = by.get(command) ?? { command, count: 0, total_ms: 0, max_ms: 0 };
    s.count++;
    s.total_ms += micros / 1000;
    s.max_ms = Math.max(s.max_ms, micros / 1000);
    by.set(command, s);
  }
  return [...by.values()].sort((a, b) => b.total_ms - a.total_ms);
}

/** Up to `max` keys from SCAN within `ms`, and how many of them have no TTL (PTTL -1). Reads only. */
export async function sampleTtls(client: Redis, max: number, ms: number, signal: AbortSignal): Promise<{ sampled: number; withoutTtl: number }> {
  const deadline = performance.now() + ms;
  let cursor = '0';
  let sampled = 0;
  let withoutTtl = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'COUNT', 100);
    cursor = next;
    const batch = keys.slice(0, max - sampled);
    if (batch.length) {
      const pipe = client.pipeline();
      for (const k of batch) pipe.pttl(k);
      for (const [err, ttl] of (await pipe.exec()) ?? []) {
        if (err || ttl === -2) continue; // gone between SCAN and PTTL
        sampled++;
        if (ttl === -1) withoutTtl++;
      }
    }
  } while (cursor !== '0' && sampled < max && performance.now() < deadline && !signal.aborted);
  return { sampled, withoutTtl };
}

function recordGauges(ctx: CheckContext, info: Record<string, string>): void {
  const g = (decl: GaugeDecl, value: number | undefined) => {
    if (value !== undefined && Number.isFinite(value)) ctx.metrics.gauge(decl).set(value);
  };
  const n = (k: string) => (info[k] === undefined ? undefined : Number(info[k]));
  const toMb = (v: number | undefined) => (v === undefined ? undefined : v / 1024 / 1024);
  g(REDIS_USED_MEMORY_MB, toMb(n('used_memory')));
  g(REDIS_MAXMEMORY_MB, toMb(n('maxmemory')));
  g(REDIS_FRAGMENTATION_RATIO, n('mem_fragmentation_ratio'));
  g(REDIS_CONNECTED_CLIENTS, n('connected_clients'));
  g(REDIS_EVICTED_KEYS, n('evicted_keys'));
  g(REDIS_EXPIRED_KEYS, n('expired_keys'));
  g(REDIS_SERVER_HIT_RATE, serverHitRate(info)?.rate);
}

function infoFacts(info: Record<string, string>): Record<string, unknown> {
  const keyspace = Object.fromEntries(Object.entries(info).filter(([k]) => /^db\d+$/.test(k)).map(([k, v]) => [k, parseKeyspaceEntry(v)]));
  return {
    version: info.redis_version, mode: info.redis_mode, role: info.role, uptime_s: Number(info.uptime_in_seconds),
    connected_clients: Number(info.connected_clients), used_memory_human: info.used_memory_human, maxmemory: Number(info.maxmemory ?? 0),
    maxmemory_policy: info.maxmemory_policy, mem_fragmentation_ratio: Number(info.mem_fragmentation_ratio),
    keyspace_hits: Number(info.keyspace_hits), keyspace_misses: Number(info.keyspace_misses),
    evicted_keys: Number(info.evicted_keys), expired_keys: Number(info.expired_keys),
    persistence: { rdb_changes_since_last_save: Number(info.rdb_changes_since_last_save), rdb_last_bgsave_status: info.rdb_last_bgsave_status, aof_enabled: info.aof_enabled === '1' },
    keyspace,
  };
}

export const cacheServerCheck: Check = {
  id: 'cache.server',
  category: 'cache',
  title: 'Redis server: memory, evictions, hit rate, slowlog',
  needs: ['redis'],
  metrics: [CACHE_SERVER_PROBLEMS, KEYS_SAMPLED, KEYS_WITHOUT_TTL_SHARE, REDIS_USED_MEMORY_MB, REDIS_MAXMEMORY_MB, REDIS_FRAGMENTATION_RATIO, REDIS_CONNECTED_CLIENTS, REDIS_EVICTED_KEYS, REDIS_EXPIRED_KEYS, REDIS_SERVER_HIT_RATE],
  thresholds: () => ({ cache_server_problems: [{ warn: 'count==0' }] }),
  async run(ctx) {
    const cfg = ctx.config.cache;
    const m = ctx.metrics;
    m.headline('cache_server_problems');
    const client = redisOf(ctx).client;
    const info = parseInfo(await client.info('everything').catch(() => client.info()));
    ctx.info('server', infoFacts(info));
    recordGauges(ctx, info);
    try {
      ctx.info('slowlog', summariseSlowlog((await client.call('SLOWLOG', 'GET', '128')) as unknown[]));
    } catch (err) {
      // Managed services often rename or forbid SLOWLOG: that is a fact to show, not a failure.
      ctx.info('slowlog', `unavailable: ${describeError(err)}`);
    }
    ctx.progress('sampling key TTLs with SCAN');
    const sample = await sampleTtls(client, cfg.scan_sample_keys, cfg.scan_time_ms, ctx.signal);
    ctx.metrics.gauge(KEYS_SAMPLED).set(sample.sampled);
    if (sample.sampled > 0) ctx.metrics.gauge(KEYS_WITHOUT_TTL_SHARE).set(sample.withoutTtl / sample.sampled);

    // Recorded even when zero, so the threshold has a value to pass on (an unrecorded metric fails its threshold).
    ctx.metrics.counter(CACHE_SERVER_PROBLEMS);
    for (const p of serverProblems({ info, ...sample }, cfg, ctx.config.thresholds.cache_hit_rate)) {
      ctx.metrics.counter(CACHE_SERVER_PROBLEMS, { problem: p.problem }).add();
      ctx.finding({ ...p.finding, subject: p.problem });
    }
    const hr = serverHitRate(info);
    if (hr) ctx.rate('hit_rate', 'redis_server_hit_rate', hr.rate);
  },
};
