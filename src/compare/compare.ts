// Compares two run results: checks that newly fail, and each measured figure judged in its declared direction against
// the noise both runs measured. Trend percentiles come from the decoded histograms, never from summaries; what is
// judged, and against which control, comes from each metric's declared meaning (src/metrics/meaning.ts), never a name.
import { isMeasured } from '../metrics/meaning.js';
import { metricKey } from '../metrics/registry.js';
import { Trend } from '../metrics/trend.js';
import { clientReasons, type SaturationReport } from '../resources/saturation.js';
import type { CheckResult, CheckStatus, RunResult, SerializedMetric, TimeSeries, TrendMetric } from '../result/model.js';
import type { CategoryLatencyChange, Comparison, Direction, MetricChange, OneSidedFigure, RunRef, StatusChange } from './model.js';
import { latencyByCategory } from './latency.js';
import { targetDifferences } from './targets.js';
import { binomialHalfWidth, controlDisplacement, medianReach, minSamples, percentileHalfWidth, poissonHalfWidth, seriesSpread, tailSpread } from './noise.js';

export interface CompareOptions {
  /** The smallest worsening that matters, as a ratio (0.1 = 10 %); a regression must also exceed the noise. */
  maxRegression: number;
  /** Latency changes smaller than this (ms) are never regressions. */
  minDeltaMs?: number;
}

/** The percentiles shown for a trend, and those judged (p99 needs 2,000 samples a run; a quick run rarely has them). */
const TREND_STATS = [50, 95, 99] as const;
const JUDGED_PERCENTILES: ReadonlySet<number> = new Set([50, 95]);
/** A share must also move by at least 0.1 percentage point: 1 error in 2,000 requests becoming 2 is not a regression. */
const MIN_SHARE_DELTA = 0.001;
/** Only a check that newly fails is a regression of its status: a warning is advice, and the run exits 0 on it. */
const RANK: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 1, untrusted: -1, skip: -1 };

interface Indexed {
  checkId: string;
  metric: SerializedMetric;
  series: TimeSeries[];
  /** The trends of the same check, to find a declared control. */
  siblings: SerializedMetric[];
  /** stackprobe's own client was saturated while the check measured (`info.measurement_saturation`). */
  saturated: boolean;
}

/** Timing figures: what a saturated client changes without anything changing in the system measured (marked, for people). */
const TIMING = new Set(['latency', 'duration', 'throughput']);

/**
 * True when the run recorded that stackprobe's own client was saturated while the check measured. A busy host (other
 * processes) is not: its noise is in the figures, and the comparison judges against it.
 */
export function checkSaturated(c: CheckResult): boolean {
  return clientReasons(c.info.measurement_saturation as SaturationReport | undefined).length > 0;
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
    oneSided: [
      ...[...base].filter(([k]) => !cur.has(k)).flatMap(([, x]) => oneSidedFigures(x, 'baseline')),
      ...[...cur].filter(([k]) => !base.has(k)).flatMap(([, x]) => oneSidedFigures(x, 'current')),
    ],
    targetDifferences: targetDifferences(baseline, current),
    categoryLatency: categoryLatencyChanges(baseline, current),
  };
}

/** The figures a metric of one run only is shown by: the same stats a change of it would compare. */
function oneSidedFigures(x: Indexed, side: OneSidedFigure['side']): OneSidedFigure[] {
  const m = x.metric;
  const at = (stat: string, value: number): OneSidedFigure => ({ checkId: x.checkId, metric: metricKey(m.name, m.tags), stat, unit: m.unit, side, value });
  switch (m.type) {
    case 'trend': {
      const t = Trend.decode(m.histogram);
      return t.count === 0 ? [] : TREND_STATS.map((p) => at(`p${p}`, t.percentile(p)));
    }
    case 'rate': return m.total === 0 ? [] : [at('rate', m.value)];
    case 'gauge': return [at('value', m.value)];
    case 'counter': return [at('count', m.count)];
  }
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

/** True when the comparison should fail a CI job: a figure regressed beyond the noise, or a check newly fails. */
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
    for (const m of c.metrics) out.set(`${c.id}\u0000${m.type}:${metricKey(m.name, m.tags)}`, { checkId: c.id, metric: m, series: c.timeSeries, siblings: c.metrics, saturated });
  }
  return out;
}

/**
 * A check that ran in both runs and now fails where it passed or warned. Pass → warn is shown, not judged (a warning
 * does not fail the run either); a skipped or untrusted check has no verdict on the system to compare.
 */
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
  /** How far apart the two figures may be by chance (both runs' noise together). */
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

/**
 * The change a regression is decided on, as a ratio: the relative change in the bad direction, and for a share that is
 * better high, the relative change of what it misses (1 − value). Null from zero.
 */
export function judgedChange(c: Pick<MetricChange, 'baseline' | 'current' | 'better' | 'share'>): number | null {
  if (c.share && c.better === 'higher') return relativeChange(1 - c.baseline, 1 - c.current);
  return relativeChange(c.baseline, c.current);
}

function seriesValues(series: TimeSeries[], name: string, tags: Record<string, string>): number[] {
  const key = metricKey(name, tags);
  return series.find((s) => metricKey(s.name, s.tags) === key)?.points.map((p) => p[1]) ?? [];
}

/** The trend declared the control of this one (`controlFor` its name, its tags a subset of this one's), if the check measured one. */
function controlOf(x: Indexed): Trend | undefined {
  const m = x.metric;
  const ctrl = x.siblings.find((s): s is TrendMetric => s.type === 'trend' && s.controlFor === m.name && Object.entries(s.tags).every(([k, v]) => m.tags[k] === v));
  return ctrl ? Trend.decode(ctrl.histogram) : undefined;
}

/**
 * How far a percentile of two runs of the same code may differ on their host. Sampling: both percentiles' own
 * intervals. Environment, for the median: the ranks a declared control (a no-op on the same sessions) says the host
 * moved operations by, applied to each run's own distribution, when both runs measured the control with enough
 * samples and the client kept up. For the tail, and for a median without a usable control: both runs' tail spreads
 * (p95 − p50). A control is one
 * request at a time; operations that queue behind each other on a late client pile its delays up in their tail, which
 * only the tail's own width measures.
 */
export function trendNoise(b: Trend, c: Trend, percentile: number, controls?: { b: Trend; c: Trend }): { noise: number; from: 'control' | 'spread' } {
  const sampling = percentileHalfWidth(b, percentile) + percentileHalfWidth(c, percentile);
  const need = minSamples(percentile);
  if (percentile === 50 && controls && controls.b.count >= need && controls.c.count >= need) {
    const d = controlDisplacement(controls.b, controls.c);
    return { noise: sampling + medianReach(b, d) + medianReach(c, d), from: 'control' };
  }
  return { noise: sampling + tailSpread(b) + tailSpread(c), from: 'spread' };
}

/** Why a figure is shown and not judged, or undefined when it is judged. */
function unjudgedReason(bx: Indexed, cx: Indexed): string | undefined {
  const c = cx.metric;
  if ((c.better ?? 'none') === 'none') return 'no better direction declared';
  if (c.controlFor !== undefined) return `the environment's control for ${c.controlFor}`;
  if (!isMeasured(c)) return `${c.basis ?? 'measured'}, not measured by the run`;
  return undefined;
}

function metricChanges(bx: Indexed, cx: Indexed, margin: number, minDeltaMs: number): MetricChange[] {
  const b = bx.metric;
  const c = cx.metric;
  const metric = metricKey(c.name, c.tags);
  const better: Direction = c.better ?? 'none';
  const unjudged = unjudgedReason(bx, cx);
  // Judged all the same: a saturated client's delays are in the control and the spread the noise is taken from.
  const saturated = (bx.saturated || cx.saturated) && c.meaning !== undefined && TIMING.has(c.meaning);
  const make = (stat: string, bv: number, cv: number, j: Omit<Judgement, 'better'> | string): MetricChange => {
    const why = unjudged ?? (typeof j === 'string' ? j : undefined);
    const judged = why === undefined && typeof j !== 'string';
    const share = typeof j !== 'string' && j.share;
    return {
      checkId: cx.checkId, metric, stat, unit: c.unit, baseline: bv, current: cv, change: relativeChange(bv, cv), better, judged,
      ...(typeof j !== 'string' ? { noise: j.noise } : {}),
      ...(share ? { share: true } : {}),
      ...(saturated ? { saturated: true } : {}),
      ...(why !== undefined ? { unjudged: why } : {}),
      regression: judged && isRegression(bv, cv, { better, ...j }),
    };
  };
  switch (c.type) {
    case 'trend': {
      if (b.type !== 'trend') return [];
      const bt = Trend.decode(b.histogram);
      const ct = Trend.decode(c.histogram);
      if (bt.count === 0 || ct.count === 0) return [];
      const bc = controlOf(bx);
      const cc = controlOf(cx);
      // A starved client samples its control late and in bursts: then only the tail's own width says what it added.
      const controls = bc && cc && !bx.saturated && !cx.saturated ? { b: bc, c: cc } : undefined;
      return TREND_STATS.map((p) => {
        const need = minSamples(p);
        if (!JUDGED_PERCENTILES.has(p)) return make(`p${p}`, bt.percentile(p), ct.percentile(p), 'shown only');
        if (bt.count < need || ct.count < need) return make(`p${p}`, bt.percentile(p), ct.percentile(p), `too few samples for a p${p} (${Math.min(bt.count, ct.count)} < ${need})`);
        const { noise } = trendNoise(bt, ct, p, controls);
        return make(`p${p}`, bt.percentile(p), ct.percentile(p), { margin, minDelta: c.unit === 'ms' ? minDeltaMs : 0, noise, share: false });
      });
    }
    case 'rate': {
      if (b.type !== 'rate' || b.total === 0 || c.total === 0) return [];
      const noise = binomialHalfWidth(b.hits, b.total) + binomialHalfWidth(c.hits, c.total);
      return [make('rate', b.value, c.value, { margin, minDelta: MIN_SHARE_DELTA, noise, share: true })];
    }
    case 'gauge': {
      if (b.type !== 'gauge') return [];
      // A timing gauge is one figure of a run that moves with its host: judged only against its per-second spread.
      const bs = seriesSpread(seriesValues(bx.series, b.name, b.tags));
      const cs = seriesSpread(seriesValues(cx.series, c.name, c.tags));
      const timing = c.meaning !== undefined && TIMING.has(c.meaning);
      if (timing && (bs === undefined || cs === undefined)) return [make('value', b.value, c.value, 'a single timing figure: no per-second spread measured')];
      const share = c.meaning === 'share';
      return [make('value', b.value, c.value, { margin, minDelta: share ? MIN_SHARE_DELTA : 0, noise: (bs ?? 0) + (cs ?? 0), share })];
    }
    case 'counter': {
      if (b.type !== 'counter') return [];
      // Events counted over time (declared per-second) vary like Poisson counts; defects found by inspection are exact.
      const noise = c.perSecond !== undefined ? poissonHalfWidth(b.count) + poissonHalfWidth(c.count) : 0;
      const defects = c.meaning === 'defects';
      return [make('count', b.count, c.count, { margin: defects ? 0 : margin, minDelta: 0, noise, share: false })];
    }
  }
}
