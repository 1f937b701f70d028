// health.activity and health.vacuum against a private PostgreSQL: a long statement, a blocked update and its
// idle-in-transaction blocker, a table with autovacuum off and most of its rows dead — each named; clean before.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityCheck, vacuumCheck } from '../../src/checks/health/index.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { waitFor } from '../../src/exec/timeout.js';
import type { CheckResult, RunResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { startPrivateServer, type PrivateServer } from '../helpers/health-server.js';

const DB = 'bank';
let server: PrivateServer;
beforeAll(async () => {
  server = await startPrivateServer();
  await server.sql(`CREATE DATABASE ${DB}`);
  for (const s of [
    `CREATE SCHEMA shop`,
    `CREATE TABLE shop.accounts (id int PRIMARY KEY, balance numeric NOT NULL, note text)`,
    `INSERT INTO shop.accounts SELECT g, 100, NULL FROM generate_series(1, 100) g`,
    `CREATE TABLE shop.ledger (id int PRIMARY KEY, amount numeric NOT NULL) WITH (autovacuum_enabled = off)`,
    `ANALYZE`,
  ]) await server.sql(s, [], DB);
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

const runChecks = (config: ConfigInput = {}): Promise<RunResult> =>
  run({ config: validateConfig({ database_url: server.url(DB), ...config }), checks: [activityCheck, vacuumCheck], signal: new AbortController().signal, log: silentLogger() });
const check = (r: RunResult, id: string): CheckResult => r.checks.find((c) => c.id === id)!;
const text = (c: CheckResult) => c.findings.map((f) => `${f.title}\n${f.detail ?? ''}\n=> ${f.recommendation ?? ''}`).join('\n');
const FAST = { health: { activity: { long_query_warn_s: 1, long_transaction_warn_s: 1, idle_in_transaction_warn_s: 1, blocked_warn_s: 1 } } };

async function client(application: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: server.url(DB), application_name: application });
  c.on('error', () => undefined); // terminated at the end of the test
  await c.connect();
  return c;
}

describe('health.activity', () => {
  it('passes when nothing runs long, then names a long statement, a blocked update and its idle-in-transaction blocker', async () => {
    const clean = await runChecks(FAST);
    expect(check(clean, 'health.activity').status, text(check(clean, 'health.activity'))).toBe('pass');

    const holder = await client('billing-worker');
    const waiter = await client('checkout-api');
    const report = await client('nightly-report');
    const pids = await Promise.all([holder, waiter, report].map(async (c) => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid));
    try {
      await holder.query('BEGIN');
      await holder.query(`UPDATE shop.accounts SET balance = balance - 10 WHERE id = 1`);
      const blocked = waiter.query(`UPDATE shop.accounts SET note = 'secret-token-xyz' WHERE id = 1`).catch((e: unknown) => e);
      const long = report.query(`SELECT pg_sleep(60), 'secret-report-literal'`).catch((e: unknown) => e);
      await waitFor(async () => (await server.sql(
        `SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1) AND now() - coalesce(query_start, state_change) > interval '1.5 s'
           AND (wait_event_type = 'Lock' OR state = 'idle in transaction' OR query LIKE 'SELECT pg_sleep%')`, [pids])).length === 3, 20_000, 'three planted sessions');

      const result = await runChecks(FAST);
      const act = check(result, 'health.activity');
      expect(act.status, JSON.stringify(act.thresholds)).toBe('warn');
      const all = text(act);
      expect(all).toMatch(new RegExp(`long-running statement: pid ${pids[2]} \\(nightly-report, postgres, 127\\.0\\.0\\.1\\) running for \\d+ s: SELECT pg_sleep\\(\\$1\\), \\$2`));
      const tree = act.findings.find((f) => f.title === `pid ${pids[0]} (billing-worker, idle in transaction) blocks 1 session`);
      expect(tree?.detail, all).toMatch(new RegExp(`^pid ${pids[0]} \\(billing-worker.*idle in transaction for \\d+ s.*UPDATE shop\\.accounts SET balance = balance - \\$1 WHERE id = \\$2\\n└─ pid ${pids[1]} \\(checkout-api.*waiting \\d+ s for ShareLock on transactionid \\(a row of shop\\.accounts\\): UPDATE shop\\.accounts SET note = \\$1 WHERE id = \\$2`));
      expect(tree?.recommendation).toMatch(/idle in transaction.*pg_terminate_backend/);
      expect(all).toMatch(new RegExp(`idle in transaction: pid ${pids[0]} \\(billing-worker`));
      expect(act.info.blocking_tree).toBe(tree!.detail);
      expect(JSON.stringify(act)).not.toMatch(/secret-token-xyz|secret-report-literal/);
      expect(act.metrics.find((m) => m.name === 'blocked_sessions')).toMatchObject({ count: 1 });
      await Promise.all([blocked, long].map((p) => Promise.race([p, Promise.resolve()])));
    } finally {
      await server.sql('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
      for (const c of [holder, waiter, report]) await c.end().catch(() => undefined);
    }
  }, 90_000);
});

describe('health.vacuum', () => {
  it('names a table with autovacuum off and most rows dead; the advice, run as written, clears it', async () => {
    const clean = await runChecks();
    expect(check(clean, 'health.vacuum').status, text(check(clean, 'health.vacuum'))).toBe('pass');

    await server.sql(`INSERT INTO shop.ledger SELECT g, g / 100.0 FROM generate_series(1, 20000) g`, [], DB);
    await server.sql(`ANALYZE shop.ledger`, [], DB);
    await server.sql(`DELETE FROM shop.ledger WHERE id > 5000`, [], DB);
    await waitFor(async () => (await server.sql<{ n: number }>(`SELECT n_dead_tup::int AS n FROM pg_stat_user_tables WHERE relname = 'ledger'`, [], DB))[0]!.n >= 15000, 10_000, 'dead tuples counted');

    const result = await runChecks();
    const vac = check(result, 'health.vacuum');
    expect(vac.status, text(vac)).toBe('warn');
    const f = vac.findings.find((x) => x.subject === 'shop.ledger');
    expect(f?.title).toMatch(/^shop\.ledger: 15000 dead tuples \(75% of its tuples\), autovacuum triggers at 4050; autovacuum is disabled for this table/);
    expect(f?.recommendation).toMatch(/ALTER TABLE shop\.ledger RESET \(autovacuum_enabled\)/);
    expect(vac.findings.map((x) => x.subject)).toEqual(['shop.ledger']);
    const share = check(result, 'health.vacuum').metrics.find((m) => m.name === 'wraparound_share');
    expect(share).toMatchObject({ value: expect.any(Number) });
    // A fresh cluster has used a tiny share of its IDs: a warn level below it names the database and what is left.
    const wrap = check(await runChecks({ health: { vacuum: { wraparound_warn_share: 1e-9 } } }), 'health.vacuum');
    expect(wrap.findings.map((x) => x.title).join('\n')).toMatch(new RegExp(`database ${DB} has used 0% of its transaction IDs: \\d+ left before PostgreSQL stops accepting writes`));

    for (const s of (f!.data as { statements: string[] }).statements) await server.sql(s, [], DB);
    await waitFor(async () => (await server.sql<{ n: number }>(`SELECT n_dead_tup::int AS n FROM pg_stat_user_tables WHERE relname = 'ledger'`, [], DB))[0]!.n === 0, 10_000, 'vacuum counted');
    const after = await runChecks();
    expect(check(after, 'health.vacuum').status, text(check(after, 'health.vacuum'))).toBe('pass');
  }, 60_000);

  it('estimates a table\'s bloat close to pgstattuple\'s measure; VACUUM FULL as advised removes it', async () => {
    await server.sql(`CREATE EXTENSION IF NOT EXISTS pgstattuple`, [], DB); // the test's ground truth, not stackprobe's
    await server.sql(`CREATE TABLE shop.journal (id int PRIMARY KEY, account int NOT NULL, amount numeric(12,2) NOT NULL, memo text)`, [], DB);
    await server.sql(`INSERT INTO shop.journal SELECT g, g % 97, g / 7.0, 'entry ' || g FROM generate_series(1, 40000) g`, [], DB);
    await server.sql(`DELETE FROM shop.journal WHERE id % 4 <> 0`, [], DB); // every page keeps a quarter: nothing to truncate
    await server.sql(`VACUUM (ANALYZE) shop.journal`, [], DB);
    const truth = (await server.sql<{ share: number }>(`SELECT ((free_space + dead_tuple_len)::float8 / table_len) AS share FROM pgstattuple('shop.journal')`, [], DB))[0]!.share;

    const vac = check(await runChecks({ health: { vacuum: { bloat_min_bytes: 0 } } }), 'health.vacuum');
    const f = vac.findings.find((x) => x.subject === 'shop.journal');
    expect(f?.title, text(vac)).toMatch(/^shop\.journal: ~\d+% bloat \(~[\d.]+ [kM]B\): \d+ pages where its rows need ~\d+$/);
    const estimate = (f!.data as { bloat_share: number }).bloat_share;
    expect(Math.abs(estimate - truth), `estimate ${estimate}, pgstattuple ${truth}`).toBeLessThan(0.15);

    for (const s of (f!.data as { statements: string[] }).statements) await server.sql(s, [], DB);
    const after = check(await runChecks({ health: { vacuum: { bloat_min_bytes: 0 } } }), 'health.vacuum');
    expect(after.findings.filter((x) => x.subject === 'shop.journal')).toEqual([]);
    await server.sql(`DROP TABLE shop.journal`, [], DB);
  }, 60_000);
});
