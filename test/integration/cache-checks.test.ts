// The cache checks against the local Redis: figures recorded, hit rate vs the Zipf expectation, keys cleaned up, others untouched.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheConcurrencyCheck, cacheHitRateCheck, cacheLatencyCheck, cacheServerCheck } from '../../src/checks/cache/index.js';
import { createZipf, expectedHitRate } from '../../src/checks/cache/zipf.js';
import type { CheckResult, RateMetric, TrendMetric } from '../../src/result/model.js';
import type { RedisTarget } from '../../src/targets/redis/target.js';
import { keysMatching, openTestTarget, rawClient, runCacheCheck } from '../helpers/redis.js';

let target: RedisTarget;
let raw: Redis;
const foreign = `sp-foreign-${randomBytes(4).toString('hex')}`;
/** Keys that are not ours: another app's, and another stackprobe run's; both must survive. */
const planted = [`${foreign}:app`, `stackprobe:other-run-${foreign}:k`];

beforeAll(async () => {
  target = await openTestTarget();
  raw = rawClient();
  for (const k of planted) await raw.set(k, 'keep', 'EX', 600);
});
afterAll(async () => {
  await target?.close();
  if (raw) {
    await raw.del(...planted);
    await raw.quit();
  }
});

const trend = (r: CheckResult, name: string, tags: Record<string, string> = {}) =>
  r.metrics.find((m): m is TrendMetric => m.type === 'trend' && m.name === name && Object.entries(tags).every(([k, v]) => m.tags[k] === v))!;
const rateOf = (r: CheckResult, name: string) => r.metrics.find((m): m is RateMetric => m.type === 'rate' && m.name === name)!;
const ours = () => keysMatching(raw, `${target.keyPrefix}*`);

describe('cache checks', () => {
  it('cache.latency measures GET, SET, MGET and pipeline with percentiles and throughput', async () => {
    const r = await runCacheCheck(cacheLatencyCheck, target, { cache: { duration_s: 0.5, key_space: 500 }, thresholds: { cache_latency_ms: 1000 } });
    expect(r.status, r.reason).toBe('pass');
    for (const op of ['get', 'set', 'mget', 'pipeline']) {
      const t = trend(r, 'cache_op_duration', { op });
      expect(t.summary.count).toBeGreaterThan(100);
      expect(t.summary.percentiles.p50).toBeGreaterThan(0);
      expect(t.summary.percentiles.p99).toBeGreaterThanOrEqual(t.summary.percentiles.p50!);
    }
    // One latency and one error-share threshold per operation, and the timeouts.
    expect(r.thresholds.map((t) => t.metric).sort()).toEqual([
      ...['get', 'mget', 'pipeline', 'set'].flatMap((op) => [`cache_op_duration{op:${op}}`, `cache_op_errors{op:${op}}`]), 'cache_op_timeouts', 'cache_connections_lost',
    ].sort());
    expect(trend(r, 'cache_op_duration', { op: 'get' }).meaning).toBe('latency');
    expect(r.metrics.find((m) => m.headline)).toMatchObject({ name: 'cache_op_duration', tags: { op: 'get' } });
    expect(await ours()).toEqual([]); // the check removed its keys when it ended
  });

  it('cache.hit_rate passes a healthy cache: measured matches the rate expected for the reads made, server rate beside it', async () => {
    const cache = { key_space: 20_000, zipf_skew: 0.9, hit_rate_duration_s: 2, miss_cost_ms: 0.5, concurrency: 4 };
    // A threshold the workload cannot reach: a warning about the workload, never a failure of the cache.
    const r = await runCacheCheck(cacheHitRateCheck, target, { cache, thresholds: { cache_hit_rate: 0.9, cache_latency_ms: 1000 } });
    const info = r.info.hit_rate as { measured: number; expected: number; noise: number; reads: number; server?: { rate: number } };
    console.log(`hit rate (healthy): measured ${info.measured} vs expected ${info.expected} ± ${info.noise} over ${info.reads} reads; server ${info.server?.rate}`);
    const hits = rateOf(r, 'cache_hit_rate');
    expect(info.expected).toBeCloseTo(expectedHitRate(createZipf(cache.key_space, cache.zipf_skew), hits.total), 3);
    expect(hits.total).toBeGreaterThan(1000);
    expect(Math.abs(hits.value - info.expected)).toBeLessThan(0.03);
    expect(r.thresholds.find((t) => t.metric === 'cache_hit_rate_shortfall')).toMatchObject({ ok: true, actual: 0 });
    expect(r.thresholds.find((t) => t.metric === 'cache_hit_rate_expected')).toMatchObject({ ok: false, level: 'warn' });
    expect(r.status, r.reason).toBe('warn');
    expect(r.findings.find((f) => f.subject === 'workload')!.title).toMatch(/configured reads are too few for a 90.0% hit rate/);
    // The server's own rate over the same reads (the shared Redis may add other clients' lookups).
    expect(info.server!.rate).toBeGreaterThan(0);
    expect(trend(r, 'cache_miss_duration').summary.percentiles.p50).toBeGreaterThan(trend(r, 'cache_hit_duration').summary.percentiles.p50!);
    // Each read is one latency sample; hits, misses and loads are durations the summary never adds.
    const latency = r.metrics.filter((m) => m.meaning === 'latency');
    expect(latency.map((m) => m.name)).toEqual(['cache_read_duration']);
    expect(trend(r, 'cache_read_duration').summary.count).toBe(hits.total);
    expect(r.metrics.find((m) => m.headline)?.name).toBe('cache_hit_rate');
    // The warm-up shows: the last second hits more often than the first.
    const series = r.timeSeries.find((s) => s.name === 'cache_hit_rate')!;
    expect(series.points.length).toBeGreaterThanOrEqual(2);
    expect(series.points.at(-1)![1]).toBeGreaterThan(series.points[0]![1]);
    expect(r.ratings.find((x) => x.kind === 'hit_rate')).toBeDefined();
    expect(await ours()).toEqual([]);
  });

  it('cache.hit_rate in quick mode reads 2 to 4 s: past 2 s it ends once its reads are enough to show the threshold, never before', async () => {
    type Window = { seconds: number; min_s: number; max_s: number; enough_reads: number | null };
    const r = await runCacheCheck(cacheHitRateCheck, target, { cache: { miss_cost_ms: 0.5 } });
    const w = r.info.reads_window as Window;
    const reads = (r.info.hit_rate as { reads: number }).reads;
    expect(w).toMatchObject({ min_s: 2, max_s: 4, enough_reads: expect.any(Number) });
    expect(w.seconds).toBeGreaterThanOrEqual(2);
    expect(w.seconds).toBeLessThan(4 + 2.5); // the last reads in flight end within a command timeout
    if (w.seconds < 3.9) expect(reads).toBeGreaterThanOrEqual(w.enough_reads!);
    // A threshold no number of reads can reach: the workload runs its longest.
    const unreachable = await runCacheCheck(cacheHitRateCheck, target, { cache: { miss_cost_ms: 0.5 }, thresholds: { cache_hit_rate: '100%' } });
    const u = unreachable.info.reads_window as Window;
    expect(u.enough_reads).toBeNull();
    expect(u.seconds).toBeGreaterThanOrEqual(4);
    expect(await ours()).toEqual([]);
  });

  it('cache.concurrency records a curve over the configured levels', async () => {
    const r = await runCacheCheck(cacheConcurrencyCheck, target, { cache: { step_duration_s: 0.4, concurrency_levels: [1, 8, 32] } });
    expect(r.status, r.reason).toBe('pass');
    const curve = r.info.curve as Array<{ concurrency: number; ops_per_s: number; connections: number; in_flight_per_connection: string; errors: number }>;
    expect(curve.map((p) => p.concurrency)).toEqual([1, 8, 32]);
    expect(curve.every((p) => p.ops_per_s > 0 && p.errors === 0)).toBe(true);
    // What carried each level, as a like-for-like comparison (redis-benchmark -c C -P D) needs: cache.connections is 4.
    expect(curve.map((p) => [p.connections, p.in_flight_per_connection])).toEqual([[1, '1'], [4, '2'], [4, '8']]);
    expect(r.info.connections).toMatch(/^4 connections carried up to 32 in flight \(8 per connection; cache.connections 4\)/);
    // Both operations were measured at every level, each into its own figures.
    for (const level of ['1', '8', '32']) {
      for (const op of ['get', 'set']) expect(r.metrics.find((m) => m.name === 'cache_concurrency_duration' && m.tags.concurrency === level && m.tags.op === op && m.type === 'trend' && m.summary.count > 0), `${level} ${op}`).toBeDefined();
    }
    expect(await ours()).toEqual([]);
  });

  it('cache.server reads INFO, the slowlog by command name and a TTL sample', async () => {
    const r = await runCacheCheck(cacheServerCheck, target, { cache: { server: { window_s: 0.5 } } });
    expect(['pass', 'warn']).toContain(r.status);
    expect(r.info.server).toMatchObject({ role: 'master' });
    expect(Array.isArray(r.info.slowlog) || typeof r.info.slowlog === 'string').toBe(true);
    expect(r.metrics.some((m) => m.name === 'keys_sampled')).toBe(true);
    expect(r.thresholds).toMatchObject([{ metric: 'cache_server_problems', level: 'warn' }]);
  });

  it('leaves no keys under the prefix after close, and keys outside it untouched', async () => {
    const t2 = await openTestTarget();
    await runCacheCheck(cacheLatencyCheck, t2, { cache: { duration_s: 0.2, key_space: 100 } });
    await t2.client.set(`${t2.keyPrefix}left-over`, 'x', 'EX', 60);
    await t2.close();
    expect(await keysMatching(raw, `${t2.keyPrefix}*`)).toEqual([]);
    for (const k of planted) expect(await raw.get(k)).toBe('keep');
  });

  it('stops on Ctrl-C mid-workload and removes its keys', async () => {
    const ac = new AbortController();
    const t0 = performance.now();
    setTimeout(() => ac.abort(), 400);
    const r = await runCacheCheck(cacheHitRateCheck, target, { cache: { hit_rate_duration_s: 30 } }, ac.signal);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(r.status).toBe('skip');
    expect(await ours()).toEqual([]);
  });
});
