// Where an executor puts its samples: a latency trend, an error share over every attempt (dropped included), error kinds,
// dropped and timed-out counts, and one-second time series.
import { metric, type CounterDecl, type MetricDecl, type RateDecl, type SeriesDecl, type TrendDecl } from '../metrics/declare.js';
import type { MetricMeaning, OperationRole } from '../metrics/meaning.js';
import { newHistogram } from '../metrics/trend.js';
import type { MetricRegistry, Rate, SeriesEntry, Tags } from '../metrics/registry.js';
import { unit } from '../metrics/unit.js';
import type { Trend } from '../metrics/trend.js';
import { errorKind } from '../util/errors.js';
import { isTimeout } from './types.js';

/** The family of metrics a Recorder writes for one kind of operation, declared together so every check means the same. */
export interface OperationMetrics {
  readonly duration: TrendDecl;
  readonly errors: RateDecl;
  readonly errorKinds: CounterDecl;
  readonly dropped: CounterDecl;
  readonly timeouts: CounterDecl;
  readonly throughputSeries: SeriesDecl;
  readonly p95Series: SeriesDecl;
  readonly errorSeries: SeriesDecl;
  /** Every declaration above that a threshold can name, for the check's `metrics` list. */
  readonly all: readonly MetricDecl[];
}

/**
 * Declares `<name>_duration`, `<name>_errors`, `<name>_error_kinds`, `<name>_dropped`, `<name>_timeouts` and the series.
 * `meaning` is `latency` when each operation is a user-visible one timed once (the run's response time merges those),
 * `duration` for a subset or a sweep of deliberately bad settings; `noun` names what one operation is (`requests`).
 */
export function operationMetrics(name: string, spec: { meaning: Extract<MetricMeaning, 'latency' | 'duration'>; description: string; noun: string; errors?: string; timeouts?: string; dropped?: string }): OperationMetrics {
  const part = (role: OperationRole) => ({ operation: { name, role } });
  const duration = metric.trend({ name: `${name}_duration`, meaning: spec.meaning, unit: unit.ms, description: spec.description, ...part('duration') });
  const errors = metric.rate({ name: `${name}_errors`, better: 'lower', description: spec.errors ?? `${spec.noun} that did not succeed (failed, timed out or dropped) over ${spec.noun} attempted`, ...part('errors') });
  const errorKinds = metric.counter({ name: `${name}_error_kinds`, meaning: 'defects', perSecond: true, unit: unit.count(spec.noun), description: `failed ${spec.noun} by error kind (\`dropped\`: never started)`, ...part('errorKinds') });
  const dropped = metric.counter({ name: `${name}_dropped`, meaning: 'defects', perSecond: true, unit: unit.count(spec.noun), description: spec.dropped ?? `${spec.noun} the open loop could not start: every slot busy`, ...part('dropped') });
  const timeouts = metric.counter({ name: `${name}_timeouts`, meaning: 'defects', perSecond: true, unit: unit.count(spec.noun), description: spec.timeouts ?? `${spec.noun} that hit their timeout`, ...part('timeouts') });
  return {
    duration, errors, errorKinds, dropped, timeouts,
    // Operations and errors per second add up across segments; a per-second p95 cannot be rebuilt from segments' p95s.
    throughputSeries: metric.series({ name: `${name}_throughput`, unit: unit.perSecond(spec.noun), merge: 'sum' }),
    p95Series: metric.series({ name: `${name}_p95`, unit: unit.ms }),
    errorSeries: metric.series({ name: `${name}_errors_per_s`, unit: unit.perSecond('errors'), merge: 'sum' }),
    all: [duration, errors, errorKinds, dropped, timeouts],
  };
}

export interface RecorderOptions {
  registry: MetricRegistry;
  /** The family it records into (`operationMetrics('query', …)` gives `query_duration`, `query_errors`, …). */
  metrics: OperationMetrics;
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
  private readonly metrics: OperationMetrics;
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
    this.metrics = opts.metrics;
    this.tags = opts.tags ?? {};
    this.elapsed = opts.elapsed;
    const m = opts.metrics;
    this.duration = opts.registry.trend(m.duration, this.tags);
    this.errors = opts.registry.rate(m.errors, this.tags);
    this.throughputSeries = opts.registry.timeSeries(m.throughputSeries, this.tags);
    this.p95Series = opts.registry.timeSeries(m.p95Series, this.tags);
    this.errorSeries = opts.registry.timeSeries(m.errorSeries, this.tags);
    if (opts.outcomeCounters) {
      opts.registry.counter(m.dropped, this.tags);
      opts.registry.counter(m.timeouts, this.tags);
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
      this.registry.counter(this.metrics.timeouts, this.tags).add();
    } else {
      this.failed++;
    }
    this.registry.counter(this.metrics.errorKinds, { ...this.tags, kind: errorKind(err) }).add();
    // Keep a few messages for the report; they are redacted when the result is built.
    if (this.lastErrors.length < 5) this.lastErrors.push(err instanceof Error ? err.message : String(err));
  }

  /** Iterations an open loop could not start (every VU busy, backlog full or left at the end): attempts that failed. */
  dropped(n: number): void {
    if (n <= 0) return;
    this.droppedCount += n;
    for (let i = 0; i < n; i++) this.errors.add(true);
    this.intervalErrors += n;
    this.registry.counter(this.metrics.dropped, this.tags).add(n);
    this.registry.counter(this.metrics.errorKinds, { ...this.tags, kind: 'dropped' }).add(n);
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
