// The Check interface every built-in check and every plugin implements, and the context a check runs in.
import type { Config, ThresholdSpec } from '../config/schema.js';
import type { MetricDecl, SeriesMerge } from '../metrics/declare.js';
import type { MetricRegistry } from '../metrics/registry.js';
import type { CheckResult, Finding, Headline, Mode, Rating } from '../result/model.js';
import type { CeleryTarget } from '../targets/celery/target.js';
import type { PgTarget } from '../targets/pg/target.js';
import type { RedisTarget } from '../targets/redis/target.js';
import type { Logger } from '../util/logger.js';

/** Services a check can need; a check whose needs are not configured is `skip` with the reason. */
export type Need = 'pg' | 'redis' | 'celery' | 'bullmq';

export interface Targets {
  pg?: PgTarget;
  redis?: RedisTarget;
  celery?: CeleryTarget;
}

export interface CheckContext {
  readonly config: Config;
  readonly mode: Mode;
  readonly readOnly: boolean;
  /** Aborts on Ctrl-C and when the check's time budget runs out; pass it to executors and waits. */
  readonly signal: AbortSignal;
  readonly targets: Targets;
  readonly metrics: MetricRegistry;
  readonly log: Logger;
  /** Seconds since this check started (monotonic), the x axis of time series. */
  elapsed(): number;
  finding(finding: Finding): void;
  /** Rates a value on one of the config's bands and keeps the rating in the result. */
  rate(kind: Rating['kind'], metric: string, value: number): void;
  /** A figure to show with the check (scale, row counts, …); never a credential. */
  info(key: string, value: unknown): void;
  /** A short line for the live progress view. */
  progress(text: string): void;
  /** Runs after the check, success or not, also on Ctrl-C (last registered runs first). */
  defer(cleanup: () => unknown): void;
  /**
   * A resource shared by several checks of one run (e.g. the workload schema): made once on first use,
   * cleaned up when the run ends. A failure to make it is remembered and rethrown to every later user.
   * `make` gets the run's targets, not the check's: what it opens outlives the check, so it must not be among the
   * sessions the check's end closes (the workload's member session was, and each run waited a second for it).
   */
  shared<T>(key: string, make: (targets: Targets) => Promise<T>, cleanup?: (value: T) => unknown): Promise<T>;
}

/** How one per-second series combines across segments; declared on the series (src/metrics/declare.ts). */
export type { SeriesMerge };

/** What `stackprobe merge` does with a check's results beyond adding its metrics up (histograms added, counts summed). */
export interface MergeHooks {
  /**
   * Recomputes what the check derives from other figures (a stage analysis, a score) from the merged result, where a
   * merged derived figure would only keep one segment's value. Called once every check is merged; `run` holds them all,
   * for a check whose figures come from other checks. The merged thresholds are judged again on what it returns.
   */
  rederive?(merged: CheckResult, run: readonly CheckResult[]): Pick<CheckResult, 'metrics' | 'info' | 'findings'>;
  /** The series that combine across segments, by name: `seriesMerges(...)` of the series' declarations. */
  series?: Readonly<Record<string, SeriesMerge>>;
}

/**
 * What the `headline` hook draws from: the check's figures so far. While the check runs (the live view) `metrics` is
 * empty and `findings` holds what it has found so far; at its end, everything it recorded.
 */
export type HeadlineView = Pick<CheckResult, 'timeSeries' | 'info' | 'metrics' | 'findings'>;

export interface Check {
  /** `category.name`, e.g. `queries.basic`; plugins choose their own. */
  id: string;
  category: string;
  title: string;
  needs: Need[];
  /** Services the check uses when they are configured but can do without (e.g. load steps on Redis); opened for it. */
  uses?: Need[];
  /** True when the check writes (creates a schema, inserts): it is skipped under --read-only. */
  writes?: boolean;
  /**
   * Every metric the check records, declared (src/metrics/declare.ts); a function when the set depends on the config
   * (the steps of a load profile). Thresholds are validated against it before anything runs.
   */
  metrics?: readonly MetricDecl[] | ((config: Config) => readonly MetricDecl[]);
  /** Default thresholds per metric selector, derived from the config's thresholds (never literals in run()). */
  thresholds?: (config: Config) => Record<string, ThresholdSpec[]>;
  /** What merging segment results does for this check beyond adding its metrics up. */
  merge?: MergeHooks;
  /**
   * Milliseconds a quick run of this check typically takes (measured on a 2-core host against local services): the
   * progress view's ETA scales it by the mode (src/run/estimate.ts). Absent: a typical small check's time.
   */
  typicalQuickMs?: number;
  /**
   * The chart that answers the check's question, declared from its figures (kind, titles, axes, points, marks): stored
   * in its result and drawn as it is by report.html and the live view, which never name a check. Called while the check
   * runs (the live view) and once at its end; undefined when there is nothing to draw yet.
   */
  headline?: (view: HeadlineView) => Headline | undefined;
  run(ctx: CheckContext): Promise<void>;
}
