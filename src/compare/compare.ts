// Compares two run results metric by metric: trend percentiles come from the decoded histograms, never from summaries.
import { metricKey } from '../metrics/registry.js';
import { Trend } from '../metrics/trend.js';
import type { CheckResult, RunResult, SerializedMetric } from '../result/model.js';
import type { Comparison, Direction, MetricChange, RunRef, StatusChange } from './model.js';

export interface CompareOptions {
  /** Allowed worsening as a ratio (0.1 = 10 %). */
  maxRegression: number;
  /** Latency changes smaller than this (ms) are never regressions. */
  minDeltaMs?: number;
}

/** The percentiles shown for a trend; the regression is decided on p95 alone (p99 of a short run is too noisy to gate on). */
const TREND_STATS = [50, 95, 99] as const;
const JUDGED_PERCENTILE = 95;
/** A rate must also move by at least 0.1 percentage point: 1 error in 2,000 requests becoming 2 is not a regression. */
const MIN_RATE_DELTA = 0.001;
const BAD_RATE = /error|fail|timeout|miss|drop|reject|evict|orphan|retr/i;
const THROUGHPUT = /throughput|_rps$|per_s(ec)?$/i;

export function compareRuns(baseline: RunResult, current: RunResult, opts: CompareOptions): Comparison {
  const minDeltaMs = opts.minDeltaMs ?? 0;
  const base = indexMetrics(baseline.checks);
  const cur = indexMetrics(current.checks);
  const changes: MetricChange[] = [];
  for (const [key, c] of cur) {
    const b = base.get(key);
    if (!b || b.metric.type !== c.metric.type) continue;
    changes.push(...metricChanges(c.checkId, b.metric, c.metric, opts.maxRegression, minDeltaMs));
  }
  const label = (k: string) => k.replace('\u0000', ': ').replace(/: (trend|rate|counter|gauge):/, ': ');
  return {
    baseline: runRef(baseline),
    current: runRef(current),
    maxRegression: opts.maxRegression,
    minDeltaMs,
    changes,
    regressions: changes.filter((c) => c.regression),
    statusChanges: statusChanges(baseline.checks, current.checks),
    onlyInBaseline: [...base.keys()].filter((k) => !cur.has(k)).map(label),
    onlyInCurrent: [...cur.keys()].filter((k) => !base.has(k)).map(label),
  };
}

function runRef(r: RunResult): RunRef {
  return { startedAt: r.startedAt, mode: r.mode, version: r.environment.tool.version };
}

function indexMetrics(checks: CheckResult[]): Map<string, { checkId: string; metric: SerializedMetric }> {
  const out = new Map<string, { checkId: string; metric: SerializedMetric }>();
  for (const c of checks) {
    for (const m of c.metrics) out.set(`${c.id}\u0000${m.type}:${metricKey(m.name, m.tags)}`, { checkId: c.id, metric: m });
  }
  return out;
}

function statusChanges(baseline: CheckResult[], current: CheckResult[]): StatusChange[] {
  const before = new Map(baseline.map((c) => [c.id, c.status]));
  const out: StatusChange[] = [];
  for (const c of current) {
    const b = before.get(c.id);
    if (b && b !== c.status) out.push({ checkId: c.id, baseline: b, current: c.status });
  }
  return out;
}

/** Relative change; null when the baseline is zero (any change from nothing has no meaningful percentage). */
export function relativeChange(baseline: number, current: number): number | null {
  if (baseline === 0) return current === 0 ? 0 : null;
  return (current - baseline) / Math.abs(baseline);
}

/** Worse by more than the margin in the bad direction (and by more than `minDelta` in absolute terms). */
export function isWorse(better: Direction, baseline: number, current: number, margin: number, minDelta: number): boolean {
  if (better === 'none') return false;
  const delta = better === 'lower' ? current - baseline : baseline - current;
  if (delta <= minDelta) return false;
  if (baseline === 0) return true;
  return delta / Math.abs(baseline) > margin;
}

function metricChanges(checkId: string, b: SerializedMetric, c: SerializedMetric, margin: number, minDeltaMs: number): MetricChange[] {
  const metric = metricKey(c.name, c.tags);
  const make = (stat: string, bv: number, cv: number, better: Direction, judged: boolean, minDelta: number): MetricChange => ({
    checkId, metric, stat, unit: c.unit, baseline: bv, current: cv, change: relativeChange(bv, cv), better, judged,
    regression: judged && isWorse(better, bv, cv, margin, minDelta),
  });
  switch (c.type) {
    case 'trend': {
      if (b.type !== 'trend') return [];
      const bt = Trend.decode(b.histogram);
      const ct = Trend.decode(c.histogram);
      if (bt.count === 0 || ct.count === 0) return [];
      const minDelta = c.unit === 'ms' ? minDeltaMs : 0;
      return TREND_STATS.map((p) => make(`p${p}`, bt.percentile(p), ct.percentile(p), 'lower', p === JUDGED_PERCENTILE, minDelta));
    }
    case 'rate': {
      if (b.type !== 'rate' || b.total === 0 || c.total === 0) return [];
      return [make('rate', b.value, c.value, BAD_RATE.test(c.name) ? 'lower' : 'higher', true, MIN_RATE_DELTA)];
    }
    case 'gauge': {
      if (b.type !== 'gauge') return [];
      const tput = THROUGHPUT.test(c.name) || c.unit === 'req/s';
      return [make('value', b.value, c.value, tput ? 'higher' : 'none', tput, 0)];
    }
    case 'counter': {
      if (b.type !== 'counter') return [];
      return [make('count', b.count, c.count, 'none', false, 0)];
    }
  }
}
