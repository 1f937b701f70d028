// Per-second aggregates of the load (a histogram and counts per second, never samples), and the series written from them.
import type { Histogram } from 'hdr-histogram-js';
import * as hdr from 'hdr-histogram-js';
import type { MetricRegistry, SeriesEntry } from '../../metrics/registry.js';
import { SERIES } from './metrics.js';
import { newHistogram } from '../../metrics/trend.js';

/** One window's worth of requests; crosses thread boundaries with the histogram encoded. */
export interface WindowSnapshot {
  ok: number;
  errors: number;
  kinds: Record<string, number>;
  /** Latencies in µs (HdrHistogram V2, compressed base64); absent when no request succeeded. */
  histogram?: string;
}

/** The current second's requests, filled by recorders and by worker snapshots, emptied once a second. */
export class SecondWindow {
  private hist: Histogram = newHistogram();
  private ok = 0;
  private errors = 0;
  private kinds = new Map<string, number>();

  recordOk(ms: number): void {
    this.ok++;
    this.hist.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  recordError(kind: string): void {
    this.errors++;
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
  }

  /** Adds another window's snapshot (a worker thread's second) exactly: counts added, histograms added. */
  absorb(s: WindowSnapshot): void {
    this.ok += s.ok;
    this.errors += s.errors;
    for (const [k, n] of Object.entries(s.kinds)) this.kinds.set(k, (this.kinds.get(k) ?? 0) + n);
    if (s.histogram) this.hist.add(hdr.decodeFromCompressedBase64(s.histogram, 32, false));
  }

  /** The window so far, then empties it. */
  take(encode: boolean): WindowSnapshot & { p95: number } {
    const snap: WindowSnapshot & { p95: number } = {
      ok: this.ok, errors: this.errors, kinds: Object.fromEntries(this.kinds),
      p95: this.ok > 0 ? this.hist.getValueAtPercentile(95) / 1000 : 0,
    };
    if (encode && this.ok > 0) snap.histogram = hdr.encodeIntoCompressedBase64(this.hist);
    this.hist.reset();
    this.ok = 0;
    this.errors = 0;
    this.kinds.clear();
    return snap;
  }
}

/** Writes one point a second from a SecondWindow into the registry's series: throughput, p95, errors and their kinds. */
export class SeriesWriter {
  private readonly throughput: SeriesEntry;
  private readonly p95: SeriesEntry;
  private readonly errors: SeriesEntry;
  private readonly stage: SeriesEntry;
  private readonly registry: MetricRegistry;
  private readonly kindSeries = new Map<string, SeriesEntry>();
  private last: number;
  private timer: NodeJS.Timeout | undefined;
  /** The load level of the running stage, plotted next to the series. */
  level = 0;

  constructor(registry: MetricRegistry, private readonly window: SecondWindow, private readonly elapsed: () => number) {
    this.registry = registry;
    this.throughput = registry.timeSeries(SERIES.throughput);
    this.p95 = registry.timeSeries(SERIES.p95);
    this.errors = registry.timeSeries(SERIES.errors);
    this.stage = registry.timeSeries(SERIES.level);
    this.last = elapsed();
  }

  start(): void {
    this.last = this.elapsed();
    this.timer = setInterval(() => this.flush(), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }

  flush(): void {
    const now = this.elapsed();
    const span = Math.max(now - this.last, 1e-3);
    this.last = now;
    const s = this.window.take(false);
    if (s.ok + s.errors === 0 && span < 0.5) return;
    const t = Math.round(now * 1000) / 1000;
    this.throughput.points.push([t, (s.ok + s.errors) / span]);
    this.p95.points.push([t, s.p95]);
    this.errors.points.push([t, s.errors / span]);
    this.stage.points.push([t, this.level]);
    for (const kind of Object.keys(s.kinds)) {
      if (!this.kindSeries.has(kind)) this.kindSeries.set(kind, this.registry.timeSeries(SERIES.errors, { kind }));
    }
    for (const [kind, series] of this.kindSeries) series.points.push([t, (s.kinds[kind] ?? 0) / span]);
  }
}
