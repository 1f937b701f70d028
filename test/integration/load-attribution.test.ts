// Attribution under load: a planted bottleneck is named as the first component to give way, with its figures, and the
// others are ruled out; the same load without the planted limit does not name it.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attribution } from '../../src/checks/load/attribution-judge.js';
import { mixedLoadCheck } from '../../src/checks/load/mixed.js';
import { replayLoadCheck } from '../../src/checks/load/replay.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { CheckResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { startPrivateServer, type PrivateServer } from '../helpers/health-server.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const bottleneck = (c: CheckResult) => c.info.bottleneck as Attribution;
const show = (c: CheckResult) => `${c.reason ?? ''}\n${JSON.stringify(c.info.bottleneck)}\n${JSON.stringify(c.info.attribution)}\n${JSON.stringify(c.info.stage_table)}`;

async function runCheck(check: typeof mixedLoadCheck, input: ConfigInput): Promise<CheckResult> {
  const result = await run({ config: validateConfig(input), checks: [check], signal: new AbortController().signal, log: silentLogger() });
  return result.checks[0]!;
}

describe('pool wait', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });
  // A statement with 20 ms of server time (its own wait, like a slow disk or a remote call): 2 sessions carry 100 req/s.
  const load = (pool: number): ConfigInput => ({
    database_url: db.url, workload: { scale: 0.05 },
    load: {
      stages: [{ rate: 10, duration: '2s' }, { rate: 200, duration: '3s' }], pool_size: pool, p95_limit_ms: 300,
      weights: { financial_read: 0, write: 0, cache_read: 0, task: 0 }, custom: [{ name: 'remote', sql: 'SELECT pg_sleep(0.02)', weight: 1 }],
    },
  });

  it('names a pool of 2 sessions as the first to give way, with its pool wait share, and rules out locks and WAL', async () => {
    const c = await runCheck(mixedLoadCheck, load(2));
    const b = bottleneck(c);
    expect(b.saturated, show(c)).toBe(true);
    expect(b.component, show(c)).toBe('pool');
    expect(b.evidence).toMatch(/waiting for a free session/);
    const top = (c.info.attribution as Array<{ pool_wait_share: number; groups: Record<string, number> }>).at(-1)!;
    expect(top.pool_wait_share).toBeGreaterThan(0.5);
    expect(b.ruledOut.map((r) => r.component)).toEqual(expect.arrayContaining(['lock', 'wal', 'client']));
    const f = c.findings.find((x) => x.subject === 'bottleneck')!;
    expect(f.severity).toBe('warn');
    expect(f.title).toMatch(/first to give way: the PostgreSQL session pool/);
    expect(c.metrics.find((m) => m.name === 'load_pool_wait_share' && m.tags.stage === '2')).toMatchObject({ type: 'gauge' });
  }, 60_000);

  it('does not name the pool when it has sessions enough for the load, and never counts another client\'s waits', async () => {
    // Another client of the same database waits on a lock the whole time: it is not the load's, so it is not sampled.
    await db.sql('CREATE TABLE app_jobs (id int)');
    const holder = new pg.Client({ connectionString: db.url, application_name: 'app-holder' });
    const waiter = new pg.Client({ connectionString: db.url, application_name: 'stackprobe_load-lookalike' });
    for (const x of [holder, waiter]) x.on('error', () => undefined);
    await holder.connect();
    await waiter.connect();
    await holder.query('BEGIN; LOCK TABLE app_jobs');
    const waiting = waiter.query('SELECT * FROM app_jobs').catch(() => undefined);
    let c: CheckResult;
    try {
      c = await runCheck(mixedLoadCheck, load(30));
    } finally {
      await holder.query('ROLLBACK');
      await waiting;
      await holder.end();
      await waiter.end();
    }
    const groups = (c.info.attribution as Array<{ groups: Record<string, number>; lock_relations: unknown[] }>);
    expect(groups.every((g) => g.groups.lock === 0 && g.lock_relations.length === 0), JSON.stringify(groups)).toBe(true);
    const b = bottleneck(c);
    expect(b.saturated, show(c)).toBe(false);
    expect(b.component, show(c)).not.toBe('pool');
    const top = (c.info.attribution as Array<{ pool_wait_share: number }>).at(-1)!;
    expect(top.pool_wait_share).toBeLessThan(0.3);
    expect(c.findings.find((x) => x.subject === 'bottleneck')!.severity).toBe('info');
  }, 60_000);
});

describe('lock waits on a hot row', () => {
  const DB = 'app_hot';
  let server: PrivateServer;
  beforeAll(async () => {
    server = await startPrivateServer();
    await server.sql(`CREATE DATABASE ${DB}`);
    // A counter row every request updates; a trigger recomputes a total from a ledger (a few ms) while the row is held.
    await server.sql(`
      CREATE TABLE ledger (id int PRIMARY KEY, amount numeric(12,2) NOT NULL);
      INSERT INTO ledger SELECT i, i % 1000 FROM generate_series(1, 60000) i;
      CREATE TABLE counters (id int PRIMARY KEY, n bigint NOT NULL DEFAULT 0, total numeric);
      INSERT INTO counters (id) SELECT i FROM generate_series(1, 5000) i;
      CREATE FUNCTION recompute() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.total := (SELECT sum(amount) FROM ledger); RETURN NEW; END $$;
      CREATE TRIGGER counters_total BEFORE UPDATE ON counters FOR EACH ROW EXECUTE FUNCTION recompute();
      ANALYZE; CREATE EXTENSION pg_stat_statements;`, [], DB);
    const app = new pg.Client({ connectionString: server.url(DB) });
    await app.connect();
    try {
      for (let i = 1; i <= 20; i++) await app.query('UPDATE counters SET n = n + 1 WHERE id = $1', [i]);
    } finally {
      await app.end();
    }
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  const replay = (ids: string, rate: number): ConfigInput => ({
    database_url: server.url(DB), allow_privileged_role: true,
    load: {
      stages: [{ rate: 10, duration: '2s' }, { rate, duration: '3s' }], pool_size: 8, p95_limit_ms: 300,
      replay: { include: ['UPDATE counters'], writes: true, disposable_database: true, values: [
        // pg_stat_statements keeps the app's own $1 (the id) and numbers the constant 1 after it: $2.
        { statement: 'UPDATE counters', param: 1, sql: ids }, { statement: 'UPDATE counters', param: 2, sql: 'SELECT 1' },
      ] },
    },
  });

  it('names lock waits on the hot row\'s relation as the first to give way, and rules out the pool and WAL', async () => {
    // The hot row serialises its updates at the trigger's few ms each: ~280/s on a quiet host, fewer on a busy one. 250/s
    // was within reach on a quiet host (the stage kept up, nothing to attribute); 500/s is beyond it on any.
    const c = await runCheck(replayLoadCheck, replay('SELECT 1', 500));
    const b = bottleneck(c);
    expect(b.saturated, show(c)).toBe(true);
    expect(b.component, show(c)).toBe('lock');
    expect(b.evidence).toMatch(/counters/);
    const top = (c.info.attribution as Array<{ groups: Record<string, number>; lock_relations: Array<{ relation: string }> }>).at(-1)!;
    expect(top.groups.lock).toBeGreaterThan(0.3);
    expect(top.lock_relations[0]!.relation).toBe('counters');
    expect(b.ruledOut.map((r) => r.component)).toEqual(expect.arrayContaining(['pool', 'wal', 'client']));
  }, 60_000);

  it('does not name locks when the same updates spread over many rows', async () => {
    const c = await runCheck(replayLoadCheck, replay('SELECT id FROM counters', 250));
    const b = bottleneck(c);
    expect(b.component, show(c)).not.toBe('lock');
    const top = (c.info.attribution as Array<{ groups: Record<string, number> }>).at(-1)!;
    expect(top.groups.lock).toBeLessThan(0.1);
    // A replayed request is one statement: without load.current_rate the current rate is the database's statement rate
    // over a window of the run (none when no other client ran a statement in it), never since the counters began.
    const headroom = c.info.headroom as { current_rate: number | null; current_rate_from: string | null; current_rate_not_measured?: string };
    const from = headroom.current_rate !== null ? headroom.current_rate_from : headroom.current_rate_not_measured;
    expect(from, JSON.stringify(headroom)).toMatch(/^pg_stat_statements over a [\d.]+ s window just before the first stage: [\d.]+ statements\/s/);
    if (headroom.current_rate !== null) expect(from).toMatch(/a replayed request is one statement$/);
  }, 60_000);
});
