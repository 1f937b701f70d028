// Who uses the workload schema: one run (its id) and its live segments, registered in the schema itself under a mutex.
import type { PgPool, PgPooledSession } from '../targets/pg/types.js';
import type { Segment } from '../exec/stages.js';
import { wl } from './sql.js';

/** Advisory lock key ('stkp', 2): held (per transaction) while a segment joins or leaves, so two never decide at once. */
const MUTEX: [number, number] = [0x73746b70, 2];
/**
 * Joining or leaving waits at most this long for the mutex: another segment's decision takes milliseconds, but the one
 * that replaces a large leftover schema holds it while DROP SCHEMA runs.
 */
const MUTEX_WAIT = '60s';

export interface Membership {
  runId: string;
  segment: Segment;
}

/** The two coordination tables, created with the schema: the run (one row) and its members (a row per live segment). */
export function coordinationTablesSql(): string[] {
  return [
    `CREATE TABLE ${wl('_run')} (run_id text PRIMARY KEY, segments integer NOT NULL, ready_at timestamptz, rows jsonb, start_at timestamptz, failed text)`,
    // A member is alive while its session (pid + backend_start, which a reused pid does not repeat) is in pg_stat_activity.
    `CREATE TABLE ${wl('_members')} (segment integer PRIMARY KEY, pid integer NOT NULL, backend_start timestamptz NOT NULL, prepares boolean NOT NULL, arrived_at timestamptz, joined_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
  ];
}

/** Runs fn in a transaction holding the join/leave mutex; the lock ends with the transaction (or the session). */
export async function withMutex<T>(client: PgPooledSession, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = '${MUTEX_WAIT}'`);
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', MUTEX);
    const out = await fn();
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined); // the session may be gone: the server rolled back already
    throw err;
  }
}

/** True when the schema has the coordination tables (a schema left by an older version has none). */
export async function hasCoordination(c: PgPooledSession): Promise<boolean> {
  const res = await c.query<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AS ok`, [wl('_run'), wl('_members')]);
  return res.rows[0]!.ok;
}

const ALIVE = `EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = m.pid AND a.backend_start = m.backend_start)`;

/** Removes members whose session is gone (a killed segment); returns their segment numbers. */
export async function reapDead(c: PgPooledSession): Promise<number[]> {
  const res = await c.query<{ segment: number }>(`DELETE FROM ${wl('_members')} m WHERE NOT ${ALIVE} RETURNING segment`);
  return res.rows.map((r) => r.segment).sort((a, b) => a - b);
}

export interface RunRow {
  run_id: string;
  segments: number;
  ready: boolean;
  started: boolean;
  failed: string | null;
}

export async function runRow(c: PgPooledSession | PgPool): Promise<RunRow | undefined> {
  const res = await c.query<RunRow>(`SELECT run_id, segments, ready_at IS NOT NULL AS ready, start_at IS NOT NULL AS started, failed FROM ${wl('_run')}`);
  return res.rows[0];
}

export interface MemberRow {
  segment: number;
  prepares: boolean;
  arrived: boolean;
  alive: boolean;
}

export async function members(c: PgPooledSession | PgPool): Promise<MemberRow[]> {
  const res = await c.query<MemberRow>(`SELECT segment, prepares, arrived_at IS NOT NULL AS arrived, ${ALIVE} AS alive FROM ${wl('_members')} m ORDER BY segment`);
  return res.rows;
}

export const segmentList = (segments: number[], count: number): string => segments.map((s) => `${s}/${count}`).join(', ');

/**
 * Why this segment may not join the run that holds the schema, or undefined when it may. `live` are the members left
 * after reaping; an empty list means the schema is a leftover (handled by the caller).
 */
export function joinRefusal(run: RunRow, live: number[], me: Membership): string | undefined {
  const busy = `another stackprobe run is using the "stackprobe" workload schema in this database`;
  if (run.run_id !== me.runId) {
    return `${busy} (run id ${run.run_id}, segments ${segmentList(live, run.segments)} running; this is run ${me.runId}): wait for it to finish, or give every segment of one run the same --run-id`;
  }
  if (run.segments !== me.segment.count) return `run ${run.run_id} was started with ${run.segments} segments, this is segment ${me.segment.index}/${me.segment.count}: every segment must use the same n`;
  if (live.includes(me.segment.index)) return `${busy}: segment ${me.segment.index}/${me.segment.count} of run ${run.run_id} is already running (a second copy of one segment would count its load twice)`;
  if (run.started) return `run ${run.run_id} already started its stages without segment ${me.segment.index}/${me.segment.count}: a segment that arrives after the start cannot join`;
  if (run.failed) return `run ${run.run_id} failed before its start: ${run.failed}`;
  return undefined;
}

/** Registers this session as a member. */
export async function register(c: PgPooledSession, me: Membership, prepares: boolean): Promise<void> {
  await c.query(
    `INSERT INTO ${wl('_members')} (segment, pid, backend_start, prepares)
     SELECT $1, pid, backend_start, $2 FROM pg_stat_activity WHERE pid = pg_backend_pid()`,
    [me.segment.index, prepares],
  );
}

/** Records a failure every member will see (the barrier and the ready wait read it). */
export async function markFailed(c: PgPooledSession | PgPool, reason: string): Promise<void> {
  await c.query(`UPDATE ${wl('_run')} SET failed = coalesce(failed, $1)`, [reason]);
}
