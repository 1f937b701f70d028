// Pure statistics and arithmetic of the harness: medians over rounds, ratios, relative errors, alternating order.

/** The median of the values (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** a / b, NaN when b is 0 or either is missing. */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN;
}

/** Signed relative error of a measured value against the true one, in percent. */
export function errorPercent(measured: number, truth: number): number {
  return truth === 0 ? Number.NaN : ((measured - truth) / truth) * 100;
}

/**
 * The order the tools run in for round `round`: rotated by one each round, so no tool always runs first (on a warm or
 * a cold machine) or always right after the same other tool.
 */
export function roundOrder<T>(tools: readonly T[], round: number): T[] {
  const n = tools.length;
  if (n === 0) return [];
  const k = ((round % n) + n) % n;
  return [...tools.slice(k), ...tools.slice(0, k)];
}

/**
 * The expected p99 of an open-loop run of `total` requests at `rate` req/s across one stall of `stallS` seconds:
 * requests intended during the stall wait for its end, so their latencies spread evenly over (0, stall]; every other
 * request takes about `serviceS`. The p99 is the value 1 % of all requests exceed.
 */
export function expectedStallP99(total: number, rate: number, stallS: number, serviceS: number): number {
  const stalled = rate * stallS;
  const above = total * 0.01;
  if (above >= stalled) return serviceS;
  return stallS * (1 - above / stalled) + serviceS;
}

/** CPU microseconds per operation, from CPU seconds and an operation count. */
export function cpuMicrosPerOp(cpuSeconds: number, ops: number): number {
  return ops > 0 ? (cpuSeconds * 1e6) / ops : Number.NaN;
}

/** The median of the [time, value] samples within ±`half` of `at` (a single sample can fall in a GC dip or spike). */
export function windowMedian(samples: ReadonlyArray<readonly [number, number]>, at: number, half: number): number {
  return median(samples.filter(([t]) => Math.abs(t - at) <= half).map(([, v]) => v));
}

/** Least-squares slope of value over time between `from` and `to` (value units per time unit); NaN under 2 samples. */
export function slope(samples: ReadonlyArray<readonly [number, number]>, from: number, to: number): number {
  const s = samples.filter(([t]) => t >= from && t <= to);
  if (s.length < 2) return Number.NaN;
  const mt = s.reduce((a, [t]) => a + t, 0) / s.length;
  const mv = s.reduce((a, [, v]) => a + v, 0) / s.length;
  const num = s.reduce((a, [t, v]) => a + (t - mt) * (v - mv), 0);
  const den = s.reduce((a, [t]) => a + (t - mt) ** 2, 0);
  return den === 0 ? Number.NaN : num / den;
}
