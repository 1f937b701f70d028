// A latency (or any non-negative value) distribution kept in an HDR histogram, never as a list of samples.
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import { inflateHistogram } from './inflate.js';

/** Values are recorded in milliseconds and stored as integer microseconds: 1 µs resolution, 3 significant digits. */
const SCALE = 1000;
const SIGNIFICANT_DIGITS = 3;

export const REPORTED_PERCENTILES = [50, 90, 95, 99, 99.9] as const;

export interface TrendSummary {
  count: number;
  min: number;
  max: number;
  mean: number;
  stdev: number;
  /** Keys are `p50`, `p90`, `p95`, `p99`, `p99.9`; values in the trend's unit. */
  percentiles: Record<string, number>;
}

/** The library's decoder of an already inflated V2 payload (set on JsHistogram by its encoding module, not typed). */
const decodeInflated = (hdr.JsHistogram as unknown as { decode(data: Uint8Array, bitBucketSize: 32, minBar: number): Histogram }).decode;

export function newHistogram(): Histogram {
  // JS (not WASM) histograms: no async init, and ~11 ns per record is measured fast enough.
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60 * 60 * 1_000_000,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    useWebAssembly: false,
  });
}

export class Trend {
  readonly histogram: Histogram;

  constructor(histogram: Histogram = newHistogram()) {
    this.histogram = histogram;
  }

  /** Records one value in the trend's unit (milliseconds for durations). */
  record(value: number): void {
    // Clamp to 1 µs: a zero would be lost by minNonZeroValue and a negative is a clock bug, not data.
    const scaled = Math.max(1, Math.round(value * SCALE));
    this.histogram.recordValue(scaled);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  percentile(p: number): number {
    if (this.histogram.totalCount === 0) return 0;
    return this.histogram.getValueAtPercentile(p) / SCALE;
  }

  merge(other: Trend): void {
    this.histogram.add(other.histogram);
  }

  summary(): TrendSummary {
    const h = this.histogram;
    const empty = h.totalCount === 0;
    const percentiles: Record<string, number> = {};
    for (const p of REPORTED_PERCENTILES) percentiles[`p${p}`] = this.percentile(p);
    return {
      count: h.totalCount,
      min: empty ? 0 : h.minNonZeroValue / SCALE,
      // From the buckets, not the exact running max, so a histogram re-read from run.json reports the same figure.
      max: empty ? 0 : h.getValueAtPercentile(100) / SCALE,
      mean: empty ? 0 : h.mean / SCALE,
      stdev: empty ? 0 : h.stdDeviation / SCALE,
      percentiles,
    };
  }

  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.histogram);
  }

  static decode(encoded: string): Trend {
    // Inflated within limits (src/metrics/inflate.ts): a histogram from a file is untrusted input.
    const decoded = decodeInflated(inflateHistogram(encoded), 32, 0);
    // Decoded histograms are fixed-size; copy into an auto-resizing one so merges never overflow.
    const h = newHistogram();
    h.add(decoded);
    return new Trend(h);
  }
}
