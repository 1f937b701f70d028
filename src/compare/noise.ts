// How much a figure of one run could move by chance: half-widths of ~95 % intervals from what the run itself recorded.
import type { Trend } from '../metrics/trend.js';

/** Two-sided ~95 %. Two runs are judged different only when their intervals do not overlap (about 99.5 % together). */
export const Z = 1.96;

/**
 * The interval of a percentile from the histogram's own count: the rank of the p-th order statistic is binomial, so the
 * true percentile lies between the values at ranks p ± z·√(p(1−p)/n). Few samples, or a wide tail, give a wide interval.
 */
export function percentileHalfWidth(trend: Trend, percentile: number, z = Z): number {
  const n = trend.count;
  if (n === 0) return 0;
  const p = percentile / 100;
  const d = z * Math.sqrt((p * (1 - p)) / n);
  const lo = trend.percentile(Math.max(0, p - d) * 100);
  const hi = trend.percentile(Math.min(1, p + d) * 100);
  return (hi - lo) / 2;
}

/**
 * The dispersion of a per-second series (a p95 or a throughput each second): z · sd / √k. It carries what sampling alone
 * does not: the host's load moving during the run. Undefined with fewer than three points.
 */
export function seriesHalfWidth(values: number[], z = Z): number | undefined {
  const k = values.length;
  if (k < 3) return undefined;
  const mean = values.reduce((s, v) => s + v, 0) / k;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (k - 1);
  return (z * Math.sqrt(variance)) / Math.sqrt(k);
}

/** A share of `total` observations: binomial, with one pseudo-success and one pseudo-failure so 0 of n is not certain. */
export function binomialHalfWidth(hits: number, total: number, z = Z): number {
  if (total <= 0) return 0;
  const p = (hits + 1) / (total + 2);
  return z * Math.sqrt((p * (1 - p)) / (total + 2));
}

/** Events counted over time (timeouts, errors): Poisson, so a count of c could as well have been c ± z·√c. */
export function poissonHalfWidth(count: number, z = Z): number {
  return z * Math.sqrt(Math.max(count, 1));
}
