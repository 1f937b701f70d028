// integrity.invariants: the user's own rules (config.integrity.invariants), each a query returning the rows that break it, run read-only.
import { NotAReadStatementError } from '../../safety/errors.js';
import { assertRole, readGuard } from '../user-sql.js';
import type { Check, CheckContext } from '../types.js';
import { failure, readOnlySession, type ReadOnlySession } from './read-only.js';
import { NothingToVerify, probe, scoredRun } from './score.js';
import { unverified, UNVERIFIED } from './scope.js';
import { INTEGRITY_DAMAGED_PROBES, INTEGRITY_PROBES, INTEGRITY_UNVERIFIED, INVARIANT_DURATION, INVARIANT_VIOLATION_ROWS } from './metrics.js';

/**
 * The user's query as a subquery, so one statement gives the violation count and a sample; a trailing `;` is dropped.
 * The config already refused anything but one read statement with balanced parentheses, so the body cannot close the
 * subquery early; queryReadOnly checks the wrapped statement again before sending it.
 */
export function wrapInvariant(sql: string, sample: number): string {
  const body = sql.trim().replace(/;\s*$/, '');
  return `SELECT count(*) OVER () AS stackprobe_n, stackprobe_v.* FROM (${body}\n) stackprobe_v LIMIT ${Math.max(1, sample)}`;
}

/** One line for a failed invariant: the server's message or why it was not run, never a stack. */
const oneLine = (s: string) => s.split('\n')[0]!.slice(0, 300);

async function checkOne(ctx: CheckContext, db: ReadOnlySession, i: number): Promise<void> {
  const inv = ctx.config.integrity.invariants[i]!;
  ctx.progress(inv.name);
  const violations = ctx.metrics.counter(INVARIANT_VIOLATION_ROWS, { invariant: inv.name });
  const t0 = performance.now();
  let rows: Array<Record<string, unknown>>;
  try {
    // The user's statement is judged on its own by the parser and the target's catalog (what it may run), then wrapped,
    // and the wrapper parsed again before it is sent.
    const why = await (await readGuard(ctx)).whyNot(inv.sql);
    if (why) throw new NotAReadStatementError(`not run: ${why}`);
    rows = await db.user(wrapInvariant(inv.sql, ctx.config.integrity.sample_rows), ctx.targets.pg!.timeouts.operationMs);
  } catch (err) {
    const e = failure(err);
    unverified(ctx, `invariant "${inv.name}" could not be evaluated: ${oneLine(e.message)}`, `config.integrity.invariants[${i}].sql failed [${e.kind}]; the rule was not verified.`, inv.name,
      e.kind === '25006' ? 'An invariant must only read: it runs in a READ ONLY transaction.' : 'Fix the query (run it in psql first); it must return the rows that break the rule.');
    return;
  } finally {
    ctx.metrics.trend(INVARIANT_DURATION, { invariant: inv.name }).record(performance.now() - t0);
  }
  const n = rows.length === 0 ? 0 : Number(rows[0]!.stackprobe_n);
  violations.add(n);
  probe(ctx, n > 0);
  if (n === 0) return;
  const sample = rows.slice(0, ctx.config.integrity.sample_rows).map(({ stackprobe_n: _n, ...rest }) => rest);
  ctx.finding({
    severity: 'error', subject: inv.name, title: `invariant "${inv.name}" is broken: ${n} offending row(s)`,
    detail: `${inv.description ? `${inv.description}. ` : ''}Sample: ${JSON.stringify(sample)}`,
    recommendation: 'Investigate the offending rows (the query is in config.integrity.invariants) and correct them at their source; add a constraint or trigger that keeps the rule if the schema can express it.',
    data: { invariant: inv.name, violations: n, sample },
  });
}

export const invariantsCheck: Check = {
  id: 'integrity.invariants',
  category: 'integrity',
  title: 'Your invariants (config.integrity.invariants)',
  needs: ['pg'],
  metrics: [INVARIANT_DURATION, INVARIANT_VIOLATION_ROWS, INTEGRITY_UNVERIFIED, INTEGRITY_DAMAGED_PROBES, INTEGRITY_PROBES],
  writes: false,
  thresholds: () => ({ invariant_violation_rows: ['count==0'], [UNVERIFIED]: [{ warn: 'count==0' }] }),
  run: (ctx) => scoredRun(ctx, 'integrity.invariants', async () => {
    const list = ctx.config.integrity.invariants;
    if (list.length === 0) throw new NothingToVerify('no invariants in config.integrity.invariants');
    ctx.metrics.headline('invariant_violation_rows');
    // Under --read-only the role comes first: a role that could write fails the check before any invariant is sent.
    await assertRole(ctx);
    const db = await readOnlySession(ctx, 'stackprobe-integrity');
    ctx.metrics.counter(INVARIANT_VIOLATION_ROWS).add(0);
    const seen = new Set<string>();
    for (let i = 0; i < list.length; i++) {
      if (seen.has(list[i]!.name)) {
        unverified(ctx, `config.integrity.invariants[${i}] repeats the name "${list[i]!.name}"; only the first is run`, 'Names tag the metrics, so they must be unique.', list[i]!.name, 'Give each invariant its own name.');
        continue;
      }
      seen.add(list[i]!.name);
      await checkOne(ctx, db, i);
    }
  }),
};
