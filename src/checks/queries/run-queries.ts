// Runs a check's queries one after another on measuring sessions (one per VU), then EXPLAINs the slowest on a pg pool.
import { capToHeadroom, connectionHeadroom } from '../../targets/pg/headroom.js';
import type { CheckContext } from '../types.js';
import { explainSlowest } from './explain.js';
import { measureQuery, settleRule, type MeasuredQuery, type QueryOutcome } from './measure.js';
import { QuerySessions } from './sessions.js';

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

/** One line a reader sees beside the latencies: how much of a p50 is the round trip itself (network and client). */
function clientShare(ctx: CheckContext, outcomes: QueryOutcome[]): void {
  const measured = outcomes.filter((o) => o.noopP50 !== undefined && o.p50 !== undefined);
  if (measured.length === 0) return;
  const noop = Math.min(...measured.map((o) => o.noopP50!));
  const fmt = (ms: number) => `${ms.toFixed(3)} ms`;
  ctx.finding({
    severity: 'info', subject: 'client share',
    title: `a no-op round trip (prepared SELECT 1, same sessions) takes p50 ${fmt(noop)}: that much of each query's p50 is the network and stackprobe`,
    detail: measured.map((o) => `${o.query.name}: p50 ${fmt(o.p50!)}, no-op beside it ${fmt(o.noopP50!)}`).join('; '),
    data: { noopP50Ms: noop, queries: Object.fromEntries(measured.map((o) => [o.query.name, { p50Ms: o.p50, noopP50Ms: o.noopP50 }])) },
  });
}

/** `seedStream` keeps each check's parameter sequences apart (basic, financial, custom); `checkId` is the caller's. */
export async function runQueries(ctx: CheckContext, queries: MeasuredQuery[], seedStream: number, checkId: string): Promise<QueryOutcome[]> {
  const pg = ctx.targets.pg!;
  // User SQL (isolate) runs on sessions whose every transaction is read-only (targets/pg/wire/session.ts).
  const readOnly = queries.every((q) => q.isolate);
  const vus = await queryConcurrency(ctx);
  const sessions = await QuerySessions.open(pg, vus, { applicationName: 'stackprobe-queries', statementTimeoutMs: ctx.config.timeouts.operation_ms, readOnly });
  ctx.defer(() => sessions.close());
  const outcomes: QueryOutcome[] = [];
  const settle = settleRule(ctx, checkId);
  for (const [i, q] of queries.entries()) {
    if (ctx.signal.aborted) break;
    ctx.progress(`${q.name} (${i + 1}/${queries.length})`);
    outcomes.push(await measureQuery(ctx, sessions, q, i, seedStream, settle));
  }
  await sessions.close();
  ctx.info('window_ms', Object.fromEntries(outcomes.map((o) => [o.query.name, Math.round(o.windowMs)])));
  clientShare(ctx, outcomes);
  if (ctx.signal.aborted) return outcomes;
  // EXPLAIN needs the plan's rows decoded: node-postgres, on a small pool of its own.
  const pool = pg.createPool({ max: 1, applicationName: 'stackprobe-queries', readOnly });
  ctx.defer(() => pool.end());
  await explainSlowest(ctx, pool, outcomes, seedStream);
  return outcomes;
}
