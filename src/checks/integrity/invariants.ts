// integrity.invariants: the user's own rules (config.integrity.invariants), each a query returning the rows that break it, run read-only.
import { SkipCheck } from '../../util/errors.js';
import type { Check, CheckContext } from '../types.js';
import { failure, readOnlySession } from './read-only.js';
import { scored } from './score.js';
import { unverified, UNVERIFIED } from './scope.js';

/** The user's query as a subquery, so one statement gives the violation count and a sample; a trailing `;` is dropped. */
export function wrapInvariant(sql: string, sample: number): string {
  const body = sql.trim().replace(/;\s*$/, '');
  return `SELECT count(*) OVER () AS stackprobe_n, stackprobe_v.* FROM (${body}\n) stackprobe_v LIMIT ${Math.max(1, sample)}`;
}

async function checkOne(ctx: CheckContext, db: Awaited<ReturnType<typeof readOnlySession>>, i: number): Promise<boolean | undefined> {
  const inv = ctx.config.integrity.invariants[i]!;
  ctx.progress(inv.name);
  const violations = ctx.metrics.counter('invariant_violation_rows', { invariant: inv.name }, 'rows');
  const t0 = performance.now();
  let rows: Array<Record<string, unknown>>;
  try {
    rows = await db.query(wrapInvariant(inv.sql, ctx.config.integrity.sample_rows));
  } catch (err) {
    const e = failure(err);
    unverified(ctx, `invariant "${inv.name}" could not be evaluated: ${e.message}`, `config.integrity.invariants[${i}].sql failed [${e.kind}]; the rule was not verified.`, inv.name,
      e.kind === '25006' ? 'An invariant must only read: it runs in a READ ONLY transaction.' : 'Fix the query (run it in psql first); it must return the rows that break the rule.');
    return undefined;
  } finally {
    ctx.metrics.trend('invariant_duration', { invariant: inv.name }).record(performance.now() - t0);
  }
  const n = rows.length === 0 ? 0 : Number(rows[0]!.stackprobe_n);
  violations.add(n);
  if (n === 0) return true;
  const sample = rows.slice(0, ctx.config.integrity.sample_rows).map(({ stackprobe_n: _n, ...rest }) => rest);
  ctx.finding({
    severity: 'error', subject: inv.name, title: `invariant "${inv.name}" is broken: ${n} offending row(s)`,
    detail: `${inv.description ? `${inv.description}. ` : ''}Sample: ${JSON.stringify(sample)}`,
    recommendation: 'Investigate the offending rows (the query is in config.integrity.invariants) and correct them at their source; add a constraint or trigger that keeps the rule if the schema can express it.',
    data: { invariant: inv.name, violations: n, sample },
  });
  return false;
}

export const invariantsCheck: Check = {
  id: 'integrity.invariants',
  category: 'integrity',
  title: 'Your invariants (config.integrity.invariants)',
  needs: ['pg'],
  writes: false,
  thresholds: () => ({ invariant_violation_rows: ['count==0'], [UNVERIFIED]: [{ warn: 'count==0' }] }),
  async run(ctx) {
    const list = ctx.config.integrity.invariants;
    if (list.length === 0) throw new SkipCheck('no invariants in config.integrity.invariants');
    const done = await scored(ctx, 'integrity.invariants');
    const db = await readOnlySession(ctx, 'stackprobe-integrity');
    ctx.metrics.counter(UNVERIFIED).add(0);
    ctx.metrics.counter('invariant_violation_rows', {}, 'rows').add(0);
    const seen = new Set<string>();
    let probes = 0;
    let clean = 0;
    for (let i = 0; i < list.length; i++) {
      if (seen.has(list[i]!.name)) {
        unverified(ctx, `config.integrity.invariants[${i}] repeats the name "${list[i]!.name}"; only the first is run`, 'Names tag the metrics, so they must be unique.', list[i]!.name, 'Give each invariant its own name.');
        continue;
      }
      seen.add(list[i]!.name);
      const ok = await checkOne(ctx, db, i);
      if (ok === undefined) continue;
      probes++;
      if (ok) clean++;
    }
    done(probes, clean);
  },
};
