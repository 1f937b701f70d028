// Runs a check's queries one after another on a pool sized to the concurrency, then EXPLAINs the slowest.
import { capToHeadroom, connectionHeadroom } from '../../targets/pg/headroom.js';
import type { CheckContext } from '../types.js';
import { explainSlowest } from './explain.js';
import { measureQuery, type MeasuredQuery, type QueryOutcome } from './measure.js';

/** Sessions the server leaves for the application when stackprobe caps its own concurrency. */
const SPARE_SESSIONS = 5;

/** config.queries.concurrency, capped so that the server keeps free sessions for the application (and said so). */
async function queryConcurrency(ctx: CheckContext): Promise<number> {
  const wanted = ctx.config.queries.concurrency;
  const { value, capped } = capToHeadroom(wanted, await connectionHeadroom(ctx.targets.pg!), SPARE_SESSIONS);
  if (capped) ctx.finding({ severity: 'warn', subject: 'queries.concurrency', title: `concurrency capped at ${value}`, detail: capped, recommendation: 'Lower config.queries.concurrency, or raise max_connections / the connection limit if the server is meant to take that many.' });
  ctx.info('concurrency', value);
  return value;
}

/** `seedStream` keeps each check's parameter sequences apart (basic, financial, custom). */
export async function runQueries(ctx: CheckContext, queries: MeasuredQuery[], seedStream: number): Promise<QueryOutcome[]> {
  const pg = ctx.targets.pg!;
  // User SQL (isolate) runs on sessions that are read-only themselves, besides the READ ONLY transaction around it.
  const readOnly = queries.every((q) => q.isolate);
  const vus = await queryConcurrency(ctx);
  const pool = pg.createPool({ max: vus, applicationName: 'stackprobe-queries', readOnly });
  ctx.defer(() => pool.end());
  const outcomes: QueryOutcome[] = [];
  for (const [i, q] of queries.entries()) {
    if (ctx.signal.aborted) break;
    ctx.progress(`${q.name} (${i + 1}/${queries.length})`);
    outcomes.push(await measureQuery(ctx, pool, q, i, seedStream, vus));
  }
  if (!ctx.signal.aborted) await explainSlowest(ctx, pool, outcomes, seedStream);
  return outcomes;
}
