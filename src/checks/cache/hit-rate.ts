// cache.hit_rate: a cache-aside read path over a Zipf key distribution from a cold cache; hit rate over time, hit vs miss latency.
import { Recorder } from '../../exec/recorder.js';
import type { Rate, SeriesEntry } from '../../metrics/registry.js';
import { redactText } from '../../util/redact.js';
import { createRng } from '../../workload/prng.js';
import type { Check, CheckContext } from '../types.js';
import { checkKeys, drive, firstError, hitRateDurationMs, openConnections } from './common.js';
import { makeLoader } from './loader.js';
import { createZipf, expectedHitRate, meanReadLatency } from './zipf.js';

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

function report(ctx: CheckContext, hitRate: Rate, expected: number, reads: number): void {
  const hitMs = ctx.metrics.trend('cache_hit_duration').summary();
  const missMs = ctx.metrics.trend('cache_miss_duration').summary();
  ctx.info('hit_rate', { measured: round(hitRate.value), expected: round(expected), reads, hits: hitRate.hits });
  if (hitMs.count > 0 && missMs.count > 0) {
    // What the hit rate is worth: the mean read latency this read path would have at other hit rates.
    ctx.info('mean_read_ms_at_hit_rate', Object.fromEntries([0.5, 0.8, 0.9, 0.95, 0.99].map((h) => [String(h), round(meanReadLatency(h, hitMs.mean, missMs.mean))])));
  }
  ctx.rate('hit_rate', 'cache_hit_rate', hitRate.value);
  const { key_space: n, zipf_skew: s } = ctx.config.cache;
  if (hitRate.value < expected - 0.05) {
    ctx.finding({
      severity: 'warn', title: `hit rate ${pct(hitRate.value)} is below the ${pct(expected)} this workload allows`,
      detail: `${reads} reads over ${n} keys (Zipf s=${s}) from a cold cache should hit ${pct(expected)} if no key is lost; keys are being evicted or expire early.`,
      recommendation: 'Look at cache.server: evicted_keys and maxmemory. Raise maxmemory or use an allkeys-lru/lfu policy so hot keys stay.',
      data: { measured: hitRate.value, expected },
    });
  } else if (hitRate.value < ctx.config.thresholds.cache_hit_rate) {
    ctx.finding({
      severity: 'info', title: `hit rate ${pct(hitRate.value)} is limited by the workload: ${n} keys with Zipf s=${s} over ${reads} reads`,
      detail: 'Every first read of a key misses; the configured key space is too wide (or the skew too low) for this many reads to reach the threshold.',
      recommendation: 'Lower config.cache.key_space, raise config.cache.zipf_skew or config.cache.hit_rate_duration_s to model your real access pattern.',
    });
  }
}

const round = (v: number) => Math.round(v * 10_000) / 10_000;
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export const cacheHitRateCheck: Check = {
  id: 'cache.hit_rate',
  category: 'cache',
  title: 'Cache hit rate: cache-aside over a Zipf key distribution',
  needs: ['redis'],
  writes: true,
  thresholds: (config) => ({
    cache_hit_rate: [`rate>${config.thresholds.cache_hit_rate}`],
    cache_hit_duration: [`p(95)<${config.thresholds.cache_latency_ms}`],
    cache_read_errors: [`rate<${config.cache.max_error_rate}`],
  }),
  async run(ctx) {
    const cfg = ctx.config.cache;
    const zipf = createZipf(cfg.key_space, cfg.zipf_skew);
    const loader = await makeLoader(ctx, cfg.concurrency);
    const prefix = checkKeys(ctx, 'aside');
    const clients = await openConnections(ctx, Math.min(cfg.concurrency, cfg.connections));
    ctx.info('workload', { keys: cfg.key_space, zipf_skew: cfg.zipf_skew, ttl_s: cfg.ttl_s, concurrency: cfg.concurrency, miss_source: loader.source, ...(loader.source === 'fixed' ? { miss_cost_ms: cfg.miss_cost_ms } : {}) });

    const recorder = new Recorder({ registry: ctx.metrics, name: 'cache_read', elapsed: ctx.elapsed });
    const hitRate = ctx.metrics.rate('cache_hit_rate');
    const hit = ctx.metrics.trend('cache_hit_duration');
    const miss = ctx.metrics.trend('cache_miss_duration');
    const load = ctx.metrics.trend('cache_load_duration');
    const series = hitRateSeries(ctx, ctx.metrics.timeSeries('cache_hit_rate', {}, 'ratio'));
    const rngs = Array.from({ length: cfg.concurrency }, (_, vu) => createRng(ctx.config.workload.seed, 600, vu));
    ctx.progress(`cache-aside reads over ${cfg.key_space} keys`);
    try {
      await drive(ctx, {
        recorder, vus: cfg.concurrency, durationMs: hitRateDurationMs(ctx),
        fn: async (vu) => {
          const client = clients[vu % clients.length]!;
          const rank = zipf.sample(rngs[vu]!.next());
          const key = `${prefix}${rank}`;
          const t0 = performance.now();
          if ((await client.get(key)) !== null) {
            hit.record(performance.now() - t0);
            hitRate.add(true);
            series.add(true);
            return;
          }
          const l0 = performance.now();
          const value = await loader.load(rank);
          load.record(performance.now() - l0);
          await client.set(key, value, 'EX', cfg.ttl_s);
          miss.record(performance.now() - t0);
          hitRate.add(false);
          series.add(false);
        },
      });
    } finally {
      series.stop();
    }
    const err = firstError(recorder);
    if (err !== undefined) {
      ctx.finding({ severity: 'error', title: `cache-aside reads failed: ${redactText(err)}`, detail: `${recorder.errors.hits} of ${recorder.errors.total} reads failed.`, data: { errors: recorder.errors.hits } });
    }
    report(ctx, hitRate, expectedHitRate(zipf, hitRate.total), hitRate.total);
  },
};
