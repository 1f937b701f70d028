// Where an executor puts its samples: a latency trend, an error share over every attempt (dropped included), error kinds,
// dropped and timed-out counts, and one-second time series.
import { newHistogram } from '../metrics/trend.js';
import type { MetricRegistry, Rate, SeriesEntry, Tags } from '../metrics/registry.js';
import type { Trend } from '../metrics/trend.js';
import { errorKind } from '../util/errors.js';
import { isTimeout } from './types.js';

export interface RecorderOptions {
  registry: MetricRegistry;
  /** Metric name prefix: `query` gives `query_duration`, `query_errors`, `query_error_kinds`, … */
  name: string;
  tags?: Tags;
  /** Seconds since the check started, for time-series x values. */
  elapsed: () => number;
  /**
   * Create `<name>_dropped` and `<name>_timeouts` counters up front (zero until something happens), so a threshold on
   * them always has a value to judge; otherwise they appear only when a drop or a timeout does.
   */
  outcomeCounters?: boolean;
}

export class Recorder {
  readonly duration: Trend;
  readonly errors: Rate;
  private readonly registry: MetricRegistry;
  private readonly name: string;
  private readonly tags: Tags;
  private readonly elapsed: () => number;
  private readonly throughputSeries: SeriesEntry;
  private readonly p95Series: SeriesEntry;
  private readonly errorSeries: SeriesEntry;
  private readonly interval = newHistogram();
  private intervalErrors = 0;
  private intervalStartSec = 0;
  private timer: NodeJS.Timeout | undefined;
  readonly lastErrors: string[] = [];
  /** Outcomes of every attempt: `errors.total` = succeeded + failed + timedOut + dropped. */
  succeeded = 0;
  failed = 0;
  timedOut = 0;
  droppedCount = 0;

  constructor(opts: RecorderOptions) {
    this.registry = opts.registry;
    this.name = opts.name;
    this.tags = opts.tags ?? {};
    this.elapsed = opts.elapsed;
    this.duration = opts.registry.trend(`${opts.name}_duration`, this.tags);
    this.errors = opts.registry.rate(`${opts.name}_errors`, this.tags);
    this.throughputSeries = opts.registry.timeSeries(`${opts.name}_throughput`, this.tags, 'req/s');
    this.p95Series = opts.registry.timeSeries(`${opts.name}_p95`, this.tags, 'ms');
    this.errorSeries = opts.registry.timeSeries(`${opts.name}_errors_per_s`, this.tags, 'err/s');
    if (opts.outcomeCounters) {
      opts.registry.counter(`${opts.name}_dropped`, this.tags);
      opts.registry.counter(`${opts.name}_timeouts`, this.tags);
    }
  }

  ok(ms: number): void {
    this.succeeded++;
    this.duration.record(ms);
    this.errors.add(false);
    this.interval.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  fail(err: unknown): void {
    this.errors.add(true);
    this.intervalErrors++;
    if (isTimeout(err)) {
      this.timedOut++;
      this.registry.counter(`${this.name}_timeouts`, this.tags).add();
    } else {
      this.failed++;
    }
    this.registry.counter(`${this.name}_error_kinds`, { ...this.tags, kind: errorKind(err) }).add();
    // Keep a few messages for the report; they are redacted when the result is built.
    if (this.lastErrors.length < 5) this.lastErrors.push(err instanceof Error ? err.message : String(err));
  }

  /** Iterations an open loop could not start (every VU busy, backlog full or left at the end): attempts that failed. */
  dropped(n: number): void {
    if (n <= 0) return;
    this.droppedCount += n;
    for (let i = 0; i < n; i++) this.errors.add(true);
    this.intervalErrors += n;
    this.registry.counter(`${this.name}_dropped`, this.tags).add(n);
    this.registry.counter(`${this.name}_error_kinds`, { ...this.tags, kind: 'dropped' }).add(n);
  }

  /** Starts the one-second time series; call `stop()` when the workload ends. */
  start(): void {
    this.intervalStartSec = this.elapsed();
    this.timer = setInterval(() => this.flush(), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // A final partial second is kept only if it holds samples, scaled to a per-second rate.
    if (this.interval.totalCount > 0 || this.intervalErrors > 0) this.flush();
  }

  private flush(): void {
    const now = this.elapsed();
    const span = Math.max(now - this.intervalStartSec, 1e-3);
    const t = Math.round(now * 1000) / 1000;
    this.throughputSeries.points.push([t, this.interval.totalCount / span]);
    this.p95Series.points.push([t, this.interval.totalCount ? this.interval.getValueAtPercentile(95) / 1000 : 0]);
    this.errorSeries.points.push([t, this.intervalErrors / span]);
    this.interval.reset();
    this.intervalErrors = 0;
    this.intervalStartSec = now;
  }
}
