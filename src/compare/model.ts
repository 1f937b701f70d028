import type { TargetDifference } from './targets.js';

// The comparison model: how each metric of a current run moved against a baseline run, and which moves are regressions.

/** Which way is better for a figure; `none` means the change is shown but never judged (a gauge of unknown meaning). */
export type Direction = 'lower' | 'higher' | 'none';

export interface MetricChange {
  checkId: string;
  /** `query_duration{query:point_lookup}`, the spelling thresholds use. */
  metric: string;
  /** The figure compared: `p50`, `p95`, `p99` of a trend, `rate`, `value` of a gauge, `count` of a counter. */
  stat: string;
  unit: string;
  baseline: number;
  current: number;
  /** (current - baseline) / baseline; null when the baseline is 0. */
  change: number | null;
  /** From the metric's declared `better` (run.json), never from its name; `none` when undeclared. */
  better: Direction;
  /**
   * How far apart the two figures may be by chance (src/compare/noise.ts): for a percentile both runs' intervals plus
   * the environment's shift (a declared control's, else both runs' tail spreads); binomial for rates, Poisson for event
   * counters, the per-second spread for timing gauges; 0 for exact readings (defects, catalog figures).
   */
  noise?: number;
  /**
   * Set on a timing figure (latency, duration, throughput) of a check that either run measured while stackprobe's own
   * client was saturated (`info.measurement_saturation` in run.json). Judged all the same: the client's delays are in
   * the control's shift and the tail spread the noise is taken from, so they widen the noise instead of faking a change.
   */
  saturated?: boolean;
  /** True when this figure is judged and it got worse beyond the noise and the margin. */
  regression: boolean;
  /**
   * True for the figures a regression is decided on: a trend's p50 and p95 with enough samples in both runs (40 and
   * 400), rates, counters, and gauges with a declared direction (a timing gauge only with a per-second series); only
   * figures the run measured (src/metrics/meaning.ts `basis`), never a control.
   */
  judged: boolean;
  /** Why a figure is shown and not judged (too few samples, computed, cumulative, a control, a saturated client). */
  unjudged?: string;
  /** A share better high, judged on what it misses (1 − value). */
  share?: boolean;
}

export interface OneSidedFigure {
  checkId: string;
  metric: string;
  stat: string;
  unit: string;
  /** The run the figure is in. */
  side: 'baseline' | 'current';
  value: number;
}

export interface StatusChange {
  checkId: string;
  baseline: string;
  current: string;
  /** pass → warn, pass → fail, warn → fail: a regression on its own, whatever the figures say. */
  worsened: boolean;
}

export interface RunRef {
  startedAt: string;
  mode: string;
  version: string;
}

/** One category's p95 latency in both runs (its `latency` trends merged), shown beside the per-metric table. */
export interface CategoryLatencyChange {
  category: string;
  baselineP95: number;
  currentP95: number;
  /** Operations timed in each run. */
  baselineCount: number;
  currentCount: number;
  change: number | null;
}

export interface Comparison {
  baseline: RunRef;
  current: RunRef;
  /** The allowed worsening as a ratio: 0.1 is 10 %. A regression must exceed both this and the measured noise. */
  maxRegression: number;
  /** Changes below this many ms are never regressions (a 0.2 ms query going to 0.3 ms is noise, not +50 %). */
  minDeltaMs: number;
  changes: MetricChange[];
  regressions: MetricChange[];
  statusChanges: StatusChange[];
  /** The status changes that are regressions (`worsened`). */
  statusRegressions: StatusChange[];
  /** Metric keys (`check: metric`) present in only one of the runs. */
  onlyInBaseline: string[];
  onlyInCurrent: string[];
  /**
   * The figures of those metrics, with the missing side NaN: a task or key pattern that is new or gone is a row of its
   * own under `--all` (its figure beside "—"), never judged: there is nothing to measure a change against.
   */
  oneSided: OneSidedFigure[];
  /** Services whose server differs between the runs (host, port or database; credentials never shown). */
  targetDifferences: TargetDifference[];
  /** p95 per category, each operation once: what moved, without the most numerous operations drowning the rest. */
  categoryLatency: CategoryLatencyChange[];
}
