// cache.hit_rate: a cache-aside read path over a Zipf key distribution from a cold cache; hit rate over time, hit vs miss latency.
import { Recorder } from '../../exec/recorder.js';
import type { Rate, SeriesEntry } from '../../metrics/registry.js';
import { describeError } from '../../util/errors.js';
import { redactText } from '../../util/redact.js';
import { createRng } from '../../workload/prng.js';
import type { Check, CheckContext } from '../types.js';
import { withTimeout } from '../../exec/timeout.js';
import { parseInfo } from '../../targets/redis/info.js';
import { getHit, setEx } from '../../targets/redis/wire/commands.js';
import { checkKeys, drive, firstError, hitRateSpanMs, openConnections, pingBeside, redisOf } from './common.js';
import { makeLoader } from './loader.js';
import { createZipf, expectedHitRate, hitRateTolerance, meanReadLatency, readsForHitRate, type Zipf } from './zipf.js';
import { CACHE_CONNECTIONS_LOST, CACHE_HIT_DURATION, CACHE_HIT_RATE, CACHE_HIT_RATE_EXPECTED, CACHE_HIT_RATE_SERIES, CACHE_HIT_RATE_SHORTFALL, CACHE_LOAD_DURATION, CACHE_MISS_DURATION, CACHE_READ, CACHE_SERVER_HIT_RATE, pingControl } from './metrics.js';
import { hitRateHeadline } from './headline.js';

/** Appends the hit rate of each second to a series, so the warm-up is visible. */
function hitRateSeries(ctx: CheckContext, series: SeriesEntry): { add(hit: boolean): void; stop(): void } {
  let hits = 0;
  let total = 0;
  let since = ctx.elapsed();
  const flush = () => {
    const now = ctx.elapsed();
    if (total > 0) series.points.push([Math.round(now * 1000) / 1000, hits / total]);
    hits = 0;
    total = 0;
    since = now;
  };
  const timer = setInterval(flush, 1000);
  timer.unref();
  return {
    add(hit) {
      total++;
      if (hit) hits++;
    },
    stop() {
      clearInterval(timer);
      // A last sliver of a second holds a handful of reads: its ratio would be noise, not the curve.
      if (ctx.elapsed() - since >= 0.5) flush();
    },
  };
}

/** The hit rate judged against what the key distribution predicts for exactly the reads made. */
function report(ctx: CheckContext, hitRate: Rate, zipf: Zipf, server: ServerDelta | undefined): void {
  const cfg = ctx.config.cache;
  const reads = hitRate.total;
  const expected = expectedHitRate(zipf, reads);
  const tolerance = hitRateTolerance(zipf, reads, cfg.concurrency);
  const shortfall = Math.max(0, expected - hitRate.value - tolerance);
  const hitMs = ctx.metrics.trend(CACHE_HIT_DURATION).summary();
  const missMs = ctx.metrics.trend(CACHE_MISS_DURATION).summary();
  // No completed read, no judgement: the thresholds then fail on the missing figures instead of passing on zeros.
  if (reads > 0) {
    ctx.metrics.gauge(CACHE_HIT_RATE_EXPECTED).set(expected);
    ctx.metrics.gauge(CACHE_HIT_RATE_SHORTFALL).set(shortfall);
  }
  if (server) ctx.metrics.gauge(CACHE_SERVER_HIT_RATE).set(server.rate);
  ctx.info('hit_rate', {
    measured: round(hitRate.value), expected: round(expected), noise: round(tolerance), shortfall_beyond_noise: round(shortfall), reads, hits: hitRate.hits,
    ...(server ? { server: { rate: round(server.rate), hits: server.hits, misses: server.misses, note: 'keyspace_hits/misses delta over the workload; includes any other client of this Redis' } } : {}),
  });
  if (hitMs.count > 0 && missMs.count > 0) {
    // What the hit rate is worth: the mean read latency this read path would have at other hit rates.
    ctx.info('mean_read_ms_at_hit_rate', Object.fromEntries([0.5, 0.8, 0.9, 0.95, 0.99].map((h) => [String(h), round(meanReadLatency(h, hitMs.mean, missMs.mean))])));
  }
  ctx.rate('hit_rate', 'cache_hit_rate', hitRate.value);
  const { key_space: n, zipf_skew: s } = cfg;
  // A shortfall of a few hundredths of a point is model error, not a finding; half the allowed one is worth a word.
  if (shortfall > cfg.max_hit_rate_shortfall / 2) {
    ctx.finding({
      severity: shortfall > cfg.max_hit_rate_shortfall ? 'error' : 'warn', subject: 'shortfall',
      title: `hit rate ${pct(hitRate.value)} is below the ${pct(expected)} these ${reads} reads allow (noise ±${pct(tolerance)})`,
      detail: `${reads} reads over ${n} keys (Zipf s=${s}) from a cold cache hit ${pct(expected)} when no key is lost before it is read again; ${pct(expected - hitRate.value)} are missing, ${pct(shortfall)} beyond what chance and concurrent first reads explain. Keys are being evicted or expire before they are reused.${server ? ` The server counted ${pct(server.rate)} over the same time.` : ''}`,
      recommendation: 'Look at cache.server: evicted_keys, maxmemory and maxmemory-policy; raise maxmemory or use allkeys-lru/lfu so hot keys stay, and make TTLs longer than the time between reads of a key.',
      data: { measured: hitRate.value, expected, tolerance, shortfall },
    });
  }
  const threshold = ctx.config.thresholds.cache_hit_rate;
  if (reads > 0 && expected < threshold) {
    const needed = readsForHitRate(zipf, threshold);
    ctx.finding({
      severity: 'warn', subject: 'workload',
      title: `the configured reads are too few for a ${pct(threshold)} hit rate: ${reads} reads over ${n} keys (Zipf s=${s}) can reach only ${pct(expected)}`,
      detail: 'Every first read of a key misses, so a short run over a wide key space cannot reach thresholds.cache_hit_rate however good the cache is; the measured rate is judged against the expected one instead.',
      recommendation: `${needed ? `About ${needed} reads would be needed: raise config.cache.hit_rate_duration_s, ` : 'Raise config.cache.hit_rate_duration_s, '}or model your real access pattern with config.cache.key_space and config.cache.zipf_skew.`,
      data: { expected, reads, needed: needed ?? null },
    });
  }
}

interface ServerDelta {
  rate: number;
  hits: number;
  misses: number;
}

async function keyspaceCounts(ctx: CheckContext): Promise<{ hits: number; misses: number } | undefined> {
  let info: Record<string, string>;
  try {
    info = parseInfo(await withTimeout(redisOf(ctx).client.info('stats'), redisOf(ctx).timeouts.commandMs + 500, 'INFO stats'));
  } catch (err) {
    // Managed services may forbid INFO: the server's rate is then missing from the report, and said so.
    ctx.info('server_hit_rate', `unavailable: ${describeError(err)}`);
    return undefined;
  }
  const hits = Number(info.keyspace_hits);
  const misses = Number(info.keyspace_misses);
  return Number.isFinite(hits) && Number.isFinite(misses) ? { hits, misses } : undefined;
}

function delta(before: { hits: number; misses: number }, after: { hits: number; misses: number }): ServerDelta | undefined {
  const hits = after.hits - before.hits;
  const misses = after.misses - before.misses;
  // A CONFIG RESETSTAT during the run makes the delta meaningless.
  return hits >= 0 && misses >= 0 && hits + misses > 0 ? { rate: hits / (hits + misses), hits, misses } : undefined;
}

const round = (v: number) => Math.round(v * 10_000) / 10_000;
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export const cacheHitRateCheck: Check = {
  id: 'cache.hit_rate',
  category: 'cache',
  typicalQuickMs: 2200,
  headline: hitRateHeadline,
  title: 'Cache hit rate: cache-aside over a Zipf key distribution',
  needs: ['redis'],
  metrics: [...CACHE_READ.all, CACHE_HIT_DURATION, CACHE_MISS_DURATION, CACHE_LOAD_DURATION, CACHE_HIT_RATE, CACHE_HIT_RATE_EXPECTED, CACHE_HIT_RATE_SHORTFALL, CACHE_SERVER_HIT_RATE, pingControl(CACHE_READ.duration), CACHE_CONNECTIONS_LOST],
  // Misses are loaded from the workload schema when PostgreSQL is there, else from a synthetic loader.
  uses: ['pg'],
  writes: true,
  // The verdict is the shortfall against what the key distribution predicts for the reads made; the absolute
  // thresholds.cache_hit_rate judges the configured workload (a warning that it cannot reach it), not the cache.
  thresholds: (config) => ({
    cache_hit_rate_shortfall: [`value<=${config.cache.max_hit_rate_shortfall}`],
    cache_hit_rate_expected: [{ warn: `value>=${config.thresholds.cache_hit_rate}` }],
    cache_hit_duration: [`p(95)<${config.thresholds.cache_latency_ms}`],
    cache_read_errors: [`rate<${config.cache.max_error_rate}`],
    cache_read_timeouts: [`count<=${config.cache.max_timeouts}`],
    cache_connections_lost: ['count==0'],
  }),
  async run(ctx) {
    const cfg = ctx.config.cache;
    // The cold-start misses are fixed by the key space; the reads depend on how fast the run went: compare judges the shortfall.
    ctx.metrics.headline('cache_hit_rate');
    const zipf = createZipf(cfg.key_space, cfg.zipf_skew);
    const loader = await makeLoader(ctx, cfg.concurrency);
    const prefix = checkKeys(ctx, 'aside');
    const clients = await openConnections(ctx, Math.min(cfg.concurrency, cfg.connections));
    ctx.info('workload', { keys: cfg.key_space, zipf_skew: cfg.zipf_skew, ttl_s: cfg.ttl_s, concurrency: cfg.concurrency, miss_source: loader.source, ...(loader.source === 'fixed' ? { miss_cost_ms: cfg.miss_cost_ms } : {}) });

    const recorder = new Recorder({ registry: ctx.metrics, metrics: CACHE_READ, elapsed: ctx.elapsed, outcomeCounters: true });
    const hitRate = ctx.metrics.rate(CACHE_HIT_RATE);
    const hit = ctx.metrics.trend(CACHE_HIT_DURATION);
    const miss = ctx.metrics.trend(CACHE_MISS_DURATION);
    const load = ctx.metrics.trend(CACHE_LOAD_DURATION);
    const series = hitRateSeries(ctx, ctx.metrics.timeSeries(CACHE_HIT_RATE_SERIES));
    const rngs = Array.from({ length: cfg.concurrency }, (_, vu) => createRng(ctx.config.workload.seed, 600, vu));
    ctx.progress(`cache-aside reads over ${cfg.key_space} keys`);
    const before = await keyspaceCounts(ctx);
    const pings = pingBeside(ctx, clients, {}, CACHE_READ.duration);
    // Enough reads: twice those a cache that loses nothing needs to reach the threshold from cold, so the expected rate
    // stands clear of it; the workload ends at the first of maxMs and (past minMs) enough reads.
    const span = hitRateSpanMs(ctx);
    const enough = 2 * (readsForHitRate(zipf, ctx.config.thresholds.cache_hit_rate) ?? Number.POSITIVE_INFINITY);
    const ended = new AbortController();
    const earliestEnd = performance.now() + span.minMs;
    const started = performance.now();
    try {
      await drive(ctx, {
        recorder, vus: cfg.concurrency, durationMs: span.maxMs, signal: AbortSignal.any([ctx.signal, ended.signal]),
        fn: async (vu) => {
          if (hitRate.total >= enough && performance.now() >= earliestEnd) ended.abort();
          const client = clients[vu % clients.length]!;
          const rank = zipf.sample(rngs[vu]!.next());
          const key = `${prefix}${rank}`;
          const t0 = performance.now();
          if ((await getHit(client, key)) !== null) {
            hit.record(performance.now() - t0);
            hitRate.add(true);
            series.add(true);
            return;
          }
          const l0 = performance.now();
          const value = await loader.load(rank);
          load.record(performance.now() - l0);
          await setEx(client, key, value, cfg.ttl_s);
          miss.record(performance.now() - t0);
          hitRate.add(false);
          series.add(false);
        },
      });
    } finally {
      series.stop();
      ctx.info('client_share_hit', pings.stop(hit));
    }
    ctx.info('reads_window', { seconds: Math.round(performance.now() - started) / 1000, min_s: span.minMs / 1000, max_s: span.maxMs / 1000, enough_reads: Number.isFinite(enough) ? enough : null });
    const err = firstError(recorder);
    if (err !== undefined) {
      ctx.finding({ severity: 'error', title: `cache-aside reads failed: ${redactText(err)}`, detail: `${recorder.errors.hits} of ${recorder.errors.total} reads failed.`, data: { errors: recorder.errors.hits } });
    }
    const after = await keyspaceCounts(ctx);
    const server = before && after ? delta(before, after) : undefined;
    report(ctx, hitRate, zipf, server);
  },
};
