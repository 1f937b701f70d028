// Compares two run results: statuses that worsened, and each figure judged in its declared direction against the noise
// both runs measured. Trend percentiles come from the decoded histograms, never from summaries; nothing reads a name.
import { metricKey } from '../metrics/registry.js';
import { Trend } from '../metrics/trend.js';
import type { CheckResult, CheckStatus, RunResult, SerializedMetric, TimeSeries } from '../result/model.js';
import type { CategoryLatencyChange, Comparison, Direction, MetricChange, RunRef, StatusChange } from './model.js';
import { latencyByCategory } from './latency.js';
import { targetDifferences } from './targets.js';
import { binomialHalfWidth, percentileHalfWidth, poissonHalfWidth, seriesHalfWidth } from './noise.js';

export interface CompareOptions {
  /** The smallest worsening that matters, as a ratio (0.1 = 10 %); a regression must also exceed the noise. */
  maxRegression: number;
  /** Latency changes smaller than this (ms) are never regressions. */
  minDeltaMs?: number;
}

/** The percentiles shown for a trend; the regression is decided on p95 alone (p99 of a short run is too noisy to gate on). */
const TREND_STATS = [50, 95, 99] as const;
const JUDGED_PERCENTILE = 95;
/** A share must also move by at least 0.1 percentage point: 1 error in 2,000 requests becoming 2 is not a regression. */
const MIN_SHARE_DELTA = 0.001;
/** Skipped and untrusted checks have no verdict on the system to compare: shown, never judged. */
const RANK: Record<CheckStatus, number> = { pass: 0, warn: 1, fail: 2, untrusted: -1, skip: -1 };

interface Indexed {
  checkId: string;
  metric: SerializedMetric;
  series: TimeSeries[];
  /** The check measured while its client or host was saturated (its `info.measurement_saturation`, from src/resources/saturation.ts). */
  saturated: boolean;
}

/** Timing figures: what a saturated client or host changes without anything changing in the system measured. */
const TIMING = new Set(['latency', 'duration', 'throughput']);

/** True when the run recorded a saturation report for the check (`info.measurement_saturation`) that says saturated. */
export function checkSaturated(c: CheckResult): boolean {
  const s = c.info.measurement_saturation as { saturated?: unknown } | undefined;
  return s?.saturated === true;
}

export function compareRuns(baseline: RunResult, current: RunResult, opts: CompareOptions): Comparison {
  const minDeltaMs = opts.minDeltaMs ?? 0;
  const base = indexMetrics(baseline.checks);
  const cur = indexMetrics(current.checks);
  const changes: MetricChange[] = [];
  for (const [key, c] of cur) {
    const b = base.get(key);
    if (!b || b.metric.type !== c.metric.type) continue;
    changes.push(...metricChanges(b, c, opts.maxRegression, minDeltaMs));
  }
  const label = (k: string) => k.replace('\u0000', ': ').replace(/: (trend|rate|counter|gauge):/, ': ');
  const statuses = statusChanges(baseline.checks, current.checks);
  return {
    baseline: runRef(baseline),
    current: runRef(current),
    maxRegression: opts.maxRegression,
    minDeltaMs,
    changes,
    regressions: changes.filter((c) => c.regression),
    statusChanges: statuses,
    statusRegressions: statuses.filter((s) => s.worsened),
    onlyInBaseline: [...base.keys()].filter((k) => !cur.has(k)).map(label),
    onlyInCurrent: [...cur.keys()].filter((k) => !base.has(k)).map(label),
    targetDifferences: targetDifferences(baseline, current),
    categoryLatency: categoryLatencyChanges(baseline, current),
  };
}

function categoryLatencyChanges(baseline: RunResult, current: RunResult): CategoryLatencyChange[] {
  const before = new Map(latencyByCategory(baseline).map((c) => [c.category, c.summary]));
  const out: CategoryLatencyChange[] = [];
  for (const c of latencyByCategory(current)) {
    const b = before.get(c.category);
    if (!b) continue;
    const bp = b.percentiles.p95 ?? Number.NaN;
    const cp = c.summary.percentiles.p95 ?? Number.NaN;
    out.push({ category: c.category, baselineP95: bp, currentP95: cp, baselineCount: b.count, currentCount: c.summary.count, change: relativeChange(bp, cp) });
  }
  return out;
}

/** True when the comparison should fail a CI job: a figure or a check status regressed. */
export function hasRegression(cmp: Comparison): boolean {
  return cmp.regressions.length > 0 || cmp.statusRegressions.length > 0;
}

function runRef(r: RunResult): RunRef {
  return { startedAt: r.startedAt, mode: r.mode, version: r.environment.tool.version };
}

function indexMetrics(checks: CheckResult[]): Map<string, Indexed> {
  const out = new Map<string, Indexed>();
  for (const c of checks) {
    const saturated = checkSaturated(c);
    for (const m of c.metrics) out.set(`${c.id}\u0000${m.type}:${metricKey(m.name, m.tags)}`, { checkId: c.id, metric: m, series: c.timeSeries, saturated });
  }
  return out;
}

/** A check that ran in both runs and got a worse status: pass → warn → fail. A skip on either side is shown, not judged. */
export function statusWorsened(baseline: CheckStatus, current: CheckStatus): boolean {
  return RANK[baseline] >= 0 && RANK[current] >= 0 && RANK[current] > RANK[baseline];
}

function statusChanges(baseline: CheckResult[], current: CheckResult[]): StatusChange[] {
  const before = new Map(baseline.map((c) => [c.id, c.status]));
  const out: StatusChange[] = [];
  for (const c of current) {
    const b = before.get(c.id);
    if (b && b !== c.status) out.push({ checkId: c.id, baseline: b, current: c.status, worsened: statusWorsened(b, c.status) });
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

export interface Judgement {
  better: Direction;
  /** Relative margin; 0 for defects (any growth counts). */
  margin: number;
  minDelta: number;
  /** Sum of both runs' half-widths. */
  noise: number;
  /** A share in 0..1: judged on its bad side (1 − a hit rate), so 99 % → 95 % is five times the misses, not −4 %. */
  share: boolean;
}

/** Worse in the declared direction by more than the noise, the absolute floor and the margin. */
export function isRegression(b: number, c: number, j: Judgement): boolean {
  if (j.better === 'none') return false;
  const delta = j.better === 'lower' ? c - b : b - c;
  if (delta <= j.noise) return false;
  if (j.share && j.better === 'higher') return isWorse('lower', 1 - b, 1 - c, j.margin, j.minDelta);
  return isWorse(j.better, b, c, j.margin, j.minDelta);
}

function seriesValues(series: TimeSeries[], name: string, tags: Record<string, string>): number[] {
  const key = metricKey(name, tags);
  return series.find((s) => metricKey(s.name, s.tags) === key)?.points.map((p) => p[1]) ?? [];
}

/** The p95's half-width: the wider of its percentile interval and the dispersion of the operation's per-second p95. */
function trendNoise(x: Indexed, t: Trend): number {
  const m = x.metric;
  const sampling = percentileHalfWidth(t, JUDGED_PERCENTILE);
  // The Recorder writes `<op>_duration` with a per-second `<op>_p95` beside it (same tags): a structural pairing.
  const perSecond = m.name.endsWith('_duration') ? seriesHalfWidth(seriesValues(x.series, `${m.name.slice(0, -'_duration'.length)}_p95`, m.tags).filter((v) => v > 0)) : undefined;
  return Math.max(sampling, perSecond ?? 0);
}

function metricChanges(bx: Indexed, cx: Indexed, margin: number, minDeltaMs: number): MetricChange[] {
  const b = bx.metric;
  const c = cx.metric;
  const metric = metricKey(c.name, c.tags);
  const better: Direction = c.better ?? 'none';
  // A timing figure of a check measured on a saturated client or host in either run is shown, never a regression.
  const saturated = (bx.saturated || cx.saturated) && c.meaning !== undefined && TIMING.has(c.meaning);
  const make = (stat: string, bv: number, cv: number, judged: boolean, j?: Omit<Judgement, 'better'>): MetricChange => {
    const on = judged && better !== 'none' && j !== undefined;
    const worse = on && isRegression(bv, cv, { better, ...j });
    return {
      checkId: cx.checkId, metric, stat, unit: c.unit, baseline: bv, current: cv, change: relativeChange(bv, cv), better, judged: on,
      ...(on ? { noise: j.noise } : {}),
      ...(on && saturated ? { saturated: true } : {}),
      regression: worse && !saturated,
    };
  };
  switch (c.type) {
    case 'trend': {
      if (b.type !== 'trend') return [];
      const bt = Trend.decode(b.histogram);
      const ct = Trend.decode(c.histogram);
      if (bt.count === 0 || ct.count === 0) return [];
      const j = { margin, minDelta: c.unit === 'ms' ? minDeltaMs : 0, noise: trendNoise(bx, bt) + trendNoise(cx, ct), share: false };
      return TREND_STATS.map((p) => make(`p${p}`, bt.percentile(p), ct.percentile(p), p === JUDGED_PERCENTILE, j));
    }
    case 'rate': {
      if (b.type !== 'rate' || b.total === 0 || c.total === 0) return [];
      const noise = binomialHalfWidth(b.hits, b.total) + binomialHalfWidth(c.hits, c.total);
      return [make('rate', b.value, c.value, true, { margin, minDelta: MIN_SHARE_DELTA, noise, share: true })];
    }
    case 'gauge': {
      if (b.type !== 'gauge') return [];
      // A gauge with a per-second series of the same name (throughput) has measured noise; a catalog figure has none.
      const noise = (seriesHalfWidth(seriesValues(bx.series, b.name, b.tags)) ?? 0) + (seriesHalfWidth(seriesValues(cx.series, c.name, c.tags)) ?? 0);
      const share = c.meaning === 'share';
      return [make('value', b.value, c.value, true, { margin, minDelta: share ? MIN_SHARE_DELTA : 0, noise, share })];
    }
    case 'counter': {
      if (b.type !== 'counter') return [];
      // Events counted over time (declared per-second) vary like Poisson counts; defects found by inspection are exact.
      const noise = c.perSecond !== undefined ? poissonHalfWidth(b.count) + poissonHalfWidth(c.count) : 0;
      const defects = c.meaning === 'defects';
      return [make('count', b.count, c.count, true, { margin: defects ? 0 : margin, minDelta: 0, noise, share: false })];
    }
  }
}
