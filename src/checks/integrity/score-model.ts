// The integrity score as a pure function of run.json's check results, so run, report, merge and compare get one figure.
import type { CheckResult, SerializedMetric } from '../../result/model.js';

/**
 * Figures that are verified damage to the data: each counts rows, pages or items that are wrong today. Hazards (float
 * money, sequences near the end, invalid or duplicate indexes, tables never analysed, naive timestamps, *_id columns
 * without a constraint) are not here: they keep their own verdicts and never move the score.
 */
export const DAMAGE_METRICS: Readonly<Record<string, string>> = {
  fk_orphan_rows: 'rows without a parent behind a declared foreign key',
  check_violation_rows: 'rows violating a NOT VALID check constraint',
  declared_not_null_violations: 'NULLs in columns declared not-null in the config',
  declared_unique_duplicates: 'duplicates in column sets declared unique in the config',
  invariant_violation_rows: 'rows breaking an invariant of the config',
  corrupt_indexes: 'btree indexes amcheck found corrupt',
  heap_corruption_items: 'corrupt heap items found by verify_heapam',
  checksum_failures: 'data checksum failures recorded by the server',
};

/** The integrity checks the score covers; one missing from a run is a gap, not a clean part. */
export const SCORED_CHECKS = ['integrity.foreign_keys', 'integrity.constraints', 'integrity.types', 'integrity.invariants', 'integrity.catalog', 'integrity.corruption'] as const;

/** Counters every scored check records: data probes (a foreign key, a NOT VALID check, an invariant, a relation amcheck read) and those found damaged. */
export const PROBES = 'integrity_probes';
export const DAMAGED_PROBES = 'integrity_damaged_probes';
/** What a check could not verify (missing object, permission, failed SQL, amcheck's budget). */
export const UNVERIFIED = 'integrity_unverified';
/** Set in a skipped check's info when it skipped because there was nothing to verify (no invariants configured). */
export const NOTHING_TO_VERIFY = 'nothingToVerify';

/** A damaged score is at most this (exclusive): below any sensible pass threshold, whatever the denominators. */
export const DAMAGED_CEILING = 0.5;

export type ScoreState = 'clean' | 'damaged' | 'incomplete';

export interface ScorePart {
  status: CheckResult['status'] | 'not run';
  probes: number;
  damagedProbes: number;
}

export interface IntegrityScore {
  /** damaged wins over incomplete: damage found is damage, whatever was not verified. */
  state: ScoreState;
  /** 1 when nothing verified is damaged; else DAMAGED_CEILING × the clean share of data probes, so always < 0.5. */
  score: number;
  probes: number;
  damagedProbes: number;
  damage: Array<{ check: string; metric: string; what: string; count: number }>;
  /** What was not verified, each with why: makes the state `incomplete` when nothing is damaged. */
  gaps: Array<{ check: string; why: string }>;
  parts: Record<string, ScorePart>;
}

const counterSum = (metrics: SerializedMetric[], name: string): number =>
  metrics.reduce((s, m) => s + (m.name === name && m.type === 'counter' ? m.count : 0), 0);

function gapOf(c: CheckResult): string | undefined {
  if (c.status === 'skip') return c.info[NOTHING_TO_VERIFY] === true ? undefined : `skipped: ${c.reason ?? 'no reason given'}`;
  // A failure with a reason is a check that stopped (error, budget); a threshold failure has no reason and did finish.
  if (c.reason) return `did not finish: ${c.reason}`;
  const n = counterSum(c.metrics, UNVERIFIED);
  return n > 0 ? `${n} object(s) or rule(s) could not be verified (see its findings)` : undefined;
}

/**
 * The score of a run's integrity checks (the others and `integrity.score` itself are ignored), or undefined when none
 * is there. Pure: it reads only statuses, reasons, counters and info, all kept in run.json.
 */
export function integrityScore(checks: readonly CheckResult[]): IntegrityScore | undefined {
  const byId = new Map(checks.filter((c) => (SCORED_CHECKS as readonly string[]).includes(c.id)).map((c) => [c.id, c]));
  if (byId.size === 0) return undefined;
  const parts: Record<string, ScorePart> = {};
  const damage: IntegrityScore['damage'] = [];
  const gaps: IntegrityScore['gaps'] = [];
  let probes = 0;
  let damagedProbes = 0;
  for (const id of SCORED_CHECKS) {
    const c = byId.get(id);
    if (!c) {
      parts[id] = { status: 'not run', probes: 0, damagedProbes: 0 };
      gaps.push({ check: id, why: 'not run' });
      continue;
    }
    const part: ScorePart = { status: c.status, probes: counterSum(c.metrics, PROBES), damagedProbes: counterSum(c.metrics, DAMAGED_PROBES) };
    for (const [metric, what] of Object.entries(DAMAGE_METRICS)) {
      const count = counterSum(c.metrics, metric);
      if (count > 0) damage.push({ check: id, metric, what, count });
    }
    // A damage figure without a damaged probe (a plugin, an older run.json) still counts as one damaged probe.
    if (part.damagedProbes === 0 && damage.some((d) => d.check === id)) part.damagedProbes = 1;
    part.probes = Math.max(part.probes, part.damagedProbes);
    parts[id] = part;
    probes += part.probes;
    damagedProbes += part.damagedProbes;
    const gap = gapOf(c);
    if (gap) gaps.push({ check: id, why: gap });
  }
  const damaged = damagedProbes > 0;
  return {
    state: damaged ? 'damaged' : gaps.length > 0 ? 'incomplete' : 'clean',
    score: damaged ? DAMAGED_CEILING * (1 - damagedProbes / probes) : 1,
    probes, damagedProbes, damage, gaps, parts,
  };
}
