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

/**
 * Standard deviation of the hit rate of `reads` draws around expectedHitRate: hits = reads − distinct keys, and the
 * indicators "key k was read" are nearly independent (their covariances are negative and small), so
 * Var(distinct) ≈ Σ q_k(1 − q_k) with q_k = 1 − (1 − p_k)^reads.
 */
export function hitRateStdDev(zipf: Zipf, reads: number): number {
  if (reads <= 0) return 0;
  let variance = 0;
  for (let k = 0; k < zipf.n; k++) {
    const q = 1 - Math.pow(1 - zipf.p(k), reads);
    variance += q * (1 - q);
  }
  return Math.sqrt(variance) / reads;
}

/**
 * How far below expectedHitRate a healthy cache can land by chance: three standard deviations, plus the misses that
 * concurrent first reads of one key add (each of the other in-flight reads may ask for a key while its first miss is
 * being loaded: at most inFlight − 1 extra misses over the run).
 */
export function hitRateTolerance(zipf: Zipf, reads: number, inFlight: number): number {
  if (reads <= 0) return 1;
  return 3 * hitRateStdDev(zipf, reads) + Math.max(0, inFlight - 1) / reads;
}

/** The fewest reads whose expected hit rate reaches `target` (undefined when even `cap` reads do not). */
export function readsForHitRate(zipf: Zipf, target: number, cap = 1e9): number | undefined {
  if (expectedHitRate(zipf, cap) < target) return undefined;
  let lo = 1;
  let hi = cap;
  while (hi - lo > Math.max(1, lo * 0.01)) {
    const mid = Math.floor((lo + hi) / 2);
    if (expectedHitRate(zipf, mid) >= target) hi = mid;
    else lo = mid;
  }
  return hi;
}
