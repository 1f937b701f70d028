// The queries category against a real PostgreSQL: workload lifecycle, per-query histograms, ground truth, errors, EXPLAIN.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queriesChecks } from '../../src/checks/queries/index.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { CheckResult, RunResult, TrendMetric } from '../../src/result/model.js';
import { waitFor } from '../../src/exec/timeout.js';
import { run, type RunEvent } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { MARKER, setupWorkload, dropWorkload } from '../../src/workload/setup.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db.drop();
});

function runQueries(config: Omit<ConfigInput, 'database_url'>, opts: { signal?: AbortSignal; onEvent?: (e: RunEvent) => void } = {}): Promise<RunResult> {
  return run({
    config: validateConfig({ database_url: db.url, ...config }),
    checks: queriesChecks,
    signal: opts.signal ?? new AbortController().signal,
    log: silentLogger(),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
}

const check = (r: RunResult, id: string): CheckResult => r.checks.find((c) => c.id === id)!;
const trend = (c: CheckResult, query: string) =>
  c.metrics.find((m): m is TrendMetric => m.type === 'trend' && m.name === 'query_duration' && m.tags.query === query)!;
const schemaExists = async () => (await db.sql(`SELECT 1 FROM pg_namespace WHERE nspname = 'stackprobe'`)).length > 0;
/** Waits until no session stackprobe opened (query pools, the workload's load and lock sessions) is connected. */
const noSessionsLeft = () =>
  waitFor(async () => {
    const rows = await db.sql(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'stackprobe-%' AND application_name <> 'stackprobe-admin'`);
    return rows.length === 0;
  }, 3000, 'stackprobe sessions to close');

describe('workload schema', () => {
  it('is created deterministically from the seed, marked as ours, and dropped afterwards', async () => {
    const pg = await db.open();
    const signal = new AbortController().signal;
    const checksum = async () =>
      (await db.sql<{ sum: string }>(`SELECT md5(string_agg(t::text, E'\\n' ORDER BY id)) AS sum FROM stackprobe.transactions t`))[0]!.sum;

    const first = await setupWorkload(pg, { seed: 7, scale: 0.1, signal });
    expect(first.rows).toMatchObject({ users: 50, transactions: 10_000, categories: 18 });
    const counted = await db.sql<{ n: string }>(`SELECT count(*) AS n FROM stackprobe.transactions`);
    expect(Number(counted[0]!.n)).toBe(first.rows.transactions);
    const [meta] = await db.sql(`SELECT seed, scale::float8 AS scale, obj_description('stackprobe'::regnamespace, 'pg_namespace') AS comment FROM stackprobe._meta`);
    expect(meta).toMatchObject({ seed: 7, scale: 0.1 });
    expect(meta!.comment).toMatch(new RegExp(`^${MARKER}`));
    const sum1 = await checksum();
    await dropWorkload(pg, first);
    expect(await schemaExists()).toBe(false);

    const second = await setupWorkload(pg, { seed: 7, scale: 0.1, signal });
    expect(second.rows).toEqual(first.rows);
    expect(await checksum()).toBe(sum1);
    await dropWorkload(pg, second);

    const other = await setupWorkload(pg, { seed: 8, scale: 0.1, signal });
    expect(await checksum()).not.toBe(sum1);
    await dropWorkload(pg, other);
    expect(await schemaExists()).toBe(false);
    await noSessionsLeft();
  });

  it('refuses a foreign "stackprobe" schema and leaves it untouched', async () => {
    await db.sql(`CREATE SCHEMA stackprobe; COMMENT ON SCHEMA stackprobe IS 'the app''s own'; CREATE TABLE stackprobe.keep (v int); INSERT INTO stackprobe.keep VALUES (1), (2)`);
    const result = await runQueries({ queries: { duration_s: 0.2 } });
    for (const id of ['queries.basic', 'queries.financial']) {
      expect(check(result, id).status).toBe('fail');
      expect(check(result, id).reason).toMatch(/schema "stackprobe" exists and was not created by stackprobe.*it will not be touched/);
    }
    expect(check(result, 'queries.custom')).toMatchObject({ status: 'skip', reason: 'no custom queries in config.queries.custom' });
    expect(await db.sql(`SELECT v FROM stackprobe.keep ORDER BY v`)).toEqual([{ v: 1 }, { v: 2 }]);
    expect((await db.sql(`SELECT obj_description('stackprobe'::regnamespace, 'pg_namespace') AS c`))[0]!.c).toBe("the app's own");
    await noSessionsLeft();
  });

  it('replaces a schema left by an interrupted stackprobe run, and says so', async () => {
    await db.sql(`CREATE SCHEMA stackprobe; COMMENT ON SCHEMA stackprobe IS '${MARKER} (seed 1, scale 1)'; CREATE TABLE stackprobe.leftover (v int)`);
    const pg = await db.open();
    const warnings: string[] = [];
    const w = await setupWorkload(pg, { seed: 1, scale: 0.05, signal: new AbortController().signal, warn: (t) => warnings.push(t) });
    expect(w.replacedLeftover).toBe(true);
    expect(warnings.join()).toMatch(/left by an interrupted stackprobe run/);
    expect(await db.sql(`SELECT 1 FROM pg_tables WHERE schemaname = 'stackprobe' AND tablename = 'leftover'`)).toEqual([]);
    await dropWorkload(pg, w);
  });

  it('never drops a kept schema that the user built on: the dependent view and foreign key are named', async () => {
    // A run with --keep-data, then the user's own objects on top of it (a view and a foreign key in public).
    await db.sql(`CREATE SCHEMA stackprobe; COMMENT ON SCHEMA stackprobe IS '${MARKER} (seed 1, scale 1)';
      CREATE TABLE stackprobe.users (id int PRIMARY KEY);
      CREATE VIEW public.user_report AS SELECT id FROM stackprobe.users;
      CREATE TABLE public.user_notes (user_id int REFERENCES stackprobe.users (id))`);
    const pg = await db.open();
    try {
      const err = await setupWorkload(pg, { seed: 1, scale: 0.05, signal: new AbortController().signal }).then(() => undefined, (e: unknown) => e);
      expect(String(err)).toMatch(/schema "stackprobe" was not dropped/);
      expect(String(err)).toContain('view user_report');
      expect(String(err)).toContain('constraint user_notes_user_id_fkey on table user_notes');
      // Both user objects are still there.
      expect(await db.sql(`SELECT count(*)::int AS n FROM pg_views WHERE viewname = 'user_report'`)).toEqual([{ n: 1 }]);
      expect(await db.sql(`SELECT count(*)::int AS n FROM pg_constraint WHERE conname = 'user_notes_user_id_fkey'`)).toEqual([{ n: 1 }]);
    } finally {
      await db.sql(`DROP VIEW public.user_report; DROP TABLE public.user_notes; DROP SCHEMA stackprobe CASCADE`);
    }
  });

  it('is held by one run at a time: a second setup on the same database is refused while the first holds it', async () => {
    const pg = await db.open();
    const signal = new AbortController().signal;
    const first = await setupWorkload(pg, { seed: 1, scale: 0.02, signal });
    await expect(setupWorkload(pg, { seed: 1, scale: 0.02, signal })).rejects.toThrow(/another stackprobe run is using/);
    expect(await schemaExists()).toBe(true);
    await dropWorkload(pg, first);
    await noSessionsLeft();
  });

  it('is dropped when the run is interrupted while loading and while measuring', async () => {
    for (const at of ['loading transactions', 'point_lookup (1/3)']) {
      const ac = new AbortController();
      const events: string[] = [];
      const result = await runQueries({ only: ['queries.basic'], queries: { duration_s: 5 }, workload: { scale: 1 } }, {
        signal: ac.signal,
        onEvent: (e) => {
          if (e.type !== 'check-progress') return;
          events.push(e.text);
          if (e.text === at) setTimeout(() => ac.abort(), 50);
        },
      });
      expect(events, at).toContain(at);
      expect(result.interrupted).toBe(true);
      // Interrupted mid-COPY, the workload was never finished; interrupted mid-measurement, it was.
      expect(check(result, 'queries.basic').info.workload === undefined, at).toBe(at.startsWith('loading'));
      // Promptly: the measurement alone would take 5 s after a load of about 1 s.
      expect(result.durationMs, at).toBeLessThan(5000);
      expect(await schemaExists(), at).toBe(false);
      await noSessionsLeft();
    }
  });
});

describe('queries checks through the runner', () => {
  it('cancels a slow statement on the server when the run is interrupted', async () => {
    const ac = new AbortController();
    const started = performance.now();
    const result = await runQueries({ queries: { duration_s: 10, custom: [{ name: 'slow', sql: 'SELECT pg_sleep(30)' }] }, only: ['queries.custom'] }, {
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'check-progress' && e.text === 'slow (1/1)') setTimeout(() => ac.abort(), 300);
      },
    });
    expect(performance.now() - started).toBeLessThan(5000);
    const custom = check(result, 'queries.custom');
    expect(custom.status).toBe('skip');
    // Our own cancel is not counted as the query's error.
    expect(custom.metrics.find((m) => m.type === 'rate' && m.name === 'query_errors')).toMatchObject({ hits: 0 });
    await noSessionsLeft();
  });

  it('measures basic, financial and custom queries per query, with ground truth and a broken statement', async () => {
    const started = performance.now();
    const result = await runQueries({
      workload: { scale: 0.2 },
      queries: {
        duration_s: 0.5,
        custom: [
          { name: 'sleep20', sql: 'SELECT pg_sleep(0.02)' },
          { name: 'broken', sql: 'SELECT * FROM no_such_table_zz' },
          { name: 'tables', sql: 'SELECT count(*) FROM pg_class WHERE relkind = $1', params: ['r'] },
        ],
      },
    });

    const basic = check(result, 'queries.basic');
    expect(['pass', 'warn']).toContain(basic.status);
    expect(basic.info.workload).toMatchObject({ scale: 0.2, rows: { users: 100, transactions: 20_000 } });
    const setupMs = (basic.info.workload as { setupMs: number }).setupMs;
    expect(setupMs).toBeGreaterThan(0);
    const financial = check(result, 'queries.financial');
    expect(['pass', 'warn']).toContain(financial.status);
    expect(financial.info.workload).toBeUndefined(); // made once, by basic

    const expected: Array<[CheckResult, string[]]> = [
      [basic, ['point_lookup', 'insert_transaction', 'recent_transactions']],
      [financial, ['running_balance', 'monthly_spending', 'budget_vs_actual', 'portfolio_valuation', 'amortisation_schedule', 'join_report']],
    ];
    for (const [c, names] of expected) {
      for (const name of names) {
        const s = trend(c, name).summary;
        expect(s.count, name).toBeGreaterThan(0);
        expect(s.percentiles.p50, name).toBeGreaterThan(0.01);
        expect(s.percentiles.p50, name).toBeLessThanOrEqual(s.percentiles.p95!);
        expect(s.percentiles.p95, name).toBeLessThanOrEqual(s.percentiles.p99!);
        expect(s.percentiles.p95, name).toBeLessThan(1000);
        const errors = c.metrics.find((m) => m.type === 'rate' && m.name === 'query_errors' && m.tags.query === name);
        expect(errors).toMatchObject({ hits: 0, total: s.count });
        const tput = c.metrics.find((m) => m.type === 'gauge' && m.name === 'query_throughput' && m.tags.query === name);
        expect(tput).toMatchObject({ unit: 'req/s' });
        expect(c.ratings.map((r) => r.metric)).toContain(`query_duration{query:${name}}`);
      }
      expect(c.thresholds.every((t) => t.ok)).toBe(true);
      // The slowest three were EXPLAINed, each finding carrying the plan's time and top node.
      const explained = c.findings.filter((f) => f.data && 'topNode' in f.data);
      expect(new Set(explained.map((f) => f.subject)).size).toBe(3);
      // The client's share: a no-op round trip measured beside every query, named in one finding.
      for (const name of names) expect(c.metrics.find((m) => m.type === 'trend' && m.name === 'query_noop_duration' && m.tags.query === name), name).toBeDefined();
      expect(c.findings.find((f) => f.subject === 'client share')?.title).toMatch(/no-op round trip .* p50 [\d.]+ ms/);
    }

    const custom = check(result, 'queries.custom');
    expect(custom.status).toBe('fail');
    // Ground truth: pg_sleep(0.02) takes 20 ms, and the read-only wrapper is not counted.
    const sleep = trend(custom, 'sleep20').summary;
    expect(Math.abs(sleep.percentiles.p50! - 20)).toBeLessThanOrEqual(2);
    const outcome = (metric: string) => custom.thresholds.find((t) => t.metric === metric)!;
    expect(outcome('query_errors{query:broken}')).toMatchObject({ ok: false, actual: 1 });
    for (const name of ['sleep20', 'tables']) {
      expect(outcome(`query_duration{query:${name}}`).ok).toBe(true);
      expect(outcome(`query_errors{query:${name}}`)).toMatchObject({ ok: true, actual: 0 });
    }
    const broken = custom.findings.find((f) => f.severity === 'error');
    expect(broken?.subject).toBe('broken');
    expect(broken?.title).toContain('broken');
    expect(broken?.title).toContain('relation "no_such_table_zz" does not exist');

    expect(await schemaExists()).toBe(false);
    await noSessionsLeft();
    console.log(`queries run: workload setup ${setupMs} ms, pg_sleep(0.02) p50 ${sleep.percentiles.p50} ms, run ${Math.round(performance.now() - started)} ms`);
  });

  it('runs custom queries under --read-only without the workload, and EXPLAIN finds a planted missing index', async () => {
    await db.sql(`CREATE TABLE customers (id int PRIMARY KEY);
      INSERT INTO customers SELECT g FROM generate_series(1, 2000) g;
      CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL REFERENCES customers (id), amount numeric(12,2) NOT NULL);
      INSERT INTO orders SELECT g, 1 + g % 2000, (g % 1000) / 10.0 FROM generate_series(1, 200000) g;
      ANALYZE customers, orders`);
    const result = await runQueries({
      read_only: true,
      // The test server's role is a superuser: accepted only by the loud opt-in, which the check records.
      allow_privileged_role: true,
      queries: { duration_s: 0.5, concurrency: 2, custom: [{ name: 'orders_of_customer', sql: 'SELECT count(*), sum(amount) FROM orders WHERE customer_id = $1', params: [42] }] },
    });
    expect(check(result, 'queries.basic')).toMatchObject({ status: 'skip', reason: '--read-only: this check writes' });
    const custom = check(result, 'queries.custom');
    expect(custom.status).toBe('pass');
    expect(custom.findings.find((x) => x.subject === 'read-only')).toMatchObject({ severity: 'warn', title: expect.stringMatching(/allowed by --allow-privileged-role/) });
    const f = custom.findings.find((x) => x.title.includes('missing index on foreign key column orders.customer_id'));
    expect(f, JSON.stringify(custom.findings)).toBeDefined();
    expect(f).toMatchObject({ severity: 'info', subject: 'orders_of_customer', recommendation: 'CREATE INDEX ON public.orders (customer_id)' });
    expect(f!.data).toMatchObject({ rowsRead: 200_000, foreignKey: true });
    expect((f!.data as { totalMs: number }).totalMs).toBeGreaterThan(0);
    expect(await schemaExists()).toBe(false);
    // Nothing was written: the planted rows are as they were.
    expect((await db.sql(`SELECT count(*)::int AS n FROM orders`))[0]!.n).toBe(200_000);
  });
});

describe('concurrency against the server\'s free sessions', () => {
  it('caps the VUs so the database keeps sessions for the application, and says so', async () => {
    // The database admits 10 sessions: stackprobe's admin pool and the app's share come out of those.
    await db.sql(`ALTER DATABASE ${db.name} CONNECTION LIMIT 10`);
    const result = await runQueries({ only: ['queries.custom'], queries: { concurrency: 500, duration_s: 0.5, custom: [{ name: 'one', sql: 'SELECT 1' }] } });
    const custom = check(result, 'queries.custom');
    expect(custom.status).toBe('pass');
    const concurrency = custom.info.concurrency as number;
    expect(concurrency).toBeGreaterThanOrEqual(1);
    expect(concurrency).toBeLessThanOrEqual(5);
    const finding = custom.findings.find((f) => f.subject === 'queries.concurrency')!;
    expect(finding.title).toBe(`concurrency capped at ${concurrency}`);
    expect(finding.detail).toContain("database's CONNECTION LIMIT 10");
    // Every execution succeeded: no "too many connections" from the server.
    expect(custom.metrics.find((m) => m.type === 'rate' && m.name === 'query_errors')).toMatchObject({ hits: 0 });
  });
});
