// How long the cache checks measure by default, per mode, and that a value the config sets always runs as set.
import { describe, expect, it } from 'vitest';
import { latencyDurationMs, latencySettleRule, settleSignal, stepDurationMs } from '../../src/checks/cache/common.js';
import { stampedeTimes } from '../../src/checks/cache/stampede.js';
import { PRIVATE_WINDOW_MS, windowMs } from '../../src/checks/cache/server.js';
import type { CheckContext } from '../../src/checks/types.js';
import { validateConfig } from '../../src/config/load.js';
import { Recorder } from '../../src/exec/recorder.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { CACHE_OP } from '../../src/checks/cache/metrics.js';

const ctxOf = (raw: Record<string, unknown>) => {
  const config = validateConfig(raw);
  return { config, mode: config.mode } as unknown as CheckContext;
};
const halfWidth = (n: number, q: number) => (1.96 * Math.sqrt(n * q * (1 - q))) / n;

describe('cache.latency windows', () => {
  it('end on a count of successes from a floor, in quick and full mode, with the default settings only', () => {
    const quick = latencySettleRule(ctxOf({ mode: 'quick' }))!;
    const full = latencySettleRule(ctxOf({ mode: 'full' }))!;
    expect(quick).toEqual({ samples: 2000, minMs: 500 });
    expect(full).toEqual({ samples: 10_000, minMs: 2000 });
    expect(halfWidth(quick.samples, 0.95)).toBeLessThan(0.01);
    expect(halfWidth(full.samples, 0.99)).toBeLessThan(0.002);
    // The whole window is the ceiling.
    expect(latencyDurationMs(ctxOf({ mode: 'quick' }))).toBe(1000);
    expect(latencyDurationMs(ctxOf({ mode: 'full' }))).toBe(10_000);
    // A duration, an arrival rate or thresholds of the config's own: the whole window, as configured.
    expect(latencySettleRule(ctxOf({ mode: 'quick', cache: { duration_s: 1 } }))).toBeUndefined();
    expect(latencySettleRule(ctxOf({ mode: 'full', cache: { arrival_rate: 5000 } }))).toBeUndefined();
    expect(latencySettleRule(ctxOf({ mode: 'quick', checks: { 'cache.latency': { thresholds: { cache_op_duration: ['p(99.9)<10'] } } } }))).toBeUndefined();
  });

  it('fires on the count alone, once the floor has passed', async () => {
    const recorder = new Recorder({ registry: new MetricRegistry(), metrics: CACHE_OP, tags: { op: 'get' }, elapsed: () => 0 });
    const t0 = performance.now();
    const watch = settleSignal(recorder, { samples: 3, minMs: 30 });
    for (let i = 0; i < 3; i++) recorder.ok(100 * (i + 1));
    await new Promise<void>((resolve) => watch.signal!.addEventListener('abort', () => resolve(), { once: true }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
    watch.stop();
    expect(settleSignal(recorder, undefined).signal).toBeUndefined();
  });
});

describe('cache.stampede times', () => {
  it('use a short TTL and lead in quick mode, the long ones in full, and what the config sets in either', () => {
    expect(stampedeTimes(ctxOf({ mode: 'quick' }))).toEqual({ ttlMs: 120, refreshAheadMs: 100 });
    expect(stampedeTimes(ctxOf({ mode: 'full' }))).toEqual({ ttlMs: 300, refreshAheadMs: 150 });
    expect(stampedeTimes(ctxOf({ mode: 'quick', cache: { stampede: { ttl_ms: 300, refresh_ahead_ms: 150 } } }))).toEqual({ ttlMs: 300, refreshAheadMs: 150 });
    expect(stampedeTimes(ctxOf({ mode: 'full', cache: { stampede: { ttl_ms: 50 } } }))).toEqual({ ttlMs: 50, refreshAheadMs: 150 });
  });
});

describe('cache.server window', () => {
  const withRedis = (raw: Record<string, unknown>, isPrivate: boolean) =>
    ({ ...ctxOf(raw), targets: { redis: { facts: { private: isPrivate } } } }) as unknown as CheckContext;
  it('is a tenth of a second on stackprobe\'s private server, by mode elsewhere, and as configured always', () => {
    expect(windowMs(withRedis({ mode: 'quick' }, true))).toBe(PRIVATE_WINDOW_MS);
    expect(windowMs(withRedis({ mode: 'full' }, true))).toBe(PRIVATE_WINDOW_MS);
    expect(windowMs(withRedis({ mode: 'quick' }, false))).toBe(1000);
    expect(windowMs(withRedis({ mode: 'full' }, false))).toBe(10_000);
    expect(windowMs(withRedis({ mode: 'full', cache: { server: { window_s: 3 } } }, true))).toBe(3000);
  });
});

describe('cache.concurrency steps', () => {
  it('last 0.5 s per level in quick mode and 2 s in full, or as configured', () => {
    expect(stepDurationMs(ctxOf({ mode: 'quick' }))).toBe(500);
    expect(stepDurationMs(ctxOf({ mode: 'full' }))).toBe(2000);
    expect(stepDurationMs(ctxOf({ mode: 'full', cache: { step_duration_s: 5 } }))).toBe(5000);
  });
});
