// Recomputes a load check's derived figures from its (merged) raw metrics: what `stackprobe merge` does to load results.
import type { CheckResult, Finding, SerializedMetric } from '../../result/model.js';
import { analyseStages, DERIVED_NAMES, derivedMetrics, stepShares, type Limits } from './analyse.js';
import { errorFinding, saturationFinding } from './findings.js';

const RECOMPUTED_FINDINGS = new Set(['saturation', 'errors']);

/** `metrics` are the merged raw metrics; the result keeps everything else of `base` (the first segment's result). */
export function rederiveLoad(base: CheckResult, metrics: SerializedMetric[]): Pick<CheckResult, 'metrics' | 'info' | 'findings'> {
  const raw = metrics.filter((m) => !DERIVED_NAMES.includes(m.name));
  const limits = base.info.limits as Limits | undefined;
  if (!limits) return { metrics: raw, info: base.info, findings: base.findings };
  const { stages, saturation } = analyseStages(raw, limits);
  const findings: Finding[] = base.findings.filter((f) => !RECOMPUTED_FINDINGS.has(f.subject ?? ''));
  if (stages.length > 0) findings.unshift(saturationFinding(stages, saturation, limits));
  const errors = errorFinding(stages, []);
  if (errors) findings.push(errors);
  return {
    metrics: [...raw, ...derivedMetrics(stages, saturation, stepShares(raw, stages, limits))],
    info: {
      ...base.info, stages, saturation,
      degradation: stages.map((s) => ({ stage: s.stage, level: s.level, p95: s.p95, ratio: s.degradation })),
    },
    findings,
  };
}
