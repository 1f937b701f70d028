// Per-stage figures, the degradation curve and the saturation point, computed from serialised metrics only,
// so a merged result (segments, workers) gets them recomputed from merged histograms exactly as a single run does.
import { mergeTrends } from '../../metrics/serialize.js';
import type { CounterMetric, GaugeMetric, RateMetric, SerializedMetric, TrendMetric } from '../../result/model.js';
import { M } from './record.js';

export interface StageFigures {
  stage: number;
  /** The whole profile's level for this stage (all segments together): req/s or VUs. */
  level: number;
  unit: string;
  durationS: number;
  /** Requests finished (ok or failed, dropped included). */
  requests: number;
  throughput: number;
  p50: number;
  p95: number;
  p99: number;
  errorRate: number;
  errorKinds: Record<string, number>;
  dropped: number;
  /** p95 relative to the first stage's p95 (the degradation curve); null when either has no successful request. */
  degradation: number | null;
  withinLimits: boolean;
}

export interface Saturation {
  /** The highest stage level whose p95 and error rate (and every lower stage's) stayed within the limits; null if none. */
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
}

/** Metrics computed from the others: removed and recomputed after a merge. */
export const DERIVED = ['load_stage_throughput', 'load_stage_p95', 'load_degradation', 'load_saturation_level', 'load_stages_beyond_saturation'];

const ofStage = <T extends SerializedMetric>(metrics: SerializedMetric[], type: T['type'], name: string, stage: string): T[] =>
  metrics.filter((m): m is T => m.type === type && m.name === name && m.tags.stage === stage);

function figuresOf(metrics: SerializedMetric[], stage: number, limits: Limits): Omit<StageFigures, 'degradation'> {
  const tag = String(stage);
  const trend = mergeTrends(ofStage<TrendMetric>(metrics, 'trend', M.request, tag));
  const rates = ofStage<RateMetric>(metrics, 'rate', M.success, tag);
  const total = rates.reduce((n, r) => n + r.total, 0);
  const ok = rates.reduce((n, r) => n + r.hits, 0);
  const errorKinds: Record<string, number> = {};
  for (const c of ofStage<CounterMetric>(metrics, 'counter', M.errorKinds, tag)) errorKinds[c.tags.kind!] = (errorKinds[c.tags.kind!] ?? 0) + c.count;
  const dropped = ofStage<CounterMetric>(metrics, 'counter', M.dropped, tag).reduce((n, c) => n + c.count, 0);
  const levelGauge = ofStage<GaugeMetric>(metrics, 'gauge', M.level, tag)[0];
  // Segments and workers run a stage side by side: the stage lasted as long as its slowest part.
  const durationS = Math.max(0, ...ofStage<GaugeMetric>(metrics, 'gauge', M.elapsed, tag).map((g) => g.max));
  const errorRate = total === 0 ? 0 : (total - ok) / total;
  const p95 = trend.percentile(95);
  return {
    stage, level: levelGauge?.value ?? 0, unit: levelGauge?.unit ?? '', durationS, requests: total,
    throughput: durationS > 0 ? total / durationS : 0,
    p50: trend.percentile(50), p95, p99: trend.percentile(99), errorRate, errorKinds, dropped,
    withinLimits: ok > 0 && p95 <= limits.p95Ms && errorRate <= limits.maxErrorRate,
  };
}

export function stageNumbers(metrics: SerializedMetric[]): number[] {
  const set = new Set<number>();
  for (const m of metrics) if (m.name === M.success && m.tags.stage) set.add(Number(m.tags.stage));
  return [...set].sort((a, b) => a - b);
}

export function analyseStages(metrics: SerializedMetric[], limits: Limits): { stages: StageFigures[]; saturation: Saturation } {
  const base = stageNumbers(metrics).map((n) => figuresOf(metrics, n, limits));
  const first = base[0];
  const stages = base.map((s) => ({ ...s, degradation: first && first.p95 > 0 && s.p95 > 0 ? s.p95 / first.p95 : null }));
  return { stages, saturation: saturationOf(stages, limits) };
}

function why(s: StageFigures, limits: Limits): string {
  if (s.requests - Math.round(s.requests * s.errorRate) === 0) return 'no request succeeded';
  const parts: string[] = [];
  if (s.p95 > limits.p95Ms) parts.push(`p95 ${s.p95.toFixed(1)} ms > ${limits.p95Ms} ms`);
  if (s.errorRate > limits.maxErrorRate) parts.push(`error rate ${(s.errorRate * 100).toFixed(1)} % > ${(limits.maxErrorRate * 100).toFixed(1)} %`);
  return parts.join(' and ');
}

export function saturationOf(stages: StageFigures[], limits: Limits): Saturation {
  const unit = stages[0]?.unit ?? '';
  const beyond = stages.findIndex((s) => !s.withinLimits);
  if (stages.length === 0) return { level: null, unit, stage: null, firstBeyond: null, reason: 'no stage ran' };
  if (beyond === -1) {
    const top = stages[stages.length - 1]!;
    return { level: top.level, unit, stage: top.stage, firstBeyond: null, reason: `every stage stayed within the limits, up to ${top.level} ${unit}: not saturated` };
  }
  const bad = stages[beyond]!;
  if (beyond === 0) return { level: null, unit, stage: null, firstBeyond: bad.stage, reason: `already past the limits at the first stage (${bad.level} ${unit}): ${why(bad, limits)}` };
  const good = stages[beyond - 1]!;
  return {
    level: good.level, unit, stage: good.stage, firstBeyond: bad.stage,
    reason: `saturates between ${good.level} and ${bad.level} ${unit}: at ${bad.level} ${unit} ${why(bad, limits)}`,
  };
}

/** The derived metrics (per-stage gauges, the saturation level, stages past it) as serialised metrics. */
export function derivedMetrics(stages: StageFigures[], saturation: Saturation): SerializedMetric[] {
  const gauge = (name: string, stage: string | null, unit: string, value: number): GaugeMetric => ({
    type: 'gauge', name, tags: stage === null ? {} : { stage }, unit, value, min: value, max: value,
  });
  const out: SerializedMetric[] = [];
  for (const s of stages) {
    out.push(gauge('load_stage_throughput', String(s.stage), 'req/s', s.throughput));
    out.push(gauge('load_stage_p95', String(s.stage), 'ms', s.p95));
    if (s.degradation !== null) out.push(gauge('load_degradation', String(s.stage), 'ratio', s.degradation));
  }
  out.push(gauge('load_saturation_level', null, saturation.unit, saturation.level ?? 0));
  const count = stages.filter((s) => !s.withinLimits).length;
  out.push({ type: 'counter', name: 'load_stages_beyond_saturation', tags: {}, unit: 'count', meaning: 'count', better: 'lower', count });
  return out;
}
