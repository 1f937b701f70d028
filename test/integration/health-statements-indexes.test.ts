// health.statements and health.indexes against a private PostgreSQL with pg_stat_statements and a driven workload:
// planted defects named with advice that runs as written; a clean shop passes.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexesCheck, statementsCheck } from '../../src/checks/health/index.js';
import { validateConfig } from '../../src/config/load.js';
import { waitFor } from '../../src/exec/timeout.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { CheckResult, RunResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { createShop, driveShop, SLOW_QUERY } from '../helpers/health-fixture.js';
import { startPrivateServer, type PrivateServer } from '../helpers/health-server.js';

let server: PrivateServer;
beforeAll(async () => {
  server = await startPrivateServer();
  await createShop(server, 'shop_defects', { defects: true });
  await createShop(server, 'shop_clean', { defects: false });
  for (const db of ['shop_defects', 'shop_clean']) {
    await server.sql('CREATE EXTENSION pg_stat_statements', [], db);
    // The fixture's DDL and loading are not the application: forget them (this database only).
    await server.sql('SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)', [], db);
    await driveShop(server, db, 60);
  }
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

const runHealth = (db: string, config: ConfigInput = {}): Promise<RunResult> =>
  run({ config: validateConfig({ database_url: server.url(db), ...config }), checks: [statementsCheck, indexesCheck], signal: new AbortController().signal, log: silentLogger() });
const check = (r: RunResult, id: string): CheckResult => r.checks.find((c) => c.id === id)!;
const titles = (c: CheckResult) => c.findings.map((f) => `${f.title} => ${f.recommendation ?? ''}`).join('\n');

async function exec(db: string, statement: string): Promise<void> {
  // CONCURRENTLY cannot run in a transaction block: a plain session, one statement, as the user would.
  const c = new pg.Client({ connectionString: server.url(db) });
  c.on('error', () => undefined);
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

describe('health.statements and health.indexes', () => {
  it('names the frequent slow statement with the right CREATE INDEX, and every planted index defect', async () => {
    // stackprobe's own workload schema in the same database (a run without --read-only) is not the application.
    await server.sql('CREATE SCHEMA stackprobe; CREATE TABLE stackprobe.t (a int); SELECT count(*) FROM stackprobe.t', [], 'shop_defects');
    const result = await runHealth('shop_defects', { health: { statements: { mean_warn_ms: 0.5 } } });
    const st = check(result, 'health.statements');
    expect(st.info.own_statements_left_out).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(st.info.top_by_calls)).not.toMatch(/stackprobe\./);
    const top = st.info.top_by_total_time as Array<{ query: string; calls: number; time_share: number; hit_share: number | null }>;
    const slow = top.find((s) => s.query === SLOW_QUERY);
    expect(slow, JSON.stringify(top.map((s) => s.query))).toBeDefined();
    expect(slow!.calls).toBe(180);
    expect(top[0]!.query).toBe(SLOW_QUERY); // the seq scan of 60k rows costs more than the indexed reads
    expect(slow!.time_share).toBeGreaterThan(0.3);
    // One figure per listed statement, by queryid: compare shows each one's change between runs.
    expect(st.metrics.filter((m) => m.name === 'statement_mean_time').length).toBe(top.length);
    expect(JSON.stringify(st)).not.toMatch(/ref-\d/); // normalised texts and scrubbed plans: no values from the data
    const advice = st.findings.find((f) => f.subject === 'shop.orders' && (f.data as { column?: string }).column === 'customer_ref');
    expect(advice?.recommendation, titles(st)).toMatch(/^CREATE INDEX CONCURRENTLY ON shop\.orders \(customer_ref\);/);
    const plan = (st.info.plans as Array<{ query: string; method: string; params: Array<{ source: string }> }>).find((p) => p.query === SLOW_QUERY)!;
    expect(plan.method).toBe('sampled_parameters'); // PostgreSQL 15: values from pg_stats
    expect(plan.params[0]!.source).toBe('shop.orders.customer_ref');
    expect((plan as unknown as { plan: string }).plan).toMatch(/^Seq Scan on shop\.orders \(rows≈\d+\) Filter: \(orders\.customer_ref = \$1::text\)$/);
    expect(st.status).toBe('warn');
    // The orders of a customer are read by customer_id, the foreign key without an index: advised too.
    expect(st.findings.map((f) => f.recommendation).join('\n')).toMatch(/CREATE INDEX CONCURRENTLY ON shop\.orders \(customer_id\);/);
    expect(st.metrics.find((m) => m.name === 'statement_index_advice')).toMatchObject({ count: 2 });

    const ix = check(result, 'health.indexes');
    expect(ix.status, titles(ix)).toBe('warn');
    const text = titles(ix);
    expect(text).toMatch(/foreign key orders_customer_id_fkey on shop\.orders \(customer_id\) has no index => CREATE INDEX CONCURRENTLY ON shop\.orders \(customer_id\)/);
    expect(text).toMatch(/unused index shop\.orders_status_idx .* => DROP INDEX CONCURRENTLY shop\.orders_status_idx;/);
    expect(text).toMatch(/redundant index shop\.orders_created_idx .*its columns lead orders_created_status_idx => DROP INDEX CONCURRENTLY shop\.orders_created_idx;/);
    // Without pg_stat_statements' texts, the statistics alone name the table read by sequential scans.
    expect(ix.info.seq_scan_heavy_tables).toEqual([expect.objectContaining({ schema: 'shop', table: 'orders', rows_per_seq_scan: expect.any(Number) })]);
    expect((ix.info.seq_scan_heavy_tables as Array<{ rows_per_seq_scan: number }>)[0]!.rows_per_seq_scan).toBeGreaterThan(50_000);
    // Primary keys and unique constraints are never called unused, however rarely scanned.
    expect(text).not.toMatch(/customers_pkey|customers_email_key|orders_pkey/);

    // Every emitted statement runs as written, for real (CONCURRENTLY, outside a transaction), in this test's database.
    const statements = [(advice!.data as { statement: string }).statement, ...ix.findings.map((f) => (f.data as { statement: string }).statement)];
    expect(statements).toHaveLength(4); // customer_ref index, customer_id index (the FK), two drops
    for (const s of statements) await exec('shop_defects', s);
    const after = await runHealth('shop_defects');
    expect(titles(check(after, 'health.indexes'))).not.toMatch(/foreign key|redundant|orders_status_idx/);
    const idx = await server.sql<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE schemaname = 'shop' AND tablename = 'orders'`, [], 'shop_defects');
    expect(idx.map((r) => r.indexdef).join('\n')).toMatch(/\(customer_ref\)/);
  }, 120_000);

  it('passes a clean shop whose indexes serve its queries', async () => {
    const result = await runHealth('shop_clean');
    const st = check(result, 'health.statements');
    expect(st.status, titles(st)).toBe('pass');
    expect(st.findings.filter((f) => /^missing index/.test(f.title))).toEqual([]);
    const ix = check(result, 'health.indexes');
    expect(ix.status, JSON.stringify([ix.reason, ix.thresholds])).toBe('pass');
    expect(ix.findings).toEqual([]);
  }, 60_000);

  it('bounds a plan blocked by a migration\'s lock with statement_timeout_ms, says so, and finishes the check', async () => {
    const migration = new pg.Client({ connectionString: server.url('shop_clean'), application_name: 'migration' });
    migration.on('error', () => undefined);
    await migration.connect();
    try {
      await migration.query('BEGIN');
      await migration.query('LOCK TABLE shop.orders IN ACCESS EXCLUSIVE MODE');
      const result = await runHealth('shop_clean', { health: { statement_timeout_ms: 300 } });
      const st = check(result, 'health.statements');
      expect(['pass', 'warn'], st.reason).toContain(st.status);
      expect(titles(st)).toMatch(/plan of SELECT id, amount FROM shop\.orders WHERE customer_ref = \$1 not taken: EXPLAIN failed: canceling statement due to statement timeout \(57014\)/);
      expect(st.durationMs).toBeLessThan(20_000); // three plans at 300 ms each, with room for a loaded host
    } finally {
      await migration.query('ROLLBACK');
      await migration.end();
    }
  }, 60_000);

  it('fails health.statements with the reason when its session is terminated mid-check, and the run goes on', async () => {
    const migration = new pg.Client({ connectionString: server.url('shop_clean'), application_name: 'migration' });
    migration.on('error', () => undefined);
    await migration.connect();
    try {
      await migration.query('BEGIN');
      await migration.query('LOCK TABLE shop.orders IN ACCESS EXCLUSIVE MODE');
      const running = runHealth('shop_clean');
      await waitFor(async () => (await server.sql(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'stackprobe-health' AND wait_event_type = 'Lock'`)).length > 0, 20_000, 'the plan to wait for the lock');
      await server.sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'stackprobe-health'`);
      const result = await running;
      const st = check(result, 'health.statements');
      expect(st.status).toBe('fail');
      expect(st.reason).toMatch(/terminat|Connection/i);
      expect(check(result, 'health.indexes').status).toBe('pass'); // the next check has its own session
    } finally {
      await migration.query('ROLLBACK');
      await migration.end();
    }
  }, 60_000);

  it('stops a plan waiting on a lock at Ctrl-C: the statement is cancelled on the server, the session closed', async () => {
    const migration = new pg.Client({ connectionString: server.url('shop_clean'), application_name: 'migration' });
    migration.on('error', () => undefined);
    await migration.connect();
    const ac = new AbortController();
    try {
      await migration.query('BEGIN');
      await migration.query('LOCK TABLE shop.orders IN ACCESS EXCLUSIVE MODE');
      const running = run({ config: validateConfig({ database_url: server.url('shop_clean'), health: { statement_timeout_ms: 60_000 } }), checks: [statementsCheck], signal: ac.signal, log: silentLogger() });
      await waitFor(async () => (await server.sql(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'stackprobe-health' AND wait_event_type = 'Lock'`)).length > 0, 20_000, 'the plan to wait for the lock');
      const stopped = performance.now();
      ac.abort();
      const result = await running;
      expect(performance.now() - stopped).toBeLessThan(10_000); // not the 60 s statement timeout
      expect(check(result, 'health.statements').status).not.toBe('pass');
      await waitFor(async () => (await server.sql(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'stackprobe-health'`)).length === 0, 10_000, 'no stackprobe session left');
    } finally {
      await migration.query('ROLLBACK');
      await migration.end();
    }
  }, 60_000);

  it('writes statements that run as written for hostile identifiers (quotes, dots, mixed case, unicode)', async () => {
    const db = 'shop_hostile';
    await server.sql(`CREATE DATABASE ${db}`);
    for (const s of [
      `CREATE SCHEMA "We""ird.Sch ema"`,
      `CREATE TABLE "We""ird.Sch ema"."Pa rent" (id int PRIMARY KEY)`,
      `CREATE TABLE "We""ird.Sch ema"."Ödön's ""T""" (id int PRIMARY KEY, "Pa.rent_Id" int REFERENCES "We""ird.Sch ema"."Pa rent" (id), "select" text)`,
      `INSERT INTO "We""ird.Sch ema"."Pa rent" SELECT g FROM generate_series(1, 10) g`,
      `INSERT INTO "We""ird.Sch ema"."Ödön's ""T""" SELECT g, 1 + g % 10, 'x' FROM generate_series(1, 2000) g`,
      `CREATE INDEX "idx ""a"".b; DROP TABLE x" ON "We""ird.Sch ema"."Ödön's ""T""" ("select")`,
      `ANALYZE`,
    ]) await server.sql(s, [], db);
    const ix = check(await runHealth(db), 'health.indexes');
    const statements = ix.findings.map((f) => (f.data as { statement: string }).statement);
    expect(statements.sort()).toEqual([
      `CREATE INDEX CONCURRENTLY ON "We""ird.Sch ema"."Ödön's ""T""" ("Pa.rent_Id")`,
      `DROP INDEX CONCURRENTLY "We""ird.Sch ema"."idx ""a"".b; DROP TABLE x"`,
    ]);
    for (const s of statements) await exec(db, s);
    expect(check(await runHealth(db), 'health.indexes').findings).toEqual([]);
  }, 60_000);

  it('skips health.statements with the steps to enable pg_stat_statements when the extension is missing', async () => {
    await server.sql('CREATE DATABASE shop_bare');
    const result = await runHealth('shop_bare');
    expect(check(result, 'health.statements')).toMatchObject({
      status: 'skip',
      reason: expect.stringMatching(/1\. run CREATE EXTENSION pg_stat_statements; in this database/),
    });
  }, 60_000);
});
