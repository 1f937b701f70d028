// Pure arithmetic of the pool-size sweep: which sizes to try, in which order, and which size (if any) is measurably better.

/** What one pool size measured over every round of the sweep. */
export interface SizeSamples {
  size: number;
  /** Successful requests per second, one figure per round (in round order). */
  rounds: number[];
  /** Request latency p95 over all rounds (waiting for a connection included), ms. */
  p95: number;
  /** The p95 of each round, in round order; when given, a size misses the p95 limit only if every round missed it. */
  roundP95?: number[];
  /** Failed requests over attempted requests, all rounds. */
  errorRate: number;
}

export interface SizeFigures extends SizeSamples {
  median: number;
  min: number;
  max: number;
  /** max - min of the rounds: the noise this size showed. */
  spread: number;
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

/**
 * The order sizes are measured in, round by round: ascending, then descending, and so on. A drift of the host's load
 * over the sweep (another process starting) then falls on every size instead of on the last ones measured.
 */
export function roundOrder(sizes: number[], round: number): number[] {
  const up = [...sizes].sort((a, b) => a - b);
  return round % 2 === 0 ? up : up.reverse();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function figuresOf(s: SizeSamples): SizeFigures {
  const min = s.rounds.length ? Math.min(...s.rounds) : 0;
  const max = s.rounds.length ? Math.max(...s.rounds) : 0;
  return { ...s, median: s.rounds.length ? median(s.rounds) : 0, min, max, spread: max - min };
}

/**
 * `a` is measurably better than `b` when the gap between their medians is larger than the noise both showed together
 * (the sum of their round-to-round spreads) and at least `minGain` of `b`'s median. The sum, not the larger spread:
 * the sweep compares many pairs, and with the larger spread alone one run in five on a busy 2-core host picked a
 * different size (seen while testing); the `minGain` floor keeps a tiny steady gap from counting.
 */
export function measurablyBetter(a: SizeFigures, b: SizeFigures, minGain: number): boolean {
  if (a.rounds.length < 2 || b.rounds.length < 2) return false;
  const gap = a.median - b.median;
  return gap > a.spread + b.spread && gap > minGain * b.median;
}

export interface SweepOptions {
  configured: number;
  /** The smallest relative gain that can count as better (config pool.sweep.tolerance). */
  minGain: number;
  p95LimitMs: number;
  maxErrorRate: number;
  /** Sizes above this are not recommended unless they beat every size at or below it measurably; undefined: no cap. */
  coreLimit: number | undefined;
}

export interface SweepVerdict {
  /** `better`: `size` is measurably better than `reference`; `none`: no size is measurably better than `reference`. */
  kind: 'better' | 'none';
  /** The size to run: the recommendation, or the reference when nothing is measurably better. */
  size: number;
  reference: SizeFigures;
  /** Why the reference is the reference: the configured size when it was swept, else the smallest adequate. */
  referenceIs: 'configured' | 'smallest adequate';
  best: SizeFigures;
  /** The smallest size not measurably worse than the best. */
  smallestAdequate: SizeFigures;
  /** Set when the recommended size is above the core limit: the best size at or below it, which it measurably beats. */
  beyondCores?: SizeFigures;
  /** Set when the best size overall was above the core limit but not measurably better than the best below it. */
  cappedAt?: number;
  /** False when no size met the p95 limit: sizes were then compared on throughput alone. */
  p95Met: boolean;
  /** True when the reference is the configured size although it missed the p95 limit in every round: any size that met it beats it. */
  referenceMissedP95: boolean;
}

const bySize = (a: SizeFigures, b: SizeFigures) => a.size - b.size;

/**
 * A size misses the p95 limit only when every round missed it: a p95 near the limit crosses it in one round and not the
 * next on a busy host (seen: the configured size 10 at 87.9 ms in one run and 104 ms in the next), and a reference that
 * flips with it would make the verdict flip too.
 */
export function meetsP95(p: SizeSamples, limitMs: number): boolean {
  if (p.roundP95 && p.roundP95.length > 0) return p.roundP95.some((x) => x <= limitMs);
  return p.p95 <= limitMs;
}
const bestOf = (xs: SizeFigures[]) => xs.reduce((a, b) => (b.median > a.median ? b : a));

/** The smallest size in `among` that `top` does not measurably beat. */
function smallestNotWorse(among: SizeFigures[], top: SizeFigures, minGain: number): SizeFigures {
  return [...among].sort(bySize).find((p) => !measurablyBetter(top, p, minGain)) ?? top;
}

export function judgeSweep(samples: SizeSamples[], o: SweepOptions): SweepVerdict | undefined {
  const working = samples.map(figuresOf).filter((p) => p.median > 0 && p.errorRate <= o.maxErrorRate);
  if (working.length === 0) return undefined;
  const acceptable = working.filter((p) => meetsP95(p, o.p95LimitMs));
  const pool = acceptable.length > 0 ? acceptable : working;
  const best = bestOf(pool);
  const smallestAdequate = smallestNotWorse(pool, best, o.minGain);
  const configured = pool.find((p) => p.size === o.configured);
  // The configured size was swept but missed the p95 limit in every round while other sizes met it: those beat it.
  const missedP95 = configured === undefined && acceptable.length > 0 ? working.find((p) => p.size === o.configured) : undefined;
  const reference = configured ?? missedP95 ?? smallestAdequate;
  const beats = (p: SizeFigures) => (missedP95 ? true : measurablyBetter(p, reference, o.minGain));
  const base = {
    reference, referenceIs: configured || missedP95 ? 'configured' as const : 'smallest adequate' as const, best, smallestAdequate,
    p95Met: acceptable.length > 0, referenceMissedP95: missedP95 !== undefined,
  };
  const none = (extra: Partial<SweepVerdict> = {}): SweepVerdict => ({ kind: 'none', size: reference.size, ...base, ...extra });
  if (!beats(best)) return none();
  let chosen = smallestNotWorse(pool.filter(beats), best, o.minGain);
  if (o.coreLimit === undefined || chosen.size <= o.coreLimit) return { kind: 'better', size: chosen.size, ...base };
  // The sizes within the limit are compared on throughput whatever their p95: the cores bound throughput, and a p95
  // missed only because few connections queue the sweep's own concurrency must not let a larger size through unexamined.
  const within = working.filter((p) => p.size <= o.coreLimit!);
  if (within.length === 0) return { kind: 'better', size: chosen.size, ...base };
  const bestWithin = bestOf(within);
  // More connections than the cores justify only when they beat every size within the limit by more than the noise.
  if (measurablyBetter(chosen, bestWithin, o.minGain)) return { kind: 'better', size: chosen.size, ...base, beyondCores: bestWithin };
  const candidates = pool.filter((p) => p.size <= o.coreLimit! && beats(p));
  if (candidates.length === 0) return none({ cappedAt: o.coreLimit });
  chosen = smallestNotWorse(candidates, bestWithin, o.minGain);
  return { kind: 'better', size: chosen.size, ...base, cappedAt: o.coreLimit };
}

/**
 * True when no further round can change the verdict from "no size is measurably better than the configured one", so
 * the sweep may stop before its last round. Why more rounds cannot: a round only widens each size's min–max range.
 * When two ranges overlap, the gap between the medians is at most the two spreads together (a median lies within its
 * range), so neither size is measurably better than the other, then or ever, since an overlap, once there, stays.
 * A range wholly below the configured one cannot rise wholly above it either (its minimum stays below). So when no size's
 * range lies wholly above the configured size's, no size can become measurably better than it. The configured size
 * stays the reference while it is in the compared set: it met the p95 limit in a round (that stays true), and it must
 * keep its error rate, so any error at all keeps every round. `rounds` is what each size has measured so far.
 */
export function settledOnConfigured(samples: SizeSamples[], o: Pick<SweepOptions, 'configured' | 'p95LimitMs'>): boolean {
  const configured = samples.find((p) => p.size === o.configured);
  if (!configured || !samples.every((p) => p.rounds.length >= 2 && p.errorRate === 0 && Math.min(...p.rounds) > 0)) return false;
  if (!meetsP95(configured, o.p95LimitMs)) return false;
  const top = Math.max(...configured.rounds);
  return samples.every((p) => p === configured || Math.min(...p.rounds) <= top);
}

/**
 * How far the configured size falls short of the best, as a share of the best's throughput: 0 when the gap is within
 * the noise (or the configured size was not swept), so a warning is never raised on noise.
 */
export function configuredShortfall(samples: SizeSamples[], configured: number, best: SizeFigures, minGain: number): number {
  const c = samples.find((s) => s.size === configured);
  if (!c || best.median <= 0) return 0;
  const f = figuresOf(c);
  return measurablyBetter(best, f, minGain) ? (best.median - f.median) / best.median : 0;
}

/** PostgreSQL's rule of thumb for a CPU-bound server: about two connections per core do all the work it can do. */
export function coreLimitFor(cores: number | undefined): number | undefined {
  return cores === undefined ? undefined : 2 * cores;
}
