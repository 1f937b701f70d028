// The compact store of a time series reads back exactly what was appended, as the [t, v] arrays it replaced.
import { describe, expect, it } from 'vitest';
import { metric } from '../../src/metrics/declare.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { serializeSeries } from '../../src/metrics/serialize.js';
import { SeriesPoints, type Point } from '../../src/metrics/series-points.js';
import { unit } from '../../src/metrics/unit.js';

/** Points that are not round numbers, across several growths of the store (16, 32, … 8192). */
function reference(n: number): Point[] {
  return Array.from({ length: n }, (_, i) => [Math.round((i * 1.0007 + 0.3) * 1000) / 1000, Math.sin(i) * 1e6 + i / 7]);
}

describe('SeriesPoints', () => {
  it('keeps every point exactly, in order, through push, add, at, filter, iteration and JSON', () => {
    const want = reference(5000);
    const s = new SeriesPoints();
    want.forEach(([t, v], i) => (i % 2 ? s.add(t, v) : s.push([t, v])));
    expect(s.length).toBe(5000);
    expect(s.toArray()).toEqual(want);
    expect([...s]).toEqual(want);
    expect(JSON.parse(JSON.stringify({ points: s }))).toEqual({ points: want });
    expect(s.at(0)).toEqual(want[0]);
    expect(s.at(-1)).toEqual(want.at(-1));
    expect(s.at(4999)).toEqual(want[4999]);
    expect(s.at(5000)).toBeUndefined();
    expect(s.at(-5001)).toBeUndefined();
    expect(s.filter(([t]) => t >= 100 && t <= 200)).toEqual(want.filter(([t]) => t >= 100 && t <= 200));
  });

  it('reads every point back at each chunk boundary (16, 32, 64, 128, then 256 points a chunk)', () => {
    const want = reference(1300);
    const s = new SeriesPoints();
    for (const [t, v] of want) s.add(t, v);
    for (const i of [0, 15, 16, 47, 48, 111, 112, 239, 240, 495, 496, 751, 752, 1299]) {
      expect(s.at(i), `point ${i}`).toEqual(want[i]);
      expect(s.at(i - 1300), `point ${i - 1300}`).toEqual(want[i]);
    }
    expect(s.toArray()).toEqual(want);
  });

  it('pushes several points at once and returns the new length, as an array does', () => {
    const s = new SeriesPoints();
    expect(s.push([0, 0], [1, 3], [2, 1])).toBe(3);
    expect(s.toArray()).toEqual([[0, 0], [1, 3], [2, 1]]);
    expect(new SeriesPoints().toArray()).toEqual([]);
  });

  it('keeps values that are not finite (a chart drops them, the record does not)', () => {
    const s = new SeriesPoints();
    s.push([1, Number.NaN], [2, Number.POSITIVE_INFINITY], [3, -0.5]);
    expect(s.toArray()).toEqual([[1, Number.NaN], [2, Number.POSITIVE_INFINITY], [3, -0.5]]);
  });

  it('gives run.json plain arrays, a copy the check can go on appending after', () => {
    const registry = new MetricRegistry();
    const decl = metric.series({ name: 'x_per_s', unit: unit.perSecond('x') });
    registry.timeSeries(decl, { a: '1' }).points.push([1, 2], [2, 4]);
    const [out] = serializeSeries(registry);
    expect(out).toEqual({ name: 'x_per_s', tags: { a: '1' }, unit: 'x/s', points: [[1, 2], [2, 4]] });
    expect(Array.isArray(out!.points)).toBe(true);
    registry.timeSeries(decl, { a: '1' }).points.push([3, 6]);
    expect(out!.points).toHaveLength(2);
  });
});
