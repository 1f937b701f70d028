// integrity.score: one figure for the category, the weighted share of clean probes over the integrity checks that ran.
import { SkipCheck } from '../../util/errors.js';
import type { Check, CheckContext } from '../types.js';

/**
 * Weights per check (see docs/checks/integrity.md): physical corruption loses data outright (3); broken references,
 * broken business rules and violated declared constraints make financial figures wrong (2); catalog hazards (an invalid
 * index, a sequence near overflow) and risky column types are threats to data not yet damage to it (1).
 */
export const SCORE_WEIGHTS: Record<string, number> = {
  'integrity.foreign_keys': 2,
  'integrity.constraints': 2,
  'integrity.types': 1,
  'integrity.invariants': 2,
  'integrity.catalog': 1,
  'integrity.corruption': 3,
};

interface Entry {
  probes: number;
  clean: number;
  finished: boolean;
}

/** The run's tally: each integrity check says how many things it probed and how many were clean. */
export class IntegrityTally {
  readonly entries = new Map<string, Entry>();

  start(id: string): void {
    this.entries.set(id, { probes: 0, clean: 0, finished: false });
  }

  finish(id: string, probes: number, clean: number): void {
    this.entries.set(id, { probes, clean, finished: true });
  }

  /** Weighted mean over finished checks of each check's clean share; a check with nothing to probe counts as clean. */
  score(): { score: number; parts: Record<string, number>; unscored: string[] } | undefined {
    let num = 0;
    let den = 0;
    const parts: Record<string, number> = {};
    const unscored: string[] = [];
    for (const [id, e] of this.entries) {
      if (!e.finished) {
        unscored.push(id);
        continue;
      }
      const share = e.probes === 0 ? 1 : e.clean / e.probes;
      const w = SCORE_WEIGHTS[id] ?? 1;
      parts[id] = share;
      num += w * share;
      den += w;
    }
    return den === 0 ? undefined : { score: num / den, parts, unscored };
  }
}

export function integrityTally(ctx: CheckContext): Promise<IntegrityTally> {
  return ctx.shared('integrity.tally', () => Promise.resolve(new IntegrityTally()));
}

/** Registers the check with the tally; call `done(probes, clean)` at the end. A check that throws stays unscored. */
export async function scored(ctx: CheckContext, id: string): Promise<(probes: number, clean: number) => void> {
  const tally = await integrityTally(ctx);
  tally.start(id);
  return (probes, clean) => tally.finish(id, probes, clean);
}

export const scoreCheck: Check = {
  id: 'integrity.score',
  category: 'integrity',
  title: 'Integrity score',
  needs: ['pg'],
  writes: false,
  thresholds: (config) => ({ integrity_score: [`value>${config.thresholds.integrity_score}`] }),
  async run(ctx) {
    const result = (await integrityTally(ctx)).score();
    if (!result) throw new SkipCheck('no other integrity check finished in this run, so there is nothing to score');
    ctx.metrics.gauge('integrity_score', {}, 'ratio').set(result.score);
    ctx.info('parts', result.parts);
    ctx.info('weights', SCORE_WEIGHTS);
    if (result.unscored.length > 0) {
      ctx.info('unscored', result.unscored);
      ctx.finding({
        severity: 'info', title: `${result.unscored.length} integrity check(s) did not finish and are left out of the score`,
        detail: result.unscored.join(', '), recommendation: 'See those checks\' reasons; the score covers only what was verified.',
      });
    }
  },
};
