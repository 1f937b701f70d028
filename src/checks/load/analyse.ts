// Per-stage figures, the degradation curve and the saturation point, computed from serialised metrics only,
// so a merged result (segments, workers) gets them recomputed from merged histograms exactly as a single run does.
import type { CounterMetric, GaugeMetric, RateMetric, SerializedMetric, TrendMetric } from '../../result/model.js';
import { MetricRegistry } from '../../metrics/registry.js';
import { mergeTrends, serializeMetrics } from '../../metrics/serialize.js';
import { DERIVED, M, SATURATION_LEVEL, STAGE_LEVEL, type LevelUnit } from './metrics.js';

/**
 * One stage, every request accounted for: offered = started + dropped; started = completed + timed out;
 * completed = succeeded + failed. Rates are per second of the stage's wall time (its drain included).
 */
export interface StageFigures {
  stage: number;
  /** The whole profile's level for this stage (all segments together): req/s or VUs. */
  level: number;
  unit: string;
  durationS: number;
  /** Requests the schedule asked for (also `requests`, kept for readers of older results). */
  offered: number;
  requests: number;
  started: number;
  /** Started requests that ended (with an answer, good or bad) within the request timeout. */
  completed: number;
  succeeded: number;
  dropped: number;
  timedOut: number;
  offeredRate: number;
  startedRate: number;
  completedRate: number;
  droppedRate: number;
  /** Succeeded requests per second: the stage's throughput. */
  throughput: number;
  /** completed / offered: how well completions followed the offered load. */
  completionRatio: number;
  p50: number;
  p95: number;
  p99: number;
  /** (offered − succeeded) / offered: dropped and timed-out requests are failures. */
  errorRate: number;
  errorKinds: Record<string, number>;
  /** p95 relative to the first stage's p95 (the degradation curve); null when either has no successful request. */
  degradation: number | null;
  withinLimits: boolean;
}

export interface Saturation {
  /** The last stage level before the first stage past the limits; null when none saturated or the first already had. */
  level: number | null;
  unit: string;
  stage: number | null;
  /** The first stage past the limits; null when every stage stayed within. */
  firstBeyond: number | null;
  reason: string;
}

export interface Limits {
  p95Ms: number;
  maxErrorRate: number;
  /** A stage whose completed / offered falls below this no longer follows its load. Absent in older results: 0.9. */
  minCompletionRatio?: number;
}

/** Closed loop: more virtual users that add less than this much throughput mean completions stopped following. */
const CLOSED_LOOP_GROWTH = 1.1;
const DEFAULT_COMPLETION_RATIO = 0.9;

/** Metrics computed from the others: removed and recomputed after a merge. */
export const DERIVED_NAMES: readonly string[] = [...Object.values(DERIVED).map((d) => d.name), SATURATION_LEVEL.VUs.name];

export interface StepShare {
  step: string;
  attempts: number;
  failures: number;
  share: number;
  /** True when the share is above the error limit. */
  failing: boolean;
}

/**
 * Each step kind's error share (a GET and a pg_write fail for different reasons): over the stages within the limits,
 * since past saturation failures are the expected symptom; over every stage when none stayed within.
 */
export function stepShares(metrics: SerializedMetric[], stages: StageFigures[], limits: Limits): StepShare[] {
  const within = new Set(stages.filter((s) => s.withinLimits).map((s) => String(s.stage)));
  const use = (stage: string | undefined) => within.size === 0 || (stage !== undefined && within.has(stage));
  const by = new Map<string, { attempts: number; failures: number }>();
  for (const m of metrics) {
    if (m.type !== 'rate' || m.name !== M.stepSuccess.name || !use(m.tags.stage)) continue;
    const step = m.tags.step ?? 'unknown';
    const e = by.get(step) ?? { attempts: 0, failures: 0 };
    e.attempts += m.total;
    e.failures += m.total - m.hits;
    by.set(step, e);
  }
  return [...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([step, e]) => {
    const share = e.attempts === 0 ? 0 : e.failures / e.attempts;
    return { step, ...e, share, failing: share > limits.maxErrorRate };
  });
}

const ofStage = <T extends SerializedMetric>(metrics: SerializedMetric[], type: T['type'], name: string, stage: string): T[] =>
  metrics.filter((m): m is T => m.type === type && m.name === name && m.tags.stage === stage);

const sumCounters = (metrics: SerializedMetric[], name: string, tag: string) => ofStage<CounterMetric>(metrics, 'counter', name, tag).reduce((n, c) => n + c.count, 0);

function figuresOf(metrics: SerializedMetric[], stage: number): Omit<StageFigures, 'degradation' | 'withinLimits'> {
  const tag = String(stage);
  const trend = mergeTrends(ofStage<TrendMetric>(metrics, 'trend', M.request.name, tag));
  const rates = ofStage<RateMetric>(metrics, 'rate', M.success.name, tag);
  const offered = rates.reduce((n, r) => n + r.total, 0);
  const succeeded = rates.reduce((n, r) => n + r.hits, 0);
  const errorKinds: Record<string, number> = {};
  for (const c of ofStage<CounterMetric>(metrics, 'counter', M.errorKinds.name, tag)) errorKinds[c.tags.kind!] = (errorKinds[c.tags.kind!] ?? 0) + c.count;
  const dropped = sumCounters(metrics, M.dropped.name, tag);
  const timedOut = sumCounters(metrics, M.timedOut.name, tag);
  const started = offered - dropped;
  const completed = started - timedOut;
  const levelGauge = ofStage<GaugeMetric>(metrics, 'gauge', STAGE_LEVEL.VUs.name, tag)[0];
  // Segments and workers run a stage side by side: the stage lasted as long as its slowest part.
  const durationS = Math.max(0, ...ofStage<GaugeMetric>(metrics, 'gauge', M.elapsed.name, tag).map((g) => g.max));
  const per = (n: number) => (durationS > 0 ? n / durationS : 0);
  return {
    stage, level: levelGauge?.value ?? 0, unit: levelGauge?.unit ?? '', durationS,
    offered, requests: offered, started, completed, succeeded, dropped, timedOut,
    offeredRate: per(offered), startedRate: per(started), completedRate: per(completed), droppedRate: per(dropped), throughput: per(succeeded),
    completionRatio: offered === 0 ? 0 : completed / offered,
    p50: trend.percentile(50), p95: trend.percentile(95), p99: trend.percentile(99),
    errorRate: offered === 0 ? 0 : (offered - succeeded) / offered, errorKinds,
  };
}

export function stageNumbers(metrics: SerializedMetric[]): number[] {
  const set = new Set<number>();
  for (const m of metrics) if (m.name === M.success.name && m.tags.stage) set.add(Number(m.tags.stage));
  return [...set].sort((a, b) => a - b);
}

/** Why a stage is past saturation, in words; empty when it is within every limit. */
function why(s: Omit<StageFigures, 'degradation' | 'withinLimits'>, prev: { throughput: number; level: number } | undefined, limits: Limits): string {
  if (s.succeeded === 0) return 'no request succeeded';
  const parts: string[] = [];
  const ratio = limits.minCompletionRatio ?? DEFAULT_COMPLETION_RATIO;
  if (s.completionRatio < ratio) {
    parts.push(`completions stopped following the offered load: ${s.completed} of ${s.offered} offered completed (${pct(s.completionRatio)} < ${pct(ratio)}; ${s.dropped} dropped, ${s.timedOut} timed out)`);
  }
  if (s.unit === 'VUs' && prev && s.level > prev.level && s.throughput < prev.throughput * CLOSED_LOOP_GROWTH) {
    parts.push(`completions stopped following the added users: ${s.throughput.toFixed(1)} req/s at ${s.level} VUs vs ${prev.throughput.toFixed(1)} req/s at ${prev.level} VUs`);
  }
  if (s.p95 > limits.p95Ms) parts.push(`p95 ${s.p95.toFixed(1)} ms > ${limits.p95Ms} ms`);
  if (s.errorRate > limits.maxErrorRate) parts.push(`error rate ${pct(s.errorRate)} > ${pct(limits.maxErrorRate)}`);
  return parts.join(' and ');
}

const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

export function analyseStages(metrics: SerializedMetric[], limits: Limits): { stages: StageFigures[]; saturation: Saturation } {
  const base = stageNumbers(metrics).map((n) => figuresOf(metrics, n));
  const first = base[0];
  const reasons = base.map((s, i) => why(s, base[i - 1], limits));
  const stages = base.map((s, i) => ({
    ...s, degradation: first && first.p95 > 0 && s.p95 > 0 ? s.p95 / first.p95 : null, withinLimits: reasons[i] === '',
  }));
  return { stages, saturation: saturationOf(stages, limits) };
}

/** The saturation point of judged stages: where completions stop following the load, or the p95/error limits break. */
export function saturationOf(stages: StageFigures[], limits: Limits): Saturation {
  const reasons = stages.map((s, i) => why(s, stages[i - 1], limits));
  const unit = stages[0]?.unit ?? '';
  if (stages.length === 0) return { level: null, unit, stage: null, firstBeyond: null, reason: 'no stage ran' };
  const beyond = reasons.findIndex((r) => r !== '');
  if (beyond === -1) {
    const top = stages[stages.length - 1]!;
    return { level: null, unit, stage: null, firstBeyond: null, reason: `not saturated: every stage stayed within the limits up to ${top.level} ${unit}, so the saturation point is above the highest stage and is left unset` };
  }
  const bad = stages[beyond]!;
  if (beyond === 0) {
    return { level: null, unit, stage: null, firstBeyond: bad.stage, reason: `already saturated at the first stage (${bad.level} ${unit}): ${reasons[0]}; the saturation point is below it and is left unset` };
  }
  const good = stages[beyond - 1]!;
  return {
    level: good.level, unit, stage: good.stage, firstBeyond: bad.stage,
    reason: `saturates between ${good.level} and ${bad.level} ${unit}: at ${bad.level} ${unit} ${reasons[beyond]}`,
  };
}

/**
 * The derived metrics (per-stage gauges, the saturation level when there is one, stages past it, steps) as serialised
 * metrics, declared `derived`: compare judges the histograms and rates they come from, not these single figures.
 */
export function derivedMetrics(stages: StageFigures[], saturation: Saturation, steps: StepShare[] = []): SerializedMetric[] {
  const r = new MetricRegistry();
  for (const s of stages) {
    const tags = { stage: String(s.stage) };
    r.gauge(DERIVED.throughput, tags).set(s.throughput);
    r.gauge(DERIVED.offeredRate, tags).set(s.offeredRate);
    r.gauge(DERIVED.completionRatio, tags).set(s.completionRatio);
    r.gauge(DERIVED.p95, tags).set(s.p95);
    if (s.degradation !== null) r.gauge(DERIVED.degradation, tags).set(s.degradation);
  }
  if (saturation.level !== null) r.gauge(SATURATION_LEVEL[levelUnit(saturation.unit)]).set(saturation.level);
  r.counter(DERIVED.beyondSaturation).add(stages.filter((s) => !s.withinLimits).length);
  for (const st of steps) r.gauge(DERIVED.stepErrorShare, { step: st.step }).set(st.share);
  r.counter(DERIVED.failingSteps).add(steps.filter((st) => st.failing).length);
  return serializeMetrics(r, 0);
}

/** The level unit a stage's level gauge was recorded in (results written before it was declared included). */
const levelUnit = (u: string): LevelUnit => (u === 'VUs' ? 'VUs' : 'req/s');
