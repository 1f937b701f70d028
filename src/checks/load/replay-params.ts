// load.replay: where a $n parameter's values come from (column statistics, a user query, a LIMIT/OFFSET default) and
// how one is drawn. Plain data, so a plan can cross to worker threads; the draw uses the VU's own PRNG.
import type { Rng } from '../../workload/prng.js';

export type Sampler =
  /** Most common values weighted by their frequency, the rest of the rows spread evenly over the histogram buckets. */
  | { kind: 'stats'; source: string; mcv: string[]; freqs: number[]; histogram: string[]; nullFrac: number; integer: boolean }
  /** Values a user query returned, each drawn equally often. */
  | { kind: 'values'; source: string; values: string[] }
  | { kind: 'fixed'; source: string; value: string };

/** The share of non-null rows the histogram stands for, after the most common values. */
function histogramShare(s: Extract<Sampler, { kind: 'stats' }>): number {
  const common = s.freqs.reduce((n, f) => n + f, 0);
  return s.histogram.length >= 2 ? Math.max(0, 1 - s.nullFrac - common) : 0;
}

/** True when the statistics give at least one value to draw. */
export function canSample(s: Sampler): boolean {
  if (s.kind === 'values') return s.values.length > 0;
  if (s.kind === 'fixed') return true;
  return s.mcv.length > 0 || s.histogram.length > 0;
}

export function drawValue(s: Sampler, rng: Rng): string {
  if (s.kind === 'fixed') return s.value;
  if (s.kind === 'values') return s.values[Math.floor(rng.next() * s.values.length)]!;
  const common = s.freqs.reduce((n, f) => n + f, 0);
  const hist = histogramShare(s);
  const x = rng.next() * (common + hist);
  if (s.mcv.length > 0 && (x < common || hist === 0)) {
    let y = Math.min(x, common - Number.EPSILON);
    for (let i = 0; i < s.mcv.length; i++) {
      y -= s.freqs[i] ?? 0;
      if (y < 0) return s.mcv[i]!;
    }
    return s.mcv[s.mcv.length - 1]!;
  }
  if (s.histogram.length === 1) return s.histogram[0]!;
  // Each bucket holds the same share of the rows: pick one, then a value inside it.
  const b = Math.floor(rng.next() * (s.histogram.length - 1));
  const lo = s.histogram[b]!;
  const hi = s.histogram[b + 1]!;
  if (s.integer && /^-?\d+$/.test(lo) && /^-?\d+$/.test(hi)) {
    const a = Number(lo);
    const z = Number(hi);
    if (Number.isSafeInteger(a) && Number.isSafeInteger(z) && z >= a) return String(a + Math.floor(rng.next() * (z - a + 1)));
  }
  return rng.next() < 0.5 ? lo : hi;
}

/** Where each value comes from, for the report (never the values: they are the user's data). */
export const describeSampler = (s: Sampler): string =>
  s.kind === 'stats' ? `${s.source} (${s.mcv.length} common values, ${Math.max(0, s.histogram.length - 1)} histogram buckets)` : s.kind === 'values' ? `${s.source} (${s.values.length} values)` : s.source;
