// The integrity score model: damage fails whatever the denominators, gaps make it incomplete, hazards never move it.
import { describe, expect, it } from 'vitest';
import { integrityScore, SCORED_CHECKS } from '../../src/checks/integrity/score-model.js';
import type { CheckResult, SerializedMetric } from '../../src/result/model.js';

const counter = (name: string, count: number, tags: Record<string, string> = {}): SerializedMetric => ({ type: 'counter', name, tags, unit: 'count', meaning: 'count', better: 'none', count });

function result(id: string, metrics: SerializedMetric[], extra: Partial<CheckResult> = {}): CheckResult {
  return { id, category: 'integrity', title: id, status: 'pass', startedAt: '', durationMs: 0, metrics, timeSeries: [], thresholds: [], ratings: [], findings: [], info: {}, ...extra };
}

/** Every scored check, clean, with `probes` data probes each; hazards recorded by types and catalog. */
function cleanRun(probes = 100): CheckResult[] {
  return SCORED_CHECKS.map((id) => result(id, [counter('integrity_probes', probes), counter('integrity_damaged_probes', 0), counter('integrity_unverified', 0),
    ...(id === 'integrity.types' ? [counter('naive_timestamp_columns', 40), counter('float_money_columns', 3)] : []),
    ...(id === 'integrity.catalog' ? [counter('never_analyzed_tables', 12), counter('invalid_indexes', 1)] : [])], id === 'integrity.types' ? { status: 'fail' } : {}));
}

describe('integrity score', () => {
  it('is 1 and clean when nothing verified is damaged, whatever the hazards', () => {
    const s = integrityScore(cleanRun())!;
    expect(s).toMatchObject({ state: 'clean', score: 1, damagedProbes: 0, gaps: [] });
  });

  it('fails below 0.5 on one damaged probe out of thousands, and on every kind of damage', () => {
    for (const [check, metric] of [['integrity.foreign_keys', 'fk_orphan_rows'], ['integrity.constraints', 'check_violation_rows'], ['integrity.invariants', 'invariant_violation_rows'],
      ['integrity.corruption', 'corrupt_indexes'], ['integrity.corruption', 'heap_corruption_items'], ['integrity.corruption', 'checksum_failures']] as const) {
      const run = cleanRun(10_000).map((c) => (c.id === check ? result(check, [...c.metrics.filter((m) => m.name !== 'integrity_damaged_probes'), counter('integrity_damaged_probes', 1), counter(metric, 500)]) : c));
      const s = integrityScore(run)!;
      expect(s.state, metric).toBe('damaged');
      expect(s.score).toBeLessThan(0.5);
      expect(s.score).toBeCloseTo(0.5 * (1 - 1 / 60_000), 6);
      expect(s.damage).toEqual([expect.objectContaining({ check, metric, count: 500 })]);
    }
  });

  it('counts a damage figure without probes (a plugin, an older run.json) as one damaged probe', () => {
    const run = cleanRun(0).map((c) => (c.id === 'integrity.corruption' ? result(c.id, [counter('corrupt_indexes', 1, { relation: 'a.b' })]) : c));
    expect(integrityScore(run)).toMatchObject({ state: 'damaged', score: 0, damagedProbes: 1 });
  });

  it('is incomplete, never clean, when a check skipped, stopped, left objects unverified or did not run', () => {
    const cases: Array<[CheckResult[], RegExp]> = [
      [cleanRun().map((c) => (c.id === 'integrity.corruption' ? { ...c, status: 'skip', reason: 'amcheck is not installed' } : c)), /skipped: amcheck is not installed/],
      [cleanRun().map((c) => (c.id === 'integrity.foreign_keys' ? { ...c, status: 'fail', reason: 'did not finish within its time budget of 5000 ms' } : c)), /did not finish: did not finish within/],
      [cleanRun().map((c) => (c.id === 'integrity.constraints' ? result(c.id, [...c.metrics.filter((m) => m.name !== 'integrity_unverified'), counter('integrity_unverified', 2)], { status: 'warn' }) : c)), /2 object\(s\) or rule\(s\) could not be verified/],
      [cleanRun().filter((c) => c.id !== 'integrity.catalog'), /not run/],
    ];
    for (const [run, why] of cases) {
      const s = integrityScore(run)!;
      expect(s.state).toBe('incomplete');
      expect(s.gaps).toEqual([{ check: expect.any(String), why: expect.stringMatching(why) }]);
    }
  });

  it('leaves no gap for a check that had nothing to verify, and says damaged when damage and gaps meet', () => {
    const none = cleanRun().map((c) => (c.id === 'integrity.invariants' ? result(c.id, [], { status: 'skip', reason: 'no invariants', info: { nothingToVerify: true } }) : c));
    expect(integrityScore(none)!.state).toBe('clean');
    const both = none.map((c) => (c.id === 'integrity.corruption' ? { ...c, status: 'skip' as const, reason: 'amcheck missing' } : c.id === 'integrity.foreign_keys' ? result(c.id, [counter('integrity_probes', 3), counter('integrity_damaged_probes', 1), counter('fk_orphan_rows', 7)], { status: 'fail' }) : c));
    expect(integrityScore(both)).toMatchObject({ state: 'damaged', gaps: [{ check: 'integrity.corruption' }] });
  });

  it('ignores other categories and the score check itself; undefined when no integrity check ran', () => {
    expect(integrityScore([result('queries.basic', []), result('integrity.score', [counter('integrity_damaged_probes', 5)])])).toBeUndefined();
  });
});
