// Samples every resource source once a second into time series and gauges; a failing source is counted, never fatal.
import { withTimeout } from '../exec/timeout.js';
import { metric, type GaugeDecl, type SeriesDecl } from '../metrics/declare.js';
import type { MetricRegistry } from '../metrics/registry.js';
import { RESOURCE_SAMPLE_ERRORS } from './metrics.js';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import type { Reading, ResourceSource } from './types.js';

export interface MonitorOptions {
  registry: MetricRegistry;
  sources: ResourceSource[];
  elapsed: () => number;
  log: Logger;
  /** Called with every second's readings (e.g. to detect a saturated load generator). */
  onSample?: (readings: Map<string, number>) => void;
  intervalMs?: number;
}

export class ResourceMonitor {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly failed = new Set<string>();

  constructor(private readonly opts: MonitorOptions) {}

  start(): void {
    const every = this.opts.intervalMs ?? 1000;
    // A first sample primes the counters so the first full second already has rates.
    void this.tick();
    this.timer = setInterval(() => void this.tick(), every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const s of this.opts.sources) s.close?.();
  }

  private async tick(): Promise<void> {
    // A slow server must not pile up samplers: skip a second rather than overlap.
    if (this.busy) return;
    this.busy = true;
    try {
      const t = Math.round(this.opts.elapsed() * 1000) / 1000;
      const settled = await Promise.all(this.opts.sources.map((s) => this.sampleOne(s)));
      const all = new Map<string, number>();
      for (const r of settled.flat()) {
        this.opts.registry.timeSeries(seriesOf(r.metric)).points.push([t, round(r.value)]);
        this.opts.registry.gauge(r.metric).set(r.value);
        all.set(r.metric.name, r.value);
      }
      this.opts.onSample?.(all);
    } finally {
      this.busy = false;
    }
  }

  private async sampleOne(source: ResourceSource): Promise<Reading[]> {
    try {
      return await withTimeout(Promise.resolve(source.sample()), 900, `sampling ${source.name}`);
    } catch (err) {
      this.opts.registry.counter(RESOURCE_SAMPLE_ERRORS, { source: source.name }).add();
      if (!this.failed.has(source.name)) {
        this.failed.add(source.name);
        this.opts.log.warn({ source: source.name, err: describeError(err) }, 'a resource sample failed');
      }
      return [];
    }
  }
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

const series = new Map<string, SeriesDecl>();
/** The one-second series of a reading: the gauge's name and unit. */
function seriesOf(decl: GaugeDecl): SeriesDecl {
  let s = series.get(decl.name);
  if (!s) series.set(decl.name, (s = metric.series({ name: decl.name, unit: decl.unit })));
  return s;
}
