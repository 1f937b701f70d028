// Turns an encoded HDR histogram into chart bins: exact counts from its recorded values, on linear or log-spaced bins.
import { Trend } from '../../metrics/trend.js';

export interface Bin {
  from: number;
  to: number;
  count: number;
}

interface IterationValue { valueIteratedTo: number; countAtValueIteratedTo: number }
interface ValueIterator { reset(): void; hasNext(): boolean; next(): IterationValue }

/** Values stored as integer microseconds (see trend.ts): divide to get the trend's unit back. */
const SCALE = 1000;

/** The recorded values and their counts; empty for an empty or unreadable histogram. */
export function recordedValues(encoded: string): Array<[number, number]> {
  const trend = Trend.decode(encoded);
  const it = (trend.histogram as unknown as { recordedValuesIterator?: ValueIterator }).recordedValuesIterator;
  const out: Array<[number, number]> = [];
  if (!it || trend.count === 0) return out;
  it.reset();
  while (it.hasNext()) {
    const v = it.next();
    out.push([v.valueIteratedTo / SCALE, v.countAtValueIteratedTo]);
  }
  return out;
}

/**
 * `n` bins over the recorded range: log-spaced when the values span more than a factor of 20 (latencies usually do),
 * linear otherwise. Every recorded count lands in exactly one bin.
 */
export function binValues(values: Array<[number, number]>, n = 30): { bins: Bin[]; log: boolean } {
  if (values.length === 0) return { bins: [], log: false };
  const lo = values[0]![0];
  const hi = values[values.length - 1]![0];
  if (hi <= lo) return { bins: [{ from: lo, to: lo, count: values.reduce((s, [, c]) => s + c, 0) }], log: false };
  const log = lo > 0 && hi / lo > 20;
  const edge = (i: number) => (log ? lo * (hi / lo) ** (i / n) : lo + ((hi - lo) * i) / n);
  const bins: Bin[] = Array.from({ length: n }, (_, i) => ({ from: edge(i), to: edge(i + 1), count: 0 }));
  for (const [v, c] of values) {
    const pos = log ? Math.log(v / lo) / Math.log(hi / lo) : (v - lo) / (hi - lo);
    bins[Math.min(n - 1, Math.max(0, Math.floor(pos * n)))]!.count += c;
  }
  return { bins, log };
}
