// merge recomputes the integrity score from the merged checks with the run's own pure function: one figure everywhere.
import { describe, expect, it } from 'vitest';
import { integrityScore, SCORED_CHECKS } from '../../src/checks/integrity/score-model.js';
import { builtinChecks } from '../../src/checks/index.js';
import { mergeRunResults } from '../../src/merge/merge-results.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { serializeMetrics } from '../../src/metrics/serialize.js';
import type { CheckResult, RunResult } from '../../src/result/model.js';
import { emptyRunResult } from '../fixtures/run-result.js';
import { D } from '../helpers/decl.js';

function check(id: string, counters: Record<string, number>, gauge?: number): CheckResult {
  const r = new MetricRegistry();
  for (const [name, n] of Object.entries(counters)) r.counter(D.counter(name)).add(n);
  if (gauge !== undefined) r.gauge(D.gauge('integrity_score', 'ratio')).set(gauge);
  return { id, category: 'integrity', title: id, status: 'pass', startedAt: '', durationMs: 1, metrics: serializeMetrics(r, 1), timeSeries: [], thresholds: [], ratings: [], findings: [], info: {} };
}

function segment(orphans: number, reportedScore: number): RunResult {
  const checks = SCORED_CHECKS.map((id) => check(id, id === 'integrity.foreign_keys'
    ? { integrity_probes: 4, integrity_damaged_probes: orphans > 0 ? 1 : 0, fk_orphan_rows: orphans }
    : { integrity_probes: 2, integrity_damaged_probes: 0 }));
  return { ...emptyRunResult(), checks: [...checks, check('integrity.score', {}, reportedScore)] };
}

describe('merge and the integrity score', () => {
  it("recomputes the score from the merged checks, not one segment's gauge", () => {
    // Segment 2 found orphans; a merged gauge would keep whichever value came last.
    const a = segment(0, 1);
    const b = segment(3, integrityScore(segment(3, 0).checks)!.score);
    const { result } = mergeRunResults([a, b], builtinChecks);
    const merged = result.checks.find((c) => c.id === 'integrity.score')!;
    const gauge = merged.metrics.find((m) => m.type === 'gauge' && m.name === 'integrity_score');
    const expected = integrityScore(result.checks)!;
    expect(expected.state).toBe('damaged');
    expect(gauge).toMatchObject({ value: expected.score });
    expect(expected.score).toBeLessThan(0.5);
    expect(merged.info.state).toBe('damaged');
  });
});
