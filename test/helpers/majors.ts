// Test helper for the majors matrix: a private embedded PostgreSQL of one major, prepared with every planted condition
// the catalog-reading checks look for (an FK orphan, a sequence near its end, an idle-in-transaction session holding a
// row another session waits for, a failing archive_command, statements in pg_stat_statements, dead rows, an inactive
// replication slot, temporary files and requested checkpoints).
import pg from 'pg';
import { waitFor } from '../../src/exec/timeout.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/targets/embedded/embedded-pg.js';
import { createShop, driveShop } from './health-fixture.js';
import type { PrivateServer } from './health-server.js';
import { createClean, plantDefects } from './integrity-fixture.js';
import type { TestDatabase } from './pg.js';

export const DB = 'app';
export const CLEAN_DB = 'clean';

export interface MajorServer {
  major: number;
  server: EmbeddedPostgres;
  url(db?: string): string;
  sql<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[], db?: string): Promise<T[]>;
  /** The sessions planted as idle in transaction (holder) and waiting for its lock (waiter), ended by stop(). */
  sessions: pg.Client[];
  stop(): Promise<void>;
}

function withDb(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function client(url: string, application: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: application, connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined); // terminated when the server stops
  await c.connect();
  return c;
}

/** Starts the server of `major`, with pg_stat_statements preloaded, an archive_command that always fails and `settings`. */
export async function startMajor(major: number, settings: Record<string, string> = {}): Promise<MajorServer> {
  const server = await startEmbeddedPostgres({
    major,
    settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all', archive_mode: 'on', archive_command: 'false', max_wal_size: '1GB', wal_buffers: '64kB', ...settings },
  });
  const url = (db = 'postgres') => withDb(server.url, db);
  const sessions: pg.Client[] = [];
  const sql = async <T extends pg.QueryResultRow>(text: string, values?: unknown[], db?: string): Promise<T[]> => {
    const c = await client(url(db), 'majors-fixture');
    try {
      return (await c.query<T>(text, values)).rows;
    } finally {
      await c.end();
    }
  };
  const stop = async () => {
    for (const c of sessions) await c.end().catch(() => undefined);
    await server.stop();
  };
  return { major, server, url, sql, sessions, stop };
}

/** A database in the style of a real application with every rule kept, and pg_stat_statements: nothing to report. */
export async function createCleanDb(m: MajorServer): Promise<void> {
  await m.sql(`CREATE DATABASE ${CLEAN_DB}`);
  await createClean({ name: CLEAN_DB, url: m.url(CLEAN_DB), sql: (t: string, v?: unknown[]) => m.sql(t, v, CLEAN_DB) } as unknown as TestDatabase);
  await m.sql(`CREATE EXTENSION pg_stat_statements`, [], CLEAN_DB);
  // The counters start now, as after a statistics reset: before 15, CREATE DATABASE itself requests checkpoints.
  await m.sql(`SELECT pg_stat_statements_reset()`, [], CLEAN_DB);
  await m.sql(`SELECT pg_stat_reset_shared(CASE WHEN current_setting('server_version_num')::int >= 170000 THEN 'checkpointer' ELSE 'bgwriter' END)`);
}

/** Plants every condition; the sessions it leaves idle in transaction and waiting are in `m.sessions`. */
export async function plant(m: MajorServer): Promise<void> {
  const asServer = { sql: m.sql, url: (db?: string) => m.url(db) } as unknown as PrivateServer;
  await createShop(asServer, DB, { defects: true, orders: 20_000 });
  const asDb = { name: DB, url: m.url(DB), sql: (t: string, v?: unknown[]) => m.sql(t, v, DB) } as unknown as TestDatabase;
  await plantDefects(asDb);
  // health.vacuum: a table autovacuum may not touch, with most of its rows dead.
  await m.sql(`CREATE TABLE shop.ledger (id int PRIMARY KEY, amount numeric NOT NULL) WITH (autovacuum_enabled = off);
    INSERT INTO shop.ledger SELECT g, g / 100.0 FROM generate_series(1, 20000) g; ANALYZE shop.ledger; DELETE FROM shop.ledger WHERE id > 5000`, [], DB);
  // health.server: a sort spilling to temporary files, and checkpoints requested rather than timed.
  await m.sql(`SET work_mem = '64kB'; SELECT count(*) FROM (SELECT g FROM generate_series(1, 200000) g ORDER BY g DESC) s`, [], DB);
  for (let i = 0; i < 3; i++) await m.sql('CHECKPOINT');
  // health.replication: an inactive slot that keeps WAL; backup.archiving: a WAL switch the failing command cannot archive.
  await m.sql(`SELECT pg_create_physical_replication_slot('stale_slot', true)`);
  await m.sql(`CREATE TABLE wal_filler AS SELECT g FROM generate_series(1, 40000) g`);
  await m.sql(`SELECT pg_switch_wal()`);
  // health.statements: the application's traffic alone (the planting above reset away), so its slow lookup leads.
  await m.sql(`CREATE EXTENSION pg_stat_statements`, [], DB);
  await m.sql(`SELECT pg_stat_statements_reset()`, [], DB);
  await driveShop(asServer, DB, 20);
  // pool.server and health.activity: a session idle in transaction holding a row lock another session waits for.
  const holder = await client(m.url(DB), 'billing-worker');
  const waiter = await client(m.url(DB), 'checkout-api');
  m.sessions.push(holder, waiter);
  await holder.query('BEGIN');
  await holder.query(`UPDATE shop.customers SET name = name WHERE id = 1`);
  void waiter.query(`UPDATE shop.customers SET email = email WHERE id = 1`).catch(() => undefined);
  await waitFor(async () => (await m.sql(
    `SELECT 1 FROM pg_stat_activity WHERE application_name IN ('billing-worker', 'checkout-api') AND now() - state_change > interval '1.2 s'
       AND (state = 'idle in transaction' OR wait_event_type = 'Lock')`)).length === 2
    && (await m.sql(`SELECT 1 FROM pg_stat_archiver WHERE failed_count > 0`)).length === 1
    && (await m.sql<{ n: number }>(`SELECT n_dead_tup::int AS n FROM pg_stat_user_tables WHERE relname = 'ledger'`, [], DB))[0]!.n >= 15000,
  20_000, 'the planted sessions, a failed archive attempt and the dead rows counted');
}
