// N+1 and chatty access: pg_stat_statements read before the first stage and after each one; statements the load's
// requests called many times each with few rows per call (a loop of point lookups one IN (…) or join would replace),
// named with their calls per request and the server time they cost per request.
import type { Queryable } from '../../resources/pg-waits.js';
import { metric } from '../../metrics/declare.js';
import { unit } from '../../metrics/unit.js';

/** Named catalog query: this database's statements by calls (bounded), where the extension is installed. */
export const PGSS_CALLS = `SELECT s.queryid::text AS queryid, s.query, s.calls::float8 AS calls, s.rows::float8 AS rows, s.total_exec_time::float8 AS ms
  FROM pg_stat_statements s WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  ORDER BY s.calls DESC LIMIT 1000`;

export interface PgssRow { queryid: string; query: string; calls: number; rows: number; ms: number }

/** Calls per request at or above this, with at most CHATTY_ROWS rows per call, make a statement chatty. */
export const CHATTY_CALLS = 10;
export const CHATTY_ROWS = 2;

export const CHATTY_METRICS = {
  callsPerRequest: metric.gauge({ name: 'load_statement_calls_per_request', meaning: 'state', better: 'lower', basis: 'derived', unit: unit.count(), description: 'calls of a statement (tag statement: its queryid) per request of the load, over the stages (pg_stat_statements difference), for the chatty ones' }),
  msPerRequest: metric.gauge({ name: 'load_statement_time_per_request', meaning: 'state', better: 'lower', basis: 'derived', unit: unit.ms, description: 'server execution time of that statement per request of the load' }),
};

/** Reads the statements; null when pg_stat_statements is not installed in this database (or not readable). */
export async function readStatements(db: Queryable): Promise<{ rows: PgssRow[] } | { reason: string }> {
  try {
    return { rows: (await db.query<PgssRow>(PGSS_CALLS)).rows };
  } catch (err) {
    return { reason: `pg_stat_statements could not be read in this database (${(err as Error).message})` };
  }
}

export interface ChattyStatement {
  queryid: string;
  query: string;
  calls: number;
  callsPerRequest: number;
  rowsPerCall: number;
  msPerRequest: number;
  /** Share of the load's statements' server time this statement took. */
  timeShare: number;
}

/** Pure: the statements called ≥ CHATTY_CALLS times per request with ≤ CHATTY_ROWS rows per call, costliest first. */
export function chattyStatements(before: PgssRow[], after: PgssRow[], requests: number): ChattyStatement[] {
  if (requests <= 0) return [];
  // A statement evicted and re-entered, or a reset: counts that went backwards are read as new.
  const deltas = statementDeltas(before, after, Number.POSITIVE_INFINITY);
  const totalMs = deltas.reduce((n, d) => n + Math.max(0, d.ms), 0);
  return deltas
    .map((d) => ({ queryid: d.queryid, query: d.query, calls: d.calls, callsPerRequest: d.calls / requests, rowsPerCall: d.rows / d.calls, msPerRequest: d.ms / requests, timeShare: totalMs > 0 ? d.ms / totalMs : 0 }))
    .filter((c) => c.callsPerRequest >= CHATTY_CALLS && c.rowsPerCall <= CHATTY_ROWS)
    .sort((a, b) => b.msPerRequest - a.msPerRequest);
}

export interface StatementDelta { queryid: string; query: string; calls: number; rows: number; ms: number }

/** Pure: each statement's calls, rows and execution time between two readings, the `n` costliest by time. */
export function statementDeltas(before: PgssRow[], after: PgssRow[], n: number): StatementDelta[] {
  const was = new Map(before.map((r) => [r.queryid, r]));
  return after
    .map((r) => {
      const b = was.get(r.queryid);
      const fresh = !b || r.calls < b.calls;
      return { queryid: r.queryid, query: r.query, calls: fresh ? r.calls : r.calls - b.calls, rows: fresh ? r.rows : r.rows - b.rows, ms: fresh ? r.ms : r.ms - b.ms };
    })
    .filter((d) => d.calls > 0)
    .sort((a, b) => b.ms - a.ms)
    .slice(0, n);
}
