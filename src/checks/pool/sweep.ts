// Pure arithmetic of the pool-size sweep: which sizes to try, and which size to recommend from the measurements.

export interface SweepPoint {
  size: number;
  /** Successful requests per second. */
  throughput: number;
  /** Request latency p95 (waiting for a connection included), ms. */
  p95: number;
  errorRate: number;
}

/** Usable connection slots left on the server; the sweep takes at most half of them, never less than 1. */
export function sweepLimit(a: { maxConnections: number; reserved: number; inUse: number; maxSize: number }): number {
  const free = a.maxConnections - a.reserved - a.inUse;
  return Math.max(1, Math.min(a.maxSize, Math.floor(free / 2)));
}

/** 1, 2, 4, … up to the limit, the limit itself, and the configured size when it fits. */
export function sizesToTry(limit: number, configured: number): number[] {
  const sizes = new Set<number>();
  for (let s = 1; s <= limit; s *= 2) sizes.add(s);
  sizes.add(limit);
  if (configured <= limit) sizes.add(configured);
  return [...sizes].sort((a, b) => a - b);
}

export interface Choice {
  /** The smallest size within `tolerance` of the best throughput among sizes with an acceptable p95. */
  chosen: SweepPoint;
  best: SweepPoint;
  /** False when no size met the p95 limit: the choice is then by throughput alone. */
  p95Met: boolean;
}

export function chooseSize(points: SweepPoint[], tolerance: number, p95LimitMs: number, maxErrorRate: number): Choice | undefined {
  const working = points.filter((p) => p.throughput > 0 && p.errorRate <= maxErrorRate);
  if (working.length === 0) return undefined;
  const acceptable = working.filter((p) => p.p95 <= p95LimitMs);
  const pool = acceptable.length > 0 ? acceptable : working;
  const best = pool.reduce((a, b) => (b.throughput > a.throughput ? b : a));
  const chosen = [...pool].sort((a, b) => a.size - b.size).find((p) => p.throughput >= best.throughput * (1 - tolerance))!;
  return { chosen, best, p95Met: acceptable.length > 0 };
}

/**
 * The throughput the configured size reaches, as a share of the best: measured when it was swept, otherwise
 * that of the largest swept size below it (throughput does not grow past the server's saturation point).
 */
export function configuredShare(points: SweepPoint[], configured: number, best: SweepPoint): { share: number; measured: boolean } {
  const exact = points.find((p) => p.size === configured);
  if (exact) return { share: best.throughput > 0 ? exact.throughput / best.throughput : 0, measured: true };
  const below = points.filter((p) => p.size < configured).sort((a, b) => b.size - a.size)[0];
  return { share: below && best.throughput > 0 ? below.throughput / best.throughput : 0, measured: false };
}
