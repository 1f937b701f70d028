// Evaluates parsed thresholds against serialised metrics, so a verdict is the same live and when re-read from run.json.
import { mergeTrends } from '../metrics/serialize.js';
import type { CheckStatus, SerializedMetric, ThresholdOutcome, TrendMetric } from '../result/model.js';
import { compare, type MetricSelector, type ThresholdExpr } from './threshold-parser.js';

export interface ThresholdRule {
  selector: MetricSelector;
  expr: ThresholdExpr;
  level: 'fail' | 'warn';
  source: string;
}

function matches(m: SerializedMetric, sel: MetricSelector): boolean {
  if (m.name !== sel.name) return false;
  return Object.entries(sel.tags).every(([k, v]) => m.tags[k] === v);
}

/** The value an aggregate takes over every metric the selector matches (trends merged, rates and counters summed). */
export function aggregateValue(metrics: SerializedMetric[], rule: ThresholdRule): number | null {
  const hits = metrics.filter((m) => matches(m, rule.selector));
  if (hits.length === 0) return null;
  const agg = rule.expr.aggregate;
  const type = hits[0]!.type;
  if (type === 'trend') {
    const trend = mergeTrends(hits.filter((m): m is TrendMetric => m.type === 'trend'));
    const s = trend.summary();
    // An empty histogram has no percentiles: a query that never succeeded must not "pass" its latency threshold.
    if (s.count === 0 && agg.kind !== 'count') return null;
    switch (agg.kind) {
      case 'percentile': return trend.percentile(agg.p);
      case 'avg': return s.mean;
      case 'min': return s.min;
      case 'max': return s.max;
      case 'med': return trend.percentile(50);
      case 'count': return s.count;
      case 'stdev': return s.stdev;
      default: return null;
    }
  }
  if (type === 'rate') {
    let h = 0;
    let t = 0;
    for (const m of hits) if (m.type === 'rate') { h += m.hits; t += m.total; }
    if (agg.kind === 'rate' || agg.kind === 'value') return t === 0 ? null : h / t;
    if (agg.kind === 'count') return h;
    return null;
  }
  if (type === 'counter') {
    let count = 0;
    let perSecond = 0;
    let rated = true;
    for (const m of hits) {
      if (m.type !== 'counter') continue;
      count += m.count;
      if (m.perSecond === undefined) rated = false;
      else perSecond += m.perSecond;
    }
    if (agg.kind === 'count' || agg.kind === 'value') return count;
    // Only a counter declared per-second has a rate; 0/s for orphaned rows would be a figure that means nothing.
    if (agg.kind === 'rate') return rated ? perSecond : null;
    return null;
  }
  const gauges = hits.filter((m) => m.type === 'gauge');
  switch (agg.kind) {
    case 'value': return gauges[gauges.length - 1]!.value;
    case 'min': return Math.min(...gauges.map((g) => g.min));
    case 'max': return Math.max(...gauges.map((g) => g.max));
    default: return null;
  }
}

/** The unit an aggregate's value is in, so reports can print `134 ms`, `2.0%` or `3 rows` without guessing. */
function unitOf(metrics: SerializedMetric[], rule: ThresholdRule): string {
  const m = metrics.find((x) => matches(x, rule.selector));
  const kind = rule.expr.aggregate.kind;
  if (!m) return '';
  if (kind === 'count') return 'count';
  if (m.type === 'rate') return 'ratio';
  if (m.type === 'counter') return kind === 'rate' ? '/s' : m.unit;
  return m.unit;
}

export function evaluateThresholds(metrics: SerializedMetric[], rules: ThresholdRule[]): ThresholdOutcome[] {
  return rules.map((rule) => {
    const actual = aggregateValue(metrics, rule);
    // A threshold on a metric that was never recorded cannot pass: silence is not success.
    const ok = actual !== null && compare(actual, rule.expr.op, rule.expr.value);
    return { metric: rule.selector.source, expression: rule.expr.source, level: rule.level, ok, actual, unit: unitOf(metrics, rule), source: rule.source };
  });
}

/**
 * A check's status comes only from its threshold outcomes: a fail threshold missed as measured fails; one missed while
 * the client was saturated (marked `untrusted`) makes the check untrusted, never a pass or a warning; then warnings.
 */
export function statusFromOutcomes(outcomes: ThresholdOutcome[]): CheckStatus {
  const missed = outcomes.filter((o) => !o.ok);
  if (missed.some((o) => o.level === 'fail' && !o.untrusted)) return 'fail';
  if (missed.some((o) => o.level === 'fail')) return 'untrusted';
  if (missed.some((o) => o.level === 'warn')) return 'warn';
  return 'pass';
}
