// Runs a check's queries one after another on a pool sized to the concurrency, then EXPLAINs the slowest.
import type { CheckContext } from '../types.js';
import { explainSlowest } from './explain.js';
import { measureQuery, type MeasuredQuery, type QueryOutcome } from './measure.js';

/** `seedStream` keeps each check's parameter sequences apart (basic, financial, custom). */
export async function runQueries(ctx: CheckContext, queries: MeasuredQuery[], seedStream: number): Promise<QueryOutcome[]> {
  const pg = ctx.targets.pg!;
  // User SQL (isolate) runs on sessions that are read-only themselves, besides the READ ONLY transaction around it.
  const readOnly = queries.every((q) => q.isolate);
  const pool = pg.createPool({ max: ctx.config.queries.concurrency, applicationName: 'stackprobe-queries', readOnly });
  ctx.defer(() => pool.end());
  const outcomes: QueryOutcome[] = [];
  for (const [i, q] of queries.entries()) {
    if (ctx.signal.aborted) break;
    ctx.progress(`${q.name} (${i + 1}/${queries.length})`);
    outcomes.push(await measureQuery(ctx, pool, q, i, seedStream));
  }
  if (!ctx.signal.aborted) await explainSlowest(ctx, pool, outcomes, seedStream);
  return outcomes;
}
