// pool.pgbouncer (and the pool checks through it) against a real PgBouncer started in front of the local PostgreSQL.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolChecks } from '../../src/checks/pool/index.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { waitFor } from '../../src/exec/timeout.js';
import type { CheckResult, RunResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { openPg } from '../../src/targets/pg/target.js';
import { silentLogger } from '../../src/util/logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { PGBOUNCER_PASSWORD, startPgBouncer, type TestPgBouncer } from '../helpers/pgbouncer.js';

let db: TestDatabase;
let bouncer: TestPgBouncer;
beforeAll(async () => {
  db = await createTestDatabase();
  bouncer = await startPgBouncer({ poolMode: 'transaction', defaultPoolSize: 3 });
});
afterAll(async () => {
  await bouncer?.stop();
  await db?.drop();
});

const runPool = (config: ConfigInput): Promise<RunResult> =>
  run({ config: validateConfig(config), checks: poolChecks, signal: new AbortController().signal, log: silentLogger() });
const check = (r: RunResult, id: string): CheckResult => r.checks.find((c) => c.id === id)!;

describe('pool checks through PgBouncer', () => {
  it('detects PgBouncer behind the database URL, reads its pools and config, and compares pooled with direct connects', async () => {
    const result = await runPool({ database_url: bouncer.url(db.name), pool: { size: 3, duration_s: 0.5, sweep: { step_duration_s: 0.2, max_size: 8 } } });
    const b = check(result, 'pool.pgbouncer');
    expect(b.status, `${b.reason} ${JSON.stringify(b.thresholds)}`).toBe('pass');
    expect(b.info.pgbouncer).toMatchObject({ version: expect.stringMatching(/^PgBouncer 1\./), target_through_pgbouncer: true });
    expect(b.info.pgbouncer_config).toMatchObject({ pool_mode: 'transaction', default_pool_size: '3' });
    for (const kind of ['pooled', 'direct']) {
      expect(b.metrics.find((m) => m.name === 'acquire_duration' && m.tags.kind === kind), kind).toMatchObject({ type: 'trend', summary: { count: 20 } });
    }
    const titles = b.findings.map((f) => f.title).join('\n');
    expect(titles).toMatch(/A new connection through PgBouncer costs .* ms \(p50\), straight to PostgreSQL .* ms/);
    expect(titles).toMatch(/pool_mode=transaction with default_pool_size=3/);
    for (const id of ['pool.server', 'pool.acquire', 'pool.contention', 'pool.sizing']) expect(['pass', 'warn'], id).toContain(check(result, id).status);
    expect(JSON.stringify(result)).not.toContain(PGBOUNCER_PASSWORD);
  });

  it('reports clients waiting for a server connection in PgBouncer', async () => {
    const waiting = await startPgBouncer({ poolMode: 'session', defaultPoolSize: 1 });
    const holder = new pg.Client({ connectionString: waiting.url(db.name) });
    const queued = new pg.Client({ connectionString: waiting.url(db.name) });
    holder.on('error', () => undefined);
    queued.on('error', () => undefined);
    try {
      await holder.connect();
      const busy = holder.query('SELECT pg_sleep(1)');
      // In session mode a client queues for a server connection with its first query, not at login.
      const connecting = queued.connect().then(() => queued.query('SELECT 1')).catch(() => undefined);
      const console = new pg.Client({ connectionString: waiting.adminUrl() });
      await console.connect();
      await waitFor(async () => (await console.query('SHOW POOLS')).rows.some((r) => Number(r.cl_waiting) > 0), 5000, 'a waiting client');
      await console.end();
      const result = await runPool({ database_url: db.url, only: ['pool.pgbouncer'], pool: { pgbouncer_admin_url: waiting.adminUrl() } });
      const b = check(result, 'pool.pgbouncer');
      expect(b.status).toBe('warn');
      expect(b.info.pgbouncer).toMatchObject({ target_through_pgbouncer: false });
      const f = b.findings.find((x) => /waiting for a server connection/.test(x.title))!;
      expect(f.title).toMatch(new RegExp(`1 client waiting for a server connection in PgBouncer pool ${db.name}/postgres`));
      expect(f.recommendation).toMatch(/default_pool_size/);
      await busy;
      await holder.end(); // frees the only server connection for the queued client
      await connecting;
    } finally {
      await holder.end().catch(() => undefined);
      await queued.end().catch(() => undefined);
      await waiting.stop();
    }
  });

  it('fails with the reason when the configured admin URL is not PgBouncer, or PgBouncer is down', async () => {
    const notBouncer = new URL(db.url);
    notBouncer.pathname = '/pgbouncer';
    let result = await runPool({ database_url: db.url, only: ['pool.pgbouncer'], pool: { pgbouncer_admin_url: notBouncer.toString() } });
    expect(check(result, 'pool.pgbouncer')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/^config\.pool\.pgbouncer_admin_url: .* is not a PgBouncer admin console: database "pgbouncer" does not exist/) });

    const down = await startPgBouncer();
    await down.stop();
    const started = performance.now();
    result = await runPool({ database_url: db.url, only: ['pool.pgbouncer'], pool: { pgbouncer_admin_url: down.adminUrl() } });
    expect(check(result, 'pool.pgbouncer')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/cannot reach the PgBouncer admin console at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/pgbouncer: .*ECONNREFUSED/) });
    // A database URL through a PgBouncer that is down: the target cannot be opened, which is said once (the run fails),
    // and every pool check is skipped pointing at it.
    result = await runPool({ database_url: down.url(db.name), only: ['pool'] });
    expect(result.environment.unopened?.pg).toMatch(/connection refused/);
    for (const c of result.checks) expect(c, c.id).toMatchObject({ status: 'skip', reason: expect.stringMatching(/PostgreSQL could not be opened/) });
    expect(performance.now() - started).toBeLessThan(15_000);
  });
});

describe('a PgBouncer that refuses statement_timeout as a startup parameter (its default)', () => {
  it('is still usable: stackprobe reconnects without it and bounds statements client-side', async () => {
    const bouncer = await startPgBouncer({ refuseStatementTimeout: true });
    try {
      const target = await openPg(bouncer.url(db.name), { connectMs: 5000, operationMs: 30_000 });
      try {
        expect(target.timeouts.startupStatementTimeout).toBe(false);
        expect((await target.admin.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
        const pool = target.createPool({ max: 1 });
        expect((await pool.query<{ two: number }>('SELECT 2 AS two')).rows[0]!.two).toBe(2);
        await pool.end();
      } finally {
        await target.close();
      }
    } finally {
      await bouncer.stop();
    }
  });
});
