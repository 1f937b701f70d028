// Metric declarations, k6-style: a metric is declared once, with everything that says what it means, and recorded only
// through its declaration.
//
// Declaring a metric (see docs/architecture.md, "Declaring a metric"):
//
//   const POOL_WAIT = metric.trend({ name: 'pool_wait_duration', meaning: 'duration', unit: unit.ms,
//     description: 'The part of a request spent waiting for a pooled connection' });
//   const TIMEOUTS = metric.counter({ name: 'acquire_timeouts', meaning: 'defects', unit: unit.count('acquires'), perSecond: true });
//   export const contention: Check = { ..., metrics: [POOL_WAIT, TIMEOUTS], run(ctx) {
//     ctx.metrics.trend(POOL_WAIT, { pool: 'app' }).record(ms);   // a TrendDecl only: a counter's declaration is a type error
//     ctx.metrics.counter(TIMEOUTS).add();
//   } };
//
// - `meaning` (src/metrics/meaning.ts) is required; `better` defaults to what the meaning implies (latency, duration,
//   defects: lower; throughput: higher; the rest: none) and is best said whenever the figure has a direction.
// - `unit` comes from the closed set in src/metrics/unit.ts; its display string (`ms`, `tasks/s`, `connections`) and its
//   Prometheus base unit follow from it. Rates are always ratios.
// - Each Check lists what it records in `metrics` (src/checks/types.ts), so thresholds are validated against it before
//   anything runs: an unknown name or an aggregate the type has not (a percentile of a rate) is a config error.
// - Metrics a family of operations records together (`<op>_duration`, `<op>_errors`, …) are declared by one function
//   (src/exec/recorder.ts `operationMetrics`), so every check gives them the same meaning.
import type { Better, MetricBasis, MetricMeaning, OperationPart } from './meaning.js';
import { impliedBetter } from './meaning.js';
import { unit as units, unitLabel, type Unit } from './unit.js';

export type MetricType = 'trend' | 'rate' | 'counter' | 'gauge' | 'series';

export interface DeclOf<T extends MetricType> {
  readonly name: string;
  readonly type: T;
  readonly meaning: MetricMeaning;
  readonly better: Better;
  readonly unit: Unit;
  readonly description?: string;
  readonly basis?: MetricBasis;
  /** Trends: the trend this one is the no-op control of (see MetricMeta.controlFor). */
  readonly controlFor?: string;
  /** Counters: true when a per-second rate of the count means something (requests, not defects found). */
  readonly perSecond?: boolean;
  /** The operation the figure is part of (see MetricMeta.operation). */
  readonly operation?: OperationPart;
  /** Series: how `stackprobe merge` combines the segments' series of this name (see SeriesMerge); absent: kept apart. */
  readonly merge?: SeriesMerge;
}

/**
 * How one per-second series combines when `stackprobe merge` joins segments: `sum` adds the segments' values by second
 * (requests, errors), `same` takes one segment's (a level every segment records for the whole run). A series declared
 * without one stays apart in the merged result, tagged with its segment: a per-second percentile of several machines
 * cannot be rebuilt from their per-second percentiles.
 */
export type SeriesMerge = 'sum' | 'same';

/** A declaration; `MetricDecl` alone is the union of every type's, so narrowing on `type` gives the right one. */
export type MetricDecl<T extends MetricType = MetricType> = T extends MetricType ? DeclOf<T> : never;
export type TrendDecl = MetricDecl<'trend'>;
export type RateDecl = MetricDecl<'rate'>;
export type CounterDecl = MetricDecl<'counter'>;
export type GaugeDecl = MetricDecl<'gauge'>;
export type SeriesDecl = MetricDecl<'series'>;

interface Spec {
  name: string;
  meaning: MetricMeaning;
  unit: Unit;
  better?: Better;
  description?: string;
  basis?: MetricBasis;
  operation?: OperationPart;
}

const NAME = /^[a-z][a-z0-9_]*$/;

function make<T extends MetricType>(type: T, spec: Spec & Partial<Pick<DeclOf<T>, 'controlFor' | 'perSecond' | 'merge'>>): MetricDecl<T> {
  // Names are thresholds' selectors and Prometheus names: lower snake case, checked once where they are declared.
  if (!NAME.test(spec.name)) throw new Error(`metric name ${JSON.stringify(spec.name)} is not lower snake case`);
  return Object.freeze({ ...spec, type, better: spec.better ?? impliedBetter(spec.meaning) }) as DeclOf<T> as MetricDecl<T>;
}

/** The declarations: `metric.trend({...})`, `metric.rate({...})`, … Each returns a frozen declaration of its type. */
export const metric = {
  /** A distribution (HDR histogram): latencies and durations, or any value whose percentiles matter. */
  trend: (spec: Spec & { controlFor?: string }): TrendDecl => make('trend', spec),
  /** A share of observations (hits over total), always a ratio. */
  rate: (spec: Omit<Spec, 'unit' | 'meaning'> & { meaning?: MetricMeaning }): RateDecl => make('rate', { meaning: 'share', ...spec, unit: units.ratio }),
  /** Events or things counted. */
  counter: (spec: Spec & { perSecond?: boolean }): CounterDecl => make('counter', spec),
  /** A value set over time (its last value, min and max kept). */
  gauge: (spec: Spec): GaugeDecl => make('gauge', spec),
  /**
   * A one-second time series (the caller owns the clock); it plots a figure, so it has a unit and no verdict of its own,
   * and says how segments' series of it merge (`merge`; absent: kept apart, tagged with their segment).
   */
  series: (spec: { name: string; unit: Unit; description?: string; merge?: SeriesMerge }): SeriesDecl => make('series', { ...spec, meaning: 'state', better: 'none' }),
};

/** The merge rules of a check's series, by name, for its MergeHooks.series: only the series declared with one. */
export function seriesMerges(decls: readonly SeriesDecl[]): Record<string, SeriesMerge> {
  const out: Record<string, SeriesMerge> = {};
  for (const d of decls) if (d.merge) out[d.name] = d.merge;
  return out;
}

/** Two declarations of one name must agree: one name, one meaning, whichever check or family declared it. */
export function sameDeclaration(a: MetricDecl, b: MetricDecl): boolean {
  return a === b || (a.name === b.name && a.type === b.type && a.meaning === b.meaning && a.better === b.better
    && unitLabel(a.unit) === unitLabel(b.unit) && a.basis === b.basis && a.controlFor === b.controlFor
    && a.perSecond === b.perSecond && a.operation?.name === b.operation?.name && a.operation?.role === b.operation?.role
    && a.merge === b.merge);
}

/** The aggregates a threshold may take of each type, as the evaluator computes them (src/verdict/evaluate.ts). */
export function aggregatesOf(d: MetricDecl): readonly string[] {
  switch (d.type) {
    case 'trend': return ['percentile', 'avg', 'min', 'max', 'med', 'count', 'stdev'];
    case 'rate': return ['rate', 'value', 'count'];
    case 'counter': return d.perSecond ? ['count', 'value', 'rate'] : ['count', 'value'];
    case 'gauge': return ['value', 'min', 'max'];
    case 'series': return [];
  }
}
