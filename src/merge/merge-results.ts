// Combines several run.json results (segments of one load on several machines) into one: histograms merged, not averaged.
// What a check derives from its figures is recomputed through the check's own MergeHooks; merge never names a check.
import { recommendations } from '../advice/recommend.js';
import type { Check, MergeHooks } from '../checks/types.js';
import { mergeMetricLists } from '../metrics/serialize.js';
import type { CheckResult, RunResult, SerializedMetric, ThresholdOutcome } from '../result/model.js';
import { ThresholdsSchema } from '../config/schema.js';
import { MEMORY_METRIC, summarize } from '../result/summary.js';
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

/** The verdict of a merged check on `metrics`: its thresholds judged again; a segment that failed with a reason keeps it failed. */
function judged(check: CheckResult, metrics: SerializedMetric[], rules: ThresholdRule[]): Pick<CheckResult, 'thresholds' | 'status'> {
  const thresholds = evaluateThresholds(metrics, rules);
  return { thresholds, status: check.status === 'fail' && check.reason ? 'fail' : statusFromOutcomes(thresholds) };
}

/** `parts` are one check's results from the segments labelled `labels`; `hooks` its declared merge behaviour. */
export function mergeCheck(parts: CheckResult[], labels: string[], hooks: MergeHooks = {}): CheckResult {
  const ran = parts.filter((p) => p.status !== 'skip');
  if (ran.length === 0) return parts[0]!;
  const base = ran[0]!;
  const durationMs = Math.max(...ran.map((p) => p.durationMs));
  const metrics = mergeMetricLists(ran.map((p) => p.metrics), durationMs / 1000);
  const failedWithReason = ran.find((p) => p.status === 'fail' && p.reason);
  const merged: CheckResult = {
    ...base, durationMs, metrics,
    status: failedWithReason ? 'fail' : base.status,
    timeSeries: mergeSeries(ran.map((p) => p.timeSeries), labels.filter((_, i) => parts[i]!.status !== 'skip'), hooks.series),
    ...(failedWithReason ? { reason: failedWithReason.reason } : {}),
  };
  return { ...merged, ...judged(merged, metrics, rulesOf(ran.flatMap((p) => p.thresholds))) };
}

/**
 * Lets each merged check that declares it recompute its derived figures from the merged result (in run order, so a
 * check that reads others sees them re-derived), then judges its thresholds again on them.
 */
function rederive(checks: CheckResult[], hooksOf: (id: string) => MergeHooks | undefined): CheckResult[] {
  const out = [...checks];
  out.forEach((check, i) => {
    const hook = hooksOf(check.id)?.rederive;
    if (!hook || check.status === 'skip') return;
    const figures = hook(check, out);
    out[i] = { ...check, ...figures, ...judged(check, figures.metrics, rulesOf(check.thresholds)) };
  });
  return out;
}

/**
 * A merged check's headline chart, drawn again by the check from the merged figures (its `headline` hook); a segment's
 * chart describes that segment alone, so a check without the hook (a plugin's, not loaded here) is left without one.
 */
function redrawn(check: CheckResult, draw: Check['headline'] | undefined): CheckResult {
  const rest: CheckResult = { ...check };
  delete rest.headline;
  const drawn = draw && check.status !== 'skip' ? draw(check) : undefined;
  return drawn ? { ...rest, headline: drawn } : rest;
}

/** The memory limit the run was judged by (its run-level threshold, as summarize wrote it); the config's default if absent. */
function memoryLimitOf(r: RunResult): number {
  const outcome = r.summary.thresholds.find((t) => t.metric === MEMORY_METRIC);
  return outcome ? parseThreshold(outcome.expression, `summary.thresholds (${MEMORY_METRIC})`).value : ThresholdsSchema.parse({}).memory_usage_mb;
}

/**
 * `checks` are the checks the results may hold (the built-in ones): their MergeHooks say what merging does beyond adding
 * figures up, and their `headline` hooks draw the merged charts. A check not among them (a plugin's) is merged by its figures alone.
 */
export function mergeRunResults(results: RunResult[], checks: readonly Pick<Check, 'id' | 'merge' | 'headline'>[], files: string[] = results.map((_, i) => `result ${i + 1}`)): MergeOutput {
  if (results.length === 0) throw new ConfigError('merge: expected at least one run.json');
  const versions = new Set(results.map((r) => r.schemaVersion));
  if (versions.size > 1) throw new ConfigError(`merge: the results have different schema versions (${[...versions].join(', ')})`);
  const segments = segmentFacts(results, files);
  const labels = segments.labels;
  const hooks = new Map(checks.map((c) => [c.id, c.merge]));
  const draws = new Map(checks.map((c) => [c.id, c.headline]));
  const ids: string[] = [];
  for (const r of results) for (const c of r.checks) if (!ids.includes(c.id)) ids.push(c.id);
  const added = ids.map((id) => {
    const parts = results.map((r) => r.checks.find((c) => c.id === id));
    const present = parts.flatMap((p, i) => (p ? [{ p, label: labels[i]! }] : []));
    return mergeCheck(present.map((x) => x.p), present.map((x) => x.label), hooks.get(id));
  });
  const merged = rederive(added, (id) => hooks.get(id)).map((c) => redrawn(markMerged(c, segments), draws.get(c.id)));
  const first = results[0]!;
  const durationMs = Math.max(...results.map((r) => r.durationMs));
  const p = results.map((r) => r.summary.process);
  const summary = summarize(merged, {
    cpuUserMs: p.reduce((s, x) => s + x.cpuUserMs, 0), cpuSystemMs: p.reduce((s, x) => s + x.cpuSystemMs, 0),
    // CPU % of the merged result is per machine: the sum of CPU over the sum of wall time.
    wallMs: results.reduce((s, r) => s + r.durationMs, 0), maxRssMb: Math.max(...p.map((x) => x.maxRssMb)),
  }, memoryLimitOf(first));
  const startedAt = results.map((r) => r.startedAt).sort()[0]!;
  const endedAt = results.map((r) => r.endedAt).sort().at(-1)!;
  const result: RunResult = {
    ...first, startedAt, endedAt, durationMs, interrupted: results.some((r) => r.interrupted), readOnly: results.every((r) => r.readOnly),
    checks: merged, summary, recommendations: recommendations(merged, summary),
  };
  return { result, warnings: segments.warnings, segments };
}
