// Combines several run.json results (segments of one load on several machines) into one: histograms merged, not averaged.
import { recommendations } from '../advice/recommend.js';
import { integrityScore } from '../checks/integrity/score-model.js';
import { rederiveLoad } from '../checks/load/rederive.js';
import { mergeMetricLists } from '../metrics/serialize.js';
import type { CheckResult, RunResult, ThresholdOutcome } from '../result/model.js';
import { summarize } from '../result/summary.js';
import { ConfigError } from '../util/errors.js';
import { evaluateThresholds, statusFromOutcomes, type ThresholdRule } from '../verdict/evaluate.js';
import { parseSelector, parseThreshold } from '../verdict/threshold-parser.js';
import { markMerged, segmentFacts, type SegmentFacts } from './segments.js';
import { mergeSeries } from './series.js';

export interface MergeOutput {
  result: RunResult;
  /** Things the user should know (a missing segment, different modes); never fatal here (the command decides). */
  warnings: string[];
  /** The segments given, missing, and the largest start skew. */
  segments: SegmentFacts;
}

export { segmentOf } from './segments.js';

/** The run's own memory limit, read from its process_max_rss_mb threshold by the one threshold parser (1024 MB without one). */
function memoryLimitOf(result: RunResult): number {
  const t = result.summary.thresholds.find((x) => x.metric === 'process_max_rss_mb');
  if (!t) return 1024;
  try {
    return parseThreshold(t.expression, t.source).value;
  } catch {
    return 1024;
  }
}

/** The rules a result was judged by, rebuilt from its threshold outcomes so the merged result is judged the same way. */
function rulesOf(outcomes: ThresholdOutcome[]): ThresholdRule[] {
  const seen = new Set<string>();
  const rules: ThresholdRule[] = [];
  for (const o of outcomes) {
    const key = `${o.metric}|${o.expression}|${o.level}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rules.push({ selector: parseSelector(o.metric, o.source), expr: parseThreshold(o.expression, o.source), level: o.level, source: o.source });
  }
  return rules;
}

export function mergeCheck(parts: CheckResult[], labels: string[]): CheckResult {
  const ran = parts.filter((p) => p.status !== 'skip');
  if (ran.length === 0) return parts[0]!;
  const base = ran[0]!;
  const durationMs = Math.max(...ran.map((p) => p.durationMs));
  let metrics = mergeMetricLists(ran.map((p) => p.metrics), durationMs / 1000);
  let info = base.info;
  let findings = base.findings;
  if (base.category === 'load') ({ metrics, info, findings } = rederiveLoad(base, metrics));
  const thresholds = evaluateThresholds(metrics, rulesOf(ran.flatMap((p) => p.thresholds)));
  const failedWithReason = ran.find((p) => p.status === 'fail' && p.reason);
  const status = failedWithReason ? 'fail' : statusFromOutcomes(thresholds);
  return {
    ...base, status, durationMs, metrics, thresholds, info, findings,
    timeSeries: mergeSeries(ran.map((p) => p.timeSeries), labels.filter((_, i) => parts[i]!.status !== 'skip')),
    ...(failedWithReason ? { reason: failedWithReason.reason } : {}),
  };
}

/**
 * The integrity score of the merged checks, recomputed by the same pure function the run used (a merged gauge would
 * only keep one segment's value): merge, report and compare then agree on one figure.
 */
function rescoreIntegrity(checks: CheckResult[]): void {
  const scoreCheck = checks.find((c) => c.id === 'integrity.score');
  const s = integrityScore(checks);
  if (!scoreCheck || !s) return;
  scoreCheck.metrics = scoreCheck.metrics.map((m) => (m.type === 'gauge' && m.name === 'integrity_score' ? { ...m, value: s.score, min: s.score, max: s.score } : m));
  scoreCheck.info = { ...scoreCheck.info, state: s.state, probes: s.probes };
}

export function mergeRunResults(results: RunResult[], files: string[] = results.map((_, i) => `result ${i + 1}`)): MergeOutput {
  if (results.length === 0) throw new ConfigError('merge: expected at least one run.json');
  const versions = new Set(results.map((r) => r.schemaVersion));
  if (versions.size > 1) throw new ConfigError(`merge: the results have different schema versions (${[...versions].join(', ')})`);
  const segments = segmentFacts(results, files);
  const labels = segments.labels;
  const ids: string[] = [];
  for (const r of results) for (const c of r.checks) if (!ids.includes(c.id)) ids.push(c.id);
  const checks = ids.map((id) => {
    const parts = results.map((r) => r.checks.find((c) => c.id === id));
    const present = parts.flatMap((p, i) => (p ? [{ p, label: labels[i]! }] : []));
    return markMerged(mergeCheck(present.map((x) => x.p), present.map((x) => x.label)), segments);
  });
  rescoreIntegrity(checks);
  const first = results[0]!;
  const durationMs = Math.max(...results.map((r) => r.durationMs));
  const p = results.map((r) => r.summary.process);
  const memoryLimit = memoryLimitOf(first);
  const summary = summarize(checks, {
    cpuUserMs: p.reduce((s, x) => s + x.cpuUserMs, 0), cpuSystemMs: p.reduce((s, x) => s + x.cpuSystemMs, 0),
    // CPU % of the merged result is per machine: the sum of CPU over the sum of wall time.
    wallMs: results.reduce((s, r) => s + r.durationMs, 0), maxRssMb: Math.max(...p.map((x) => x.maxRssMb)),
  }, memoryLimit);
  const startedAt = results.map((r) => r.startedAt).sort()[0]!;
  const endedAt = results.map((r) => r.endedAt).sort().at(-1)!;
  const result: RunResult = {
    ...first, startedAt, endedAt, durationMs, interrupted: results.some((r) => r.interrupted), readOnly: results.every((r) => r.readOnly),
    checks, summary, recommendations: recommendations(checks, summary),
  };
  return { result, warnings: segments.warnings, segments };
}
