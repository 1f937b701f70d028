// cache.stampede: a hot key expiring under concurrent readers of stackprobe's own cache-aside path (cache.hit_rate's
// loader), with no protection, a lock and early refresh: the database loads each expiry causes, and their peak.
import { STAMPEDE_PROTECTIONS, type StampedeProtection } from '../../config/sections/cache.js';
import { describeError } from '../../util/errors.js';
import { redactText } from '../../util/redact.js';
import type { Check, CheckContext } from '../types.js';
import { checkKeys, openConnections } from './common.js';
import { metric } from '../../metrics/declare.js';
import { unit } from '../../metrics/unit.js';
import { makeLoader } from './loader.js';
import { CACHE_CONNECTIONS_LOST } from './metrics.js';
import { runExpiry, type ExpiryOutcome } from './stampede-path.js';
import { stampedeFindings, type ProtectionResult } from './stampede-findings.js';

export const STAMPEDE_METRICS = {
  loadsPerExpiry: metric.gauge({ name: 'cache_stampede_loads_per_expiry', unit: unit.count(), meaning: 'count', better: 'lower', description: 'database loads one expiry of the hot key caused, the most over the expiries measured (1: protected; the number of readers: a stampede)' }),
  peakLoads: metric.gauge({ name: 'cache_stampede_peak_loads', unit: unit.count(), meaning: 'count', better: 'lower', description: 'most database loads running at once during an expiry' }),
  loads: metric.counter({ name: 'cache_stampede_loads', unit: unit.count(), meaning: 'count', better: 'lower', description: 'database loads over every expiry measured' }),
  incomplete: metric.counter({ name: 'cache_stampede_incomplete_expiries', unit: unit.count(), meaning: 'defects', better: 'lower', description: 'expiries after which not every reader had the new value within the round\'s deadline' }),
  loadDuration: metric.trend({ name: 'cache_stampede_load_duration', unit: unit.ms, meaning: 'duration', better: 'lower', description: 'one database load during an expiry (the database under the stampede\'s load)' }),
  waitDuration: metric.trend({ name: 'cache_stampede_wait_duration', unit: unit.ms, meaning: 'duration', better: 'lower', description: 'a reader that missed: from its miss until it had a value (its own load, or the lock holder\'s)' }),
} as const;

function readersOf(ctx: CheckContext): number {
  return ctx.config.cache.stampede.readers ?? ctx.config.cache.concurrency;
}

/**
 * The hot key's TTL and early refresh's lead: configured, or by mode. Quick mode's are shorter because the time before
 * the expiry measures nothing. The readers start in the same tick as the round's SET returns and read without pause, so
 * they are all reading within a millisecond (a few on a loaded host); everything a round counts happens at the expiry:
 * which readers miss before the first reload is written back, and how many loads that makes. The TTL only has to outlast
 * the readers' start, and 120 ms does by two orders of magnitude; a host stall longer than that would make the first
 * reads miss together, which is the same expiry. Early refresh needs its lead to cover one reader's look (GET and PTTL)
 * and one load, so that the reload lands before the TTL ends and nobody misses: loads take 1-10 ms at p50, and the
 * slowest seen was 80 ms on a host at 99.6 % CPU, under 100. Loads per expiry (the verdict) and their peak therefore mean
 * the same at 120/100 ms as at 300/150; a round waits 120 ms (20 ms for early refresh) instead of 300 (150), 2.5 s less
 * over the 15 rounds. Full mode keeps 300/150 (a longer lead for a slower server's loads).
 */
export function stampedeTimes(ctx: CheckContext): { ttlMs: number; refreshAheadMs: number } {
  const s = ctx.config.cache.stampede;
  const full = ctx.mode === 'full';
  return { ttlMs: s.ttl_ms ?? (full ? 300 : 120), refreshAheadMs: s.refresh_ahead_ms ?? (full ? 150 : 100) };
}

/** The deadline of one round: the TTL to run out, a lock to expire twice over, and a slow command on either side. */
function roundDeadlineMs(ctx: CheckContext, ttlMs: number): number {
  return ttlMs + 3 * ctx.config.cache.stampede.lock_ms + 2 * ctx.config.cache.command_timeout_ms;
}

export const cacheStampedeCheck: Check = {
  id: 'cache.stampede',
  category: 'cache',
  title: 'Cache stampede: a hot key expiring under concurrent readers',
  needs: ['redis'],
  typicalQuickMs: 1700,
  // Its connections are opened by the cache checks' common helper, which counts those the server or network closes.
  metrics: [...Object.values(STAMPEDE_METRICS), CACHE_CONNECTIONS_LOST],
  // Loads come from the workload schema when PostgreSQL is there, else from a fixed cost (as cache.hit_rate's misses).
  uses: ['pg'],
  writes: true,
  thresholds: (config) => ({
    // A protected path loads once per expiry; more means the lock expired before the load ended (lock_ms too short).
    ...Object.fromEntries(config.cache.stampede.protection.filter((p) => p !== 'none').map((p) => [`cache_stampede_loads_per_expiry{protection:${p}}`, ['value<=1']])),
    cache_stampede_incomplete_expiries: ['count==0'],
  }),
  async run(ctx) {
    const cfg = ctx.config.cache;
    const s = cfg.stampede;
    const m = ctx.metrics;
    const readers = readersOf(ctx);
    const { ttlMs, refreshAheadMs } = stampedeTimes(ctx);
    const loader = await makeLoader(ctx, readers);
    const prefix = checkKeys(ctx, 'stampede');
    const conns = await openConnections(ctx, Math.min(readers, cfg.connections));
    m.counter(STAMPEDE_METRICS.incomplete);
    const protections = STAMPEDE_PROTECTIONS.filter((p) => s.protection.includes(p));
    m.headline(STAMPEDE_METRICS.loadsPerExpiry.name, { protection: protections[0]! });
    ctx.info('path', {
      what: 'stackprobe\'s own cache-aside read of one hot key, not the application\'s code', load_source: loader.source,
      ...(loader.source === 'fixed' ? { load_cost_ms: cfg.miss_cost_ms } : {}), readers, connections: conns.length, expiries: s.expiries,
      ttl_ms: ttlMs, lock_ms: s.lock_ms, refresh_ahead_ms: refreshAheadMs,
    });
    let gen = 0;
    const results: ProtectionResult[] = [];
    for (const protection of protections) {
      if (ctx.signal.aborted) break;
      const tags = { protection };
      const outcomes: ExpiryOutcome[] = [];
      ctx.progress(`expiring a hot key under ${readers} readers: ${protection}`);
      try {
        for (let i = 0; i < s.expiries && !ctx.signal.aborted; i++) {
          const o = await runExpiry(conns, readers, gen + 1, {
            protection, key: `${prefix}hot:${protection}`, lockKey: `${prefix}hot:${protection}:lock`, ttlMs, reloadTtlS: cfg.ttl_s,
            lockMs: s.lock_ms, refreshAheadMs, load: () => loader.load(0), signal: ctx.signal,
          }, roundDeadlineMs(ctx, ttlMs));
          gen = o.generation + 1;
          outcomes.push(o);
          for (const ms of o.loadMs) m.trend(STAMPEDE_METRICS.loadDuration, tags).record(ms);
          for (const ms of o.waitMs) m.trend(STAMPEDE_METRICS.waitDuration, tags).record(ms);
          m.counter(STAMPEDE_METRICS.loads, tags).add(o.loads);
          if (!o.complete && !ctx.signal.aborted) m.counter(STAMPEDE_METRICS.incomplete, tags).add();
        }
      } catch (err) {
        ctx.finding({ severity: 'error', subject: protection, title: `the ${protection} path failed: ${redactText(describeError(err))}`, detail: `after ${outcomes.length} of ${s.expiries} expiries` });
      }
      if (outcomes.length === 0) continue;
      const result = summarise(protection, outcomes, m.trend(STAMPEDE_METRICS.loadDuration, tags).percentile(50));
      m.gauge(STAMPEDE_METRICS.loadsPerExpiry, tags).set(result.maxLoads);
      m.gauge(STAMPEDE_METRICS.peakLoads, tags).set(result.peak);
      results.push(result);
    }
    ctx.info('expiries', results);
    for (const f of stampedeFindings(results, readers, loader.source)) ctx.finding(f);
  },
};

function summarise(protection: StampedeProtection, outcomes: ExpiryOutcome[], loadP50: number): ProtectionResult {
  const loads = outcomes.map((o) => o.loads);
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    protection, expiries: outcomes.length, loads_per_expiry: loads, maxLoads: Math.max(...loads), meanLoads: round(loads.reduce((a, b) => a + b, 0) / loads.length),
    peak: Math.max(...outcomes.map((o) => o.peak)), load_p50_ms: round(loadP50),
    readers_waited: outcomes.reduce((n, o) => n + o.waitMs.length, 0), incomplete: outcomes.filter((o) => !o.complete).length,
  };
}
