// The application's current rate, measured over a window of the run: pg_stat_statements read before and after a quiet
// window just before the first stage (stackprobe's load not yet running), so the rate is the app's now, never an
// average since the counters were last reset. stackprobe's own statements in that window (the resource monitor's
// pg_stat_database read, the pools' no-op, its own pg_stat_statements read) are left out by the query identifier the
// server gives them (EXPLAIN VERBOSE), never by their text.
import { sleep } from '../../exec/timeout.js';
import type { Queryable } from '../../resources/pg-waits.js';
import { PG_STAT_DATABASE } from '../../resources/pg.js';
import { describeError } from '../../util/errors.js';
import { short } from '../health/words.js';
import { PGSS_CALLS, readStatements, type PgssRow } from './chatty.js';

/** The quiet window's length: long enough for a few calls a second to count, short beside the stages. */
export const CURRENT_RATE_WINDOW_MS = 3000;

/** What stackprobe itself runs on the target database while the window is open. */
const OWN_STATEMENTS = [PG_STAT_DATABASE, 'SELECT 1', PGSS_CALLS];

export interface WindowRate {
  /** Statements per second of every other client of this database over the window. */
  statementsPerS: number;
  calls: number;
  seconds: number;
  /** stackprobe's own calls in the window, left out. */
  ownCalls: number;
  /** The second reading: pg_stat_statements just before the first stage. */
  after: PgssRow[];
  /** stackprobe's own statements' query identifiers. */
  own: ReadonlySet<string>;
  /** The three statements called most in the window, with their calls: what the rate is made of. */
  top: Array<{ query: string; calls: number }>;
}

/** The query identifiers of stackprobe's own statements (PostgreSQL 14+ with compute_query_id, on wherever pg_stat_statements is loaded). */
export async function ownQueryIds(db: Queryable): Promise<Set<string> | { reason: string }> {
  const ids = new Set<string>();
  for (const sql of OWN_STATEMENTS) {
    try {
      // Text, not JSON: the identifier is a 64-bit integer a JSON number would round.
      const lines = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (VERBOSE) ${sql}`)).rows.map((r) => r['QUERY PLAN'].trim());
      const id = lines.find((l) => l.startsWith('Query Identifier: '))?.slice('Query Identifier: '.length);
      if (id === undefined) return { reason: 'the server gives statements no query identifier (PostgreSQL before 14, or compute_query_id off)' };
      ids.add(String(id));
    } catch (err) {
      return { reason: `stackprobe's own statements could not be identified (${describeError(err)})` };
    }
  }
  return ids;
}

/** Pure: calls between two readings, those of `own` apart (a statement whose calls went backwards was reset: counted anew). */
export function callsBetween(before: PgssRow[], after: PgssRow[], own: ReadonlySet<string>): { calls: number; ownCalls: number; top: Array<{ query: string; calls: number }> } {
  const was = new Map(before.map((r) => [r.queryid, r.calls]));
  let calls = 0;
  let ownCalls = 0;
  const others: Array<{ query: string; calls: number }> = [];
  for (const r of after) {
    const b = was.get(r.queryid);
    const d = b === undefined || r.calls < b ? r.calls : r.calls - b;
    if (own.has(r.queryid)) ownCalls += d;
    else if (d > 0) {
      calls += d;
      others.push({ query: r.query, calls: d });
    }
  }
  return { calls, ownCalls, top: others.sort((a, b) => b.calls - a.calls).slice(0, 3) };
}

/** Reads pg_stat_statements, waits `windowMs` (abortable), reads it again: the rate of the other clients between the reads. */
export async function measureWindow(db: Queryable, windowMs: number, signal: AbortSignal): Promise<WindowRate | { reason: string }> {
  const own = await ownQueryIds(db);
  if ('reason' in own) return own;
  // Each reading is taken at the middle of its round trip, as near as the client can tell: the window runs between them.
  const read = async () => {
    const t = performance.now();
    const r = await readStatements(db);
    return { r, at: (t + performance.now()) / 2 };
  };
  const first = await read();
  if ('reason' in first.r) return first.r;
  await sleep(windowMs, signal);
  const second = await read();
  if ('reason' in second.r) return second.r;
  const seconds = (second.at - first.at) / 1000;
  const { calls, ownCalls, top } = callsBetween(first.r.rows, second.r.rows, own);
  return { statementsPerS: calls / seconds, calls, seconds, ownCalls, after: second.r.rows, own, top };
}

/** What the load itself sent over its stages, for the statements a request of the mix makes. */
export interface StagesStatements {
  before: PgssRow[];
  after: PgssRow[];
  /** Wall time between the two readings, s. */
  seconds: number;
  requests: number;
  /** Calls stackprobe made meanwhile besides the load's (the wait sampler's rounds), left out as well. */
  samplerCalls: number;
}

const f1 = (v: number) => (v >= 10 ? v.toFixed(0) : v.toFixed(1));

/**
 * Pure: the app's current rate in requests of the stages' units. load.replay (`statementRequests`): a request is one
 * statement, so the window's statement rate. load.mixed: that rate over the statements a request of the mix made over
 * the stages (their calls, the app's own share at the window's rate and stackprobe's sampling taken out).
 */
export function currentRequestRate(w: WindowRate, statementRequests: boolean, stages?: StagesStatements): { rate: number; source: string; statementsPerRequest: number } | { reason: string } {
  const most = w.top.map((t) => `${short(t.query, 60)} ×${t.calls}`).join(', ');
  const window = `pg_stat_statements over a ${w.seconds.toFixed(1)} s window just before the first stage: ${f1(w.statementsPerS)} statements/s of this database (${w.calls} calls${most ? `, most: ${most}` : ''}; stackprobe's own ${w.ownCalls} left out)`;
  if (w.calls === 0) return { reason: `${window}: no other client ran a statement` };
  if (statementRequests) return { rate: w.statementsPerS, source: `${window}; a replayed request is one statement`, statementsPerRequest: 1 };
  if (!stages || stages.requests <= 0) return { reason: `${window}; no request of the load ran to say how many statements one makes` };
  const load = callsBetween(stages.before, stages.after, w.own).calls - stages.samplerCalls - w.statementsPerS * stages.seconds;
  const perRequest = load / stages.requests;
  if (!(perRequest > 0)) return { reason: `${window}; the load's own statements could not be told from the app's over the stages` };
  return { rate: w.statementsPerS / perRequest, source: `${window}, over ${perRequest.toFixed(2)} statements per request of this mix (the load's calls over the stages)`, statementsPerRequest: perRequest };
}
