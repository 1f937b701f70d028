// Zipf key popularity: a sampler (inverse CDF over precomputed cumulative weights) and the hit rate a cache-aside workload can reach.

/** Key ranks 0..n-1; rank k is drawn with probability (k+1)^-s / H(n,s). */
export interface Zipf {
  readonly n: number;
  readonly s: number;
  /** Probability of rank k. */
  p(k: number): number;
  /** A rank for a uniform `u` in [0, 1). */
  sample(u: number): number;
}

export function createZipf(n: number, s: number): Zipf {
  if (!Number.isInteger(n) || n < 1) throw new Error(`zipf: key space must be a positive integer, got ${n}`);
  if (!(s >= 0)) throw new Error(`zipf: skew must be >= 0, got ${s}`);
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    total += Math.pow(k + 1, -s);
    cumulative[k] = total;
  }
  return {
    n,
    s,
    p: (k) => Math.pow(k + 1, -s) / total,
    sample(u) {
      const target = u * total;
      // The first rank whose cumulative weight exceeds the target.
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cumulative[mid]! > target) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    },
  };
}

/**
 * Expected hit rate of `reads` independent draws against a cache that starts empty and never loses a key (TTL longer
 * than the run, no eviction): every first read of a key misses, every later one hits. E[distinct keys] = Σ 1-(1-p_k)^N,
 * so hit rate = 1 - E[distinct]/N. Concurrent misses of the same key and expiry/eviction can only lower it.
 */
export function expectedHitRate(zipf: Zipf, reads: number): number {
  if (reads <= 0) return 0;
  let distinct = 0;
  for (let k = 0; k < zipf.n; k++) distinct += 1 - Math.pow(1 - zipf.p(k), reads);
  return 1 - distinct / reads;
}

/** End-to-end mean read latency of a cache-aside read path at a given hit rate. */
export function meanReadLatency(hitRate: number, hitMs: number, missMs: number): number {
  return hitRate * hitMs + (1 - hitRate) * missMs;
}
