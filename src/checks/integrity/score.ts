// integrity.score: one figure for the category, computed by score-model.ts from what the other integrity checks recorded.
import { serializeMetrics } from '../../metrics/serialize.js';
import type { MetricRegistry } from '../../metrics/registry.js';
import type { CheckResult } from '../../result/model.js';
import { describeError, SkipCheck } from '../../util/errors.js';
import type { Check, CheckContext } from '../types.js';
import { scoreMerge } from './score-merge.js';
import { DAMAGED_PROBES, integrityScore, NOTHING_TO_VERIFY } from './score-model.js';
import { INTEGRITY_DAMAGED_PROBES, INTEGRITY_PROBES, INTEGRITY_SCORE, INTEGRITY_SCORE_GAPS, INTEGRITY_UNVERIFIED } from './metrics.js';

interface Entry {
  metrics: MetricRegistry;
  status: 'running' | 'done' | 'skip' | 'fail';
  reason?: string;
  nothingToVerify?: boolean;
}

/** The run's integrity checks as the score sees them, in the shape run.json keeps, so live and re-read scores agree. */
export class IntegrityTally {
  readonly entries = new Map<string, Entry>();

  results(): CheckResult[] {
    return [...this.entries].map(([id, e]) => ({
      id, category: 'integrity', title: id, startedAt: '', durationMs: 0, timeSeries: [], thresholds: [], ratings: [], findings: [],
      metrics: serializeMetrics(e.metrics, 0),
      status: e.status === 'done' ? 'pass' : e.status === 'skip' ? 'skip' : 'fail',
      reason: e.status === 'running' ? 'did not finish' : e.reason,
      info: e.nothingToVerify ? { [NOTHING_TO_VERIFY]: true } : {},
    }));
  }
}

export function integrityTally(ctx: CheckContext): Promise<IntegrityTally> {
  return ctx.shared('integrity.tally', () => Promise.resolve(new IntegrityTally()));
}

/** Declares the score's shared counters (probes, damaged probes, unverified) on a check's registry. */
export function describeScoreMetrics(ctx: CheckContext): void {
  ctx.metrics.counter(INTEGRITY_PROBES).add(0);
  ctx.metrics.counter(INTEGRITY_DAMAGED_PROBES).add(0);
  ctx.metrics.counter(INTEGRITY_UNVERIFIED).add(0);
}

/** Records one data probe for the score: clean or damaged. */
export function probe(ctx: CheckContext, damaged: boolean): void {
  ctx.metrics.counter(INTEGRITY_PROBES).add(1);
  if (damaged) ctx.metrics.counter(INTEGRITY_DAMAGED_PROBES).add(1);
}

/**
 * Runs a scored check's body: registers it with the tally (so a check that stops is a gap in the score, with its
 * reason) and records how it ended. `nothingToVerify` marks a skip that leaves no gap (no invariants configured).
 */
export async function scoredRun(ctx: CheckContext, id: string, body: () => Promise<void>): Promise<void> {
  const tally = await integrityTally(ctx);
  const entry: Entry = { metrics: ctx.metrics, status: 'running' };
  tally.entries.set(id, entry);
  describeScoreMetrics(ctx);
  try {
    await body();
    entry.status = 'done';
  } catch (err) {
    entry.status = err instanceof SkipCheck ? 'skip' : 'fail';
    entry.reason = describeError(err);
    entry.nothingToVerify = err instanceof NothingToVerify;
    if (entry.nothingToVerify) ctx.info(NOTHING_TO_VERIFY, true);
    throw err;
  }
}

/** A skip that leaves no gap in the score: there was nothing to verify. */
export class NothingToVerify extends SkipCheck {}

export const scoreCheck: Check = {
  id: 'integrity.score',
  category: 'integrity',
  merge: scoreMerge,
  title: 'Integrity score',
  needs: ['pg'],
  metrics: [INTEGRITY_DAMAGED_PROBES, INTEGRITY_PROBES, INTEGRITY_SCORE, INTEGRITY_SCORE_GAPS, INTEGRITY_UNVERIFIED],
  writes: false,
  thresholds: (config) => ({
    integrity_score: [`value>${config.thresholds.integrity_score}`],
    [DAMAGED_PROBES]: ['count==0'],
    integrity_score_gaps: [{ warn: 'count==0' }],
  }),
  async run(ctx) {
    const s = integrityScore((await integrityTally(ctx)).results());
    if (!s) throw new SkipCheck('no other integrity check ran, so there is nothing to score');
      ctx.metrics.gauge(INTEGRITY_SCORE).set(s.score);
    ctx.metrics.counter(INTEGRITY_DAMAGED_PROBES).add(s.damagedProbes);
    ctx.metrics.counter(INTEGRITY_SCORE_GAPS).add(s.gaps.length);
    ctx.metrics.headline('integrity_score');
    ctx.info('state', s.state);
    ctx.info('probes', s.probes);
    ctx.info('parts', s.parts);
    if (s.damage.length > 0) {
      ctx.finding({
        severity: 'error', title: `integrity score ${(s.score * 100).toFixed(1)} %: damaged data found (${s.damagedProbes} of ${s.probes} data probes)`,
        detail: s.damage.map((d) => `${d.check}: ${d.count} ${d.what}`).join('; '),
        recommendation: 'See those checks\' findings: each names the object and the rows.',
        data: { damage: s.damage },
      });
    }
    if (s.gaps.length > 0) {
      ctx.finding({
        severity: 'warn', title: `integrity score incomplete: ${s.gaps.length} part(s) not verified`,
        detail: s.gaps.map((g) => `${g.check}: ${g.why}`).join('; '),
        recommendation: 'The score covers only what was verified; it is not a clean bill of health for the rest. Fix the reasons above and run again.',
        data: { gaps: s.gaps },
      });
    }
  },
};
