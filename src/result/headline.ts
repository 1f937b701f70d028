// What a check's headline payload needs beyond its schema (src/result/model.ts): whether a series has anything to draw.
import type { ChartSeries } from './model.js';

const finite = (p: readonly [number, number]) => Number.isFinite(p[0]) && Number.isFinite(p[1]);

/**
 * A line earns a chart with at least three points and a value that moves: one dot or a flat line says nothing a number
 * does not. The report draws nothing for series that do not; a check reads it to choose between charts.
 */
export function earnsPlace(series: ReadonlyArray<Pick<ChartSeries, 'points'>>): boolean {
  if (!series.some((s) => s.points.filter(finite).length >= 3)) return false;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const s of series) for (const p of s.points) if (finite(p)) { lo = Math.min(lo, p[1]); hi = Math.max(hi, p[1]); }
  return hi > lo;
}
