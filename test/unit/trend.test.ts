// The statistics are tested against distributions whose percentiles are known exactly.
import { describe, expect, it } from 'vitest';
import { Trend } from '../../src/metrics/trend.js';
import { mergeMetricLists, mergeTrends, serializeMetrics } from '../../src/metrics/serialize.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import type { TrendMetric } from '../../src/result/model.js';
import { decls } from '../helpers/decl.js';

/** Deterministic PRNG so the test's samples are the same every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('Trend', () => {
  it('gives exact percentiles of a uniform 1..10000 ms distribution within HDR precision (0.1 %)', () => {
    const t = new Trend();
    for (let v = 1; v <= 10_000; v++) t.record(v);
    const s = t.summary();
    expect(s.count).toBe(10_000);
    expect(s.min).toBe(1);
    expect(Math.abs(s.max - 10_000) / 10_000).toBeLessThan(0.001);
    expect(s.mean).toBeCloseTo(5000.5, -1);
    for (const [p, expected] of [[50, 5000], [90, 9000], [95, 9500], [99, 9900], [99.9, 9990]] as const) {
      expect(Math.abs(s.percentiles[`p${p}`]! - expected) / expected).toBeLessThan(0.001);
    }
  });

  it('matches the analytic percentiles of an exponential distribution (mean 20 ms)', () => {
    const rnd = mulberry32(7);
    const t = new Trend();
    const n = 200_000;
    for (let i = 0; i < n; i++) t.record(-20 * Math.log(1 - rnd()));
    // For Exp(mean m), the p-quantile is -m ln(1 - p).
    for (const p of [50, 90, 99]) {
      const expected = -20 * Math.log(1 - p / 100);
      expect(Math.abs(t.percentile(p) - expected) / expected).toBeLessThan(0.03);
    }
    expect(t.summary().mean).toBeCloseTo(20, 0);
  });

  it('keeps sub-millisecond resolution (µs) and never drops a zero', () => {
    const t = new Trend();
    t.record(0.25);
    t.record(0);
    expect(t.count).toBe(2);
    expect(t.percentile(100)).toBeCloseTo(0.25, 3);
  });

  it('round-trips through its base64 encoding exactly and merges by adding histograms', () => {
    const a = new Trend();
    const b = new Trend();
    for (let v = 1; v <= 1000; v++) a.record(v);
    for (let v = 1001; v <= 2000; v++) b.record(v);
    const decoded = Trend.decode(a.encode());
    expect(decoded.summary()).toEqual(a.summary());
    const merged = Trend.decode(a.encode());
    merged.merge(Trend.decode(b.encode()));
    expect(merged.count).toBe(2000);
    expect(Math.abs(merged.percentile(50) - 1000)).toBeLessThan(1);
  });
});

describe('serialised metrics', () => {
  it('merge exactly across segments: counts add, histograms add, rates recompute', () => {
    const seg = (from: number, to: number, errors: number) => {
      const r = new MetricRegistry();
      const D = decls({ req_count: { meaning: 'count', perSecond: true }, defects: { meaning: 'defects' } });
      r.counter(D.counter('defects')).add(2);
      for (let v = from; v <= to; v++) r.trend(D.trend('req_duration')).record(v);
      for (let i = 0; i < 100; i++) r.rate(D.rate('req_errors')).add(i < errors);
      r.counter(D.counter('req_count')).add(to - from + 1);
      return serializeMetrics(r, 10);
    };
    const merged = mergeMetricLists([seg(1, 500, 1), seg(501, 1000, 3)], 10);
    const trend = merged.find((m) => m.type === 'trend') as TrendMetric;
    expect(trend.summary.count).toBe(1000);
    expect(Math.abs(trend.summary.percentiles.p50! - 500)).toBeLessThan(1);
    expect(merged.find((m) => m.type === 'rate')).toMatchObject({ hits: 4, total: 200, value: 0.02 });
    expect(merged.find((m) => m.type === 'counter' && m.name === 'req_count')).toMatchObject({ count: 1000, perSecond: 100, meaning: 'count' });
    // A count of defects has no meaningful rate: none is written, none is invented by the merge.
    const defects = merged.find((m) => m.name === 'defects');
    expect(defects).toMatchObject({ count: 4, meaning: 'defects', better: 'lower' });
    expect(defects).not.toHaveProperty('perSecond');
    expect(mergeTrends([trend]).count).toBe(1000);
  });
});
