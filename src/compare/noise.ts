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

/** Observations a percentile needs on its far side before a comparison judges it. */
export const MIN_TAIL = 20;

/**
 * Samples a percentile needs in each run before it is judged: MIN_TAIL beyond it, so p50 needs 40, p95 400 and p99
 * 2,000. With fewer, the percentile rests on a handful of operations and one stall (a checkpoint, a GC pause, a
 * neighbour's burst) moves it by any amount: a 255-request stage holds 13 requests above its p95.
 */
export function minSamples(percentile: number): number {
  const p = percentile / 100;
  return Math.ceil(MIN_TAIL / Math.min(p, 1 - p) - 1e-9);
}

/**
 * How far a run's operations scatter above their median (p95 − p50). On a shared host the scheduler delays some
 * operations and not others: that widens the tail, and a percentile of another run of the same code lands anywhere
 * within it. A statement that really got slower moves its whole distribution, median included, beyond it.
 */
export function tailSpread(trend: Trend): number {
  if (trend.count === 0) return 0;
  return Math.max(0, trend.percentile(95) - trend.percentile(50));
}

/**
 * How far one second of a run strays from another: z · sd of a per-second series (a throughput each second). Another
 * run on the same host is another draw of those seconds, so this, not the standard error of their mean, is its noise.
 * Undefined with fewer than three points.
 */
export function seriesSpread(values: number[], z = Z): number | undefined {
  const k = values.length;
  if (k < 3) return undefined;
  const mean = values.reduce((s, v) => s + v, 0) / k;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (k - 1);
  return z * Math.sqrt(variance);
}

/** The percentile (0..100) at which a trend reaches `value`: the inverse of `percentile`, by bisection. */
export function rankOf(trend: Trend, value: number): number {
  if (trend.count === 0) return 50;
  let lo = 0;
  let hi = 100;
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (trend.percentile(mid) < value) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * How many percentile points a host moved operations by, read from a control (a no-op on the same sessions) measured
 * in both runs: where one run's control median falls in the other's, plus both medians' rank intervals. A host that
 * delays 40 % of operations in one run and 5 % in the other moves every median, the control's included, by that many
 * ranks, whatever the operation's own scale. At most 49.
 */
export function controlDisplacement(b: Trend, c: Trend, z = Z): number {
  if (b.count === 0 || c.count === 0) return 49;
  const shift = Math.max(Math.abs(rankOf(b, c.percentile(50)) - 50), Math.abs(rankOf(c, b.percentile(50)) - 50));
  const sampling = 100 * z * (Math.sqrt(0.25 / b.count) + Math.sqrt(0.25 / c.count));
  return Math.min(49, shift + sampling);
}

/** How far a trend's median moves when its operations move by `d` percentile points: half its p(50−d)…p(50+d) width. */
export function medianReach(trend: Trend, d: number): number {
  if (trend.count === 0 || d <= 0) return 0;
  return (trend.percentile(50 + d) - trend.percentile(50 - d)) / 2;
}
