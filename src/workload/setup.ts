// Creates the financial workload schema (refusing a foreign one), loads it with COPY, indexes and analyses it; and drops it.
// Segments of one run share it: the first creates and loads it, the others join (join.ts), the last one drops it.
import { randomBytes } from 'node:crypto';
import type { PgPooledSession } from '../targets/pg/types.js';
import type { PgTarget } from '../targets/pg/target.js';
import { TOOL_VERSION } from '../version.js';
import { tableData } from './generate.js';
import { joinOrCreate, leaveRun, MARKER, waitReady } from './join.js';
import { coordinationTablesSql, markFailed, type Membership } from './members.js';
import { planWorkload } from './plan.js';
import { createKeysSql, createTablesSql, resetSequencesSql } from './schema.js';
import { cancellable, copyInto, openMemberSession, type MemberSession } from './session.js';
import { quoteIdent, SCHEMA, wl } from './sql.js';
import type { Workload, WorkloadOptions } from './types.js';

export { MARKER, schemaState } from './join.js';

/** Loading a large scale takes longer than one ordinary query; the check's own time budget and Ctrl-C still bound it. */
const LOAD_STATEMENT_TIMEOUT_MS = 60 * 60 * 1000;
/** A joining segment waits at most this long for the preparing one (its own check budget and Ctrl-C bound it too). */
const DEFAULT_READY_TIMEOUT_MS = 30 * 60 * 1000;

/** A run id of its own, for a run that is alone (one segment): nobody else can join it by accident. */
export function randomRunId(): string {
  return `run-${randomBytes(6).toString('hex')}`;
}

/** Creates the schema, its marker, the coordination tables and the bare tables; the caller's transaction makes it atomic. */
async function createSchema(client: PgPooledSession, opts: WorkloadOptions, me: Membership): Promise<void> {
  await client.query(`CREATE SCHEMA ${quoteIdent(SCHEMA)}`);
  const comment = `${MARKER} (seed ${opts.seed}, scale ${opts.scale}); created by stackprobe ${TOOL_VERSION} and dropped after its run`;
  // COMMENT takes no parameters: let the server quote both parts with format() rather than quoting a literal here.
  const sql = await client.query<{ sql: string }>(`SELECT format('COMMENT ON SCHEMA %I IS %L', $1::text, $2::text) AS sql`, [SCHEMA, comment]);
  await client.query(sql.rows[0]!.sql);
  await client.query(`CREATE TABLE ${wl('_meta')} (seed integer NOT NULL, scale numeric NOT NULL, tool_version text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
  await client.query(`INSERT INTO ${wl('_meta')} (seed, scale, tool_version) VALUES ($1, $2, $3)`, [opts.seed, opts.scale, TOOL_VERSION]);
  for (const ddl of coordinationTablesSql()) await client.query(ddl);
  await client.query(`INSERT INTO ${wl('_run')} (run_id, segments) VALUES ($1, $2)`, [me.runId, me.segment.count]);
  for (const ddl of createTablesSql()) await client.query(ddl);
}

async function loadAndIndex(pgt: PgTarget, client: PgPooledSession, opts: WorkloadOptions, plan: ReturnType<typeof planWorkload>): Promise<Record<string, number>> {
  const rows: Record<string, number> = {};
  for (const t of tableData(plan)) {
    opts.progress?.(`loading ${t.table}`);
    rows[t.table] = await copyInto(client, t.table, t.columns, t.chunks(), opts.signal);
  }
  opts.progress?.('creating keys and indexes');
  for (const ddl of createKeysSql()) await cancellable(pgt, client, ddl, opts.signal);
  for (const q of resetSequencesSql()) await cancellable(pgt, client, q, opts.signal);
  opts.progress?.('analysing tables');
  // VACUUM sets hint bits and the visibility map as on a settled production table; ANALYZE gives the planner statistics.
  // _meta too: an integrity run over this schema must not report a table that was never analysed.
  await cancellable(pgt, client, `VACUUM (ANALYZE) ${[...Object.keys(rows), '_meta', '_run', '_members'].map(wl).join(', ')}`, opts.signal);
  return rows;
}

/** Loads the created schema on a session of its own, then tells the waiting segments it is ready. */
async function prepare(pgt: PgTarget, opts: WorkloadOptions, plan: ReturnType<typeof planWorkload>): Promise<Record<string, number>> {
  const pool = pgt.createPool({ max: 1, applicationName: 'stackprobe-workload-load', statementTimeoutMs: LOAD_STATEMENT_TIMEOUT_MS });
  let client: PgPooledSession | undefined;
  try {
    client = await pool.connect();
    const rows = await loadAndIndex(pgt, client, opts, plan);
    await client.query(`UPDATE ${wl('_run')} SET ready_at = clock_timestamp(), rows = $1`, [JSON.stringify(rows)]);
    client.release();
    client = undefined;
    return rows;
  } finally {
    // A session interrupted mid-COPY is not reused: close it first, so it holds no lock the DROP would wait for.
    client?.release(true);
    await pool.end();
  }
}

/**
 * Creates schema `stackprobe` with the financial tables and loads them deterministically from opts.seed, or joins the
 * run (same run id) that is creating it and waits until it is ready. Refuses a foreign schema of that name and a schema
 * another run uses; replaces one left by an interrupted run. On failure or abort this segment leaves the run, and the
 * last segment to leave drops what was created before the error is rethrown.
 */
export async function setupWorkload(pgt: PgTarget, opts: WorkloadOptions): Promise<Workload> {
  const t0 = performance.now();
  opts.signal.throwIfAborted();
  const me: Membership = { runId: opts.runId ?? randomRunId(), segment: opts.segment ?? { index: 1, count: 1 } };
  const session = await openMemberSession(pgt);
  const plan = planWorkload(opts.seed, opts.scale);
  let decision;
  try {
    if (me.segment.count === 1) opts.progress?.(`creating schema ${SCHEMA} (scale ${opts.scale})`);
    else opts.progress?.(`joining run ${me.runId} as segment ${me.segment.index}/${me.segment.count}`);
    decision = await joinOrCreate(pgt, session.client, opts, me, () => createSchema(session.client, opts, me));
  } catch (err) {
    await session.close(err instanceof Error ? err : undefined);
    throw err;
  }
  try {
    const rows = decision.role === 'create' ? await prepare(pgt, opts, plan) : await waitReady(session.client, me, opts, opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    return workloadHandle(pgt, session, me, opts, plan, rows, {
      setupMs: performance.now() - t0, prepared: decision.role === 'create', replacedLeftover: decision.role === 'create' && decision.replacedLeftover,
    });
  } catch (err) {
    if (decision.role === 'create') await markFailed(pgt.admin, `segment ${me.segment.index}/${me.segment.count} could not prepare it: ${err instanceof Error ? err.message : String(err)}`).catch(() => undefined);
    await leaveRun(pgt, session, me, false).catch((leaveErr: unknown) => opts.warn?.(`could not drop the partly loaded schema "${SCHEMA}": ${String(leaveErr)}`));
    throw err;
  }
}

function workloadHandle(
  pgt: PgTarget, session: MemberSession, me: Membership, opts: WorkloadOptions, plan: ReturnType<typeof planWorkload>,
  rows: Record<string, number>, facts: { setupMs: number; prepared: boolean; replacedLeftover: boolean },
): Workload {
  let left: Promise<unknown> | undefined;
  const leave = (keep: boolean) => (left ??= leaveRun(pgt, session, me, keep));
  return {
    schema: SCHEMA, seed: opts.seed, scale: opts.scale, rows, plan, ...facts,
    membership: { ...me, pid: session.pid },
    release: async () => void (await leave(true)),
    leave: async () => void (await leave(false)),
  };
}

/** Leaves the run; the last segment to leave drops the schema (only if it carries stackprobe's marker). Runs also after Ctrl-C. */
export async function dropWorkload(_pgt: PgTarget, workload: Workload): Promise<void> {
  await workload.leave();
}
