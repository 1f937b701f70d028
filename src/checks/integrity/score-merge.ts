// What `stackprobe merge` does with the integrity score: recomputes it from the merged integrity checks with the same
// pure function the run used (a merged gauge would only keep one segment's value), so merge, report and compare agree.
import type { MergeHooks } from '../types.js';
import { integrityScore } from './score-model.js';

export const scoreMerge: MergeHooks = {
  rederive(merged, run) {
    const s = integrityScore(run);
    if (!s) return { metrics: merged.metrics, info: merged.info, findings: merged.findings };
    return {
      metrics: merged.metrics.map((m) => (m.type === 'gauge' && m.name === 'integrity_score' ? { ...m, value: s.score, min: s.score, max: s.score } : m)),
      info: { ...merged.info, state: s.state, probes: s.probes },
      findings: merged.findings,
    };
  },
};
