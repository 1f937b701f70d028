// Creates the financial workload schema (refusing a foreign one), loads it with COPY, indexes and analyses it; and drops it.
import type pg from 'pg';
import { retryOnLostSession } from '../targets/pg/lost-session.js';
import type { PgTarget } from '../targets/pg/target.js';
import { TOOL_VERSION } from '../version.js';
import { outsideDependents, refusalToDrop } from './dependents.js';
import { tableData } from './generate.js';
import { planWorkload } from './plan.js';
import { createKeysSql, createTablesSql, resetSequencesSql } from './schema.js';
import { acquireWorkloadLock, cancellable, copyInto } from './session.js';
import { quoteIdent, SCHEMA, wl } from './sql.js';
import type { Workload, WorkloadOptions } from './types.js';

/** The ownership marker: only a schema whose comment starts with this is ever dropped by stackprobe. */
export const MARKER = 'stackprobe workload';

/** Loading a large scale takes longer than one ordinary query; the check's own time budget and Ctrl-C still bound it. */
const LOAD_STATEMENT_TIMEOUT_MS = 60 * 60 * 1000;

type SchemaState = 'absent' | 'ours' | 'foreign';

export async function schemaState(db: pg.Pool | pg.PoolClient): Promise<SchemaState> {
  const res = await db.query<{ comment: string | null }>(
    `SELECT obj_description(oid, 'pg_namespace') AS comment FROM pg_namespace WHERE nspname = $1`,
    [SCHEMA],
  );
  if (res.rows.length === 0) return 'absent';
  return res.rows[0]!.comment?.startsWith(MARKER) ? 'ours' : 'foreign';
}

/** Creates the schema, its marker and the bare tables in one transaction: a crash never leaves an unmarked schema. */
async function createSchema(client: pg.PoolClient, opts: WorkloadOptions): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`CREATE SCHEMA ${quoteIdent(SCHEMA)}`);
    const comment = `${MARKER} (seed ${opts.seed}, scale ${opts.scale}); created by stackprobe ${TOOL_VERSION} and dropped after its run`;
    // COMMENT takes no parameters: let the server quote both parts with format() rather than quoting a literal here.
    const sql = await client.query<{ sql: string }>(`SELECT format('COMMENT ON SCHEMA %I IS %L', $1::text, $2::text) AS sql`, [SCHEMA, comment]);
    await client.query(sql.rows[0]!.sql);
    await client.query(`CREATE TABLE ${wl('_meta')} (seed integer NOT NULL, scale numeric NOT NULL, tool_version text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
    await client.query(`INSERT INTO ${wl('_meta')} (seed, scale, tool_version) VALUES ($1, $2, $3)`, [opts.seed, opts.scale, TOOL_VERSION]);
    for (const ddl of createTablesSql()) await client.query(ddl);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

async function loadAndIndex(pgt: PgTarget, client: pg.PoolClient, opts: WorkloadOptions, plan: ReturnType<typeof planWorkload>): Promise<Record<string, number>> {
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
  await cancellable(pgt, client, `VACUUM (ANALYZE) ${[...Object.keys(rows), '_meta'].map(wl).join(', ')}`, opts.signal);
  return rows;
}

/**
 * Creates schema `stackprobe` with the financial tables and loads them deterministically from opts.seed.
 * Refuses a foreign schema of that name; replaces one left by an interrupted stackprobe run. On failure or abort,
 * whatever it created is dropped before the error is rethrown.
 */
export async function setupWorkload(pgt: PgTarget, opts: WorkloadOptions): Promise<Workload> {
  const t0 = performance.now();
  opts.signal.throwIfAborted();
  const lock = await acquireWorkloadLock(pgt);
  const pool = pgt.createPool({ max: 1, applicationName: 'stackprobe-workload-load', statementTimeoutMs: LOAD_STATEMENT_TIMEOUT_MS });
  let client: pg.PoolClient | undefined;
  let created = false;
  try {
    client = await pool.connect();
    const state = await schemaState(client);
    if (state === 'foreign') {
      throw new Error(`schema "${SCHEMA}" exists and was not created by stackprobe (it has no stackprobe marker comment); it will not be touched. Rename or drop it, or run against another database.`);
    }
    if (state === 'ours') {
      const dependents = await outsideDependents(client, SCHEMA);
      if (dependents.length) throw new Error(refusalToDrop(SCHEMA, dependents));
      opts.warn?.(`schema "${SCHEMA}" was left by an interrupted stackprobe run (or one with --keep-data): dropping and recreating it`);
      await cancellable(pgt, client, `DROP SCHEMA ${quoteIdent(SCHEMA)} CASCADE`, opts.signal);
    }
    const plan = planWorkload(opts.seed, opts.scale);
    opts.progress?.(`creating schema ${SCHEMA} (scale ${opts.scale})`);
    await createSchema(client, opts);
    created = true;
    const rows = await loadAndIndex(pgt, client, opts, plan);
    client.release();
    client = undefined;
    return {
      schema: SCHEMA, seed: opts.seed, scale: opts.scale, rows, plan,
      setupMs: performance.now() - t0, replacedLeftover: state === 'ours', release: () => lock.release(),
    };
  } catch (err) {
    // A session interrupted mid-COPY is not reused: close it first, so it holds no lock the DROP would wait for.
    client?.release(true);
    client = undefined;
    await pool.end();
    if (created) await dropSchema(pgt).catch((dropErr: unknown) => opts.warn?.(`could not drop the partly loaded schema "${SCHEMA}": ${String(dropErr)}`));
    await lock.release();
    throw err;
  } finally {
    if (!pool.ended) await pool.end();
  }
}

async function dropSchema(pgt: PgTarget): Promise<void> {
  // A session lost on the way (a restart, pg_terminate_backend) is not a reason to leave the schema: the admin pool
  // connects again. Check the marker again right before dropping: never drop a schema that is not ours, nor anything
  // of the user's with it.
  await retryOnLostSession(async () => {
    if ((await schemaState(pgt.admin)) !== 'ours') return;
    const dependents = await outsideDependents(pgt.admin, SCHEMA);
    if (dependents.length) throw new Error(refusalToDrop(SCHEMA, dependents));
    await pgt.admin.query(`DROP SCHEMA ${quoteIdent(SCHEMA)} CASCADE`);
  }, 5);
}

/** Drops the workload schema (only if it carries stackprobe's marker) and ends the lock session. Runs also after Ctrl-C. */
export async function dropWorkload(pgt: PgTarget, workload: Workload): Promise<void> {
  try {
    await dropSchema(pgt);
  } finally {
    await workload.release();
  }
}
