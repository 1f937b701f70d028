// load.replay end to end on the measuring path, against a private PostgreSQL with pg_stat_statements: an app whose
// statements take numeric, timestamptz, uuid, text[], jsonb, enum and domain parameters is replayed with every request
// succeeding, through no node-postgres client; a statement whose text pg_stat_statements made untypable is refused
// with the server's reason; a read whose STABLE PL/pgSQL function would turn its session read-write is never run; writes
// are rolled back; a session terminated under a statement is reported and the run goes on.
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { replayLoadCheck } from '../../src/checks/load/replay.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { waitFor } from '../../src/exec/timeout.js';
import type { CheckResult, CounterMetric, RateMetric, TrendMetric } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { startPrivateServer, type PrivateServer } from '../helpers/health-server.js';

const DB = 'app_typed';
const TIMED = 'stackprobe-load-replay';
let server: PrivateServer;

interface AppStatement { sql: string; calls: number; params: (i: number) => unknown[] }
const uuid = (i: number) => `${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}-0000-4000-8000-${String(i).padStart(12, '0')}`;
const TYPED: AppStatement[] = [
  { sql: 'SELECT id, amount FROM entries WHERE ref = $1', calls: 60, params: (i) => [uuid(1 + i * 37 % 5000)] },
  { sql: 'SELECT count(*) FROM entries WHERE amount = $1', calls: 40, params: (i) => [(i % 500) / 4] },
  { sql: 'SELECT id FROM entries WHERE booked_at >= $1 ORDER BY booked_at LIMIT $2', calls: 40, params: (i) => [new Date(Date.UTC(2025, 0, 1) + i * 3_600_000), 5] },
  { sql: 'SELECT count(*) FROM entries WHERE tags = $1', calls: 30, params: (i) => [[`t${i % 5}`, `t${i % 3}`]] },
  { sql: 'SELECT count(*) FROM entries WHERE meta = $1', calls: 30, params: (i) => [{ k: i % 10 }] },
  { sql: 'SELECT count(*) FROM entries WHERE state = $1', calls: 30, params: (i) => [['pending', 'booked', 'void'][i % 3]] },
  { sql: 'SELECT count(*) FROM entries WHERE fee = $1', calls: 30, params: (i) => [((i % 40) / 4).toFixed(2)] },
  { sql: 'SELECT id, state FROM entries WHERE id = ANY($1)', calls: 30, params: (i) => [[1 + i, 2 + i, 3 + i]] },
];
/** pg_stat_statements keeps it as `qty = $1 + $2`: unknown + unknown, which no server can type from the text. */
const UNTYPABLE = { sql: 'SELECT id FROM entries WHERE qty = $1 + 1', calls: 30, params: (i: number) => [i % 7] };
const SNEAKY = { sql: 'SELECT id, sneaky(id) FROM entries WHERE id = $1', calls: 30, params: (i: number) => [1 + i] };
const SLOW = { sql: 'SELECT pg_sleep($1), id FROM entries WHERE id = $2', calls: 10, params: (i: number) => [0.01, 1 + i] };
const WRITES: AppStatement[] = [
  { sql: 'UPDATE entries SET state = $1, meta = $2 WHERE ref = $3', calls: 20, params: (i) => ['void', { k: 99 }, uuid(1 + i)] },
  { sql: 'DELETE FROM entries WHERE booked_at < $1 AND state = $2', calls: 20, params: (i) => [new Date(Date.UTC(2025, 0, 2 + i)), 'pending'] },
  { sql: 'UPDATE entries SET tags = $1, fee = $2 WHERE id = $3', calls: 20, params: (i) => [['x'], '1.00', 1 + i] },
];

beforeAll(async () => {
  server = await startPrivateServer();
  await server.sql(`CREATE DATABASE ${DB}`);
  await server.sql(`
    CREATE TYPE entry_state AS ENUM ('pending', 'booked', 'void');
    CREATE DOMAIN cents AS numeric(14,2) CHECK (VALUE >= 0);
    CREATE TABLE entries (id int PRIMARY KEY, ref uuid NOT NULL, amount numeric(12,2) NOT NULL, booked_at timestamptz NOT NULL,
      tags text[] NOT NULL, meta jsonb NOT NULL, state entry_state NOT NULL, fee cents NOT NULL, qty int NOT NULL);
    INSERT INTO entries SELECT i, (lpad(to_hex((i::bigint * 2654435761) % 4294967296), 8, '0') || '-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid,
      (i % 500) / 4.0, timestamptz '2025-01-01 00:00+00' + i * interval '1 hour', ARRAY['t' || i % 5, 't' || i % 3], jsonb_build_object('k', i % 10),
      (ARRAY['pending','booked','void']::entry_state[])[1 + i % 3], (i % 40) / 4.0, i % 7
      FROM generate_series(1, 5000) i;
    CREATE INDEX ON entries (ref);
    CREATE INDEX ON entries (booked_at);
    CREATE SEQUENCE escaped;
    -- STABLE, but PL/pgSQL, whose body the catalog check cannot read: refused; were it run, its third call would turn the session read-write,
    -- and a stackprobe session it finds read-write is written through (nextval), so an escape would leave a trace.
    CREATE FUNCTION sneaky(u int) RETURNS int STABLE LANGUAGE plpgsql AS $$
    DECLARE n int := coalesce(nullif(current_setting('sneaky.calls', true), ''), '0')::int + 1;
    BEGIN
      PERFORM set_config('sneaky.calls', n::text, false);
      IF current_setting('transaction_read_only') = 'off' AND current_setting('application_name') LIKE 'stackprobe%' THEN PERFORM nextval('escaped'); END IF;
      IF n % 3 = 0 THEN PERFORM set_config('default_transaction_read_only', 'off', false); END IF;
      RETURN u;
    END $$;
    ANALYZE;
    CREATE EXTENSION pg_stat_statements;`, [], DB);
  await driveApp();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The app's traffic: reads on two sessions, the writes in a transaction rolled back (pg_stat_statements counts them). */
async function driveApp(): Promise<void> {
  const c = new pg.Client({ connectionString: server.url(DB) });
  c.on('error', () => undefined);
  await c.connect();
  try {
    await c.query('SELECT pg_stat_statements_reset()');
    for (const s of [...TYPED, UNTYPABLE, SNEAKY, SLOW]) for (let i = 0; i < s.calls; i++) await c.query(s.sql, s.params(i));
    await c.query('BEGIN');
    for (const s of WRITES) for (let i = 0; i < s.calls; i++) await c.query(s.sql, s.params(i));
    await c.query('ROLLBACK');
  } finally {
    await c.end();
  }
}

function replayConfig(replay: NonNullable<NonNullable<ConfigInput['load']>['replay']>, load: Omit<NonNullable<ConfigInput['load']>, 'replay'> = {}, extra: Partial<ConfigInput> = {}) {
  return validateConfig({ database_url: server.url(DB), ...extra, load: { stages: [{ rate: 60, duration: '3s' }], pool_size: 4, ...load, replay } });
}
const runReplay = async (config: ReturnType<typeof validateConfig>): Promise<CheckResult> =>
  (await run({ config, checks: [replayLoadCheck], signal: new AbortController().signal, log: silentLogger() })).checks[0]!;
const stepSuccess = (c: CheckResult) => c.metrics.filter((m): m is RateMetric => m.type === 'rate' && m.name === 'load_step_success');
const counter = (c: CheckResult, name: string) => c.metrics.filter((m): m is CounterMetric => m.type === 'counter' && m.name === name).reduce((n, m) => n + m.count, 0);
/** The step a statement's executions are recorded under (`replay:<queryid>`), from the replayed mix. */
const stepOf = (c: CheckResult, sql: string) => `replay:${(c.info.replay_mix as Array<{ statement: string; queryid: string }>).find((m) => m.statement === sql)?.queryid}`;
const escapedCalled = async () => (await server.sql<{ is_called: boolean }>('SELECT is_called FROM escaped', [], DB))[0]!.is_called;
const activity = () => server.sql<{ app: string; n: number }>('SELECT application_name AS app, count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 GROUP BY 1', [DB]);

describe('load.replay on the measuring path', () => {
  it('replays numeric, timestamptz, uuid, text[], jsonb, enum, domain and array parameters without a failure, through no node-postgres client', async () => {
    const connects = vi.spyOn(pg.Client.prototype, 'connect');
    const seen = new Map<string, number>();
    const sampler = setInterval(() => {
      void activity().then((rows) => rows.forEach((r) => seen.set(r.app, Math.max(seen.get(r.app) ?? 0, r.n))), () => undefined);
    }, 100);
    let c: CheckResult;
    try {
      c = await runReplay(replayConfig({
        include: [...TYPED.map((s) => s.sql), 'qty = $1 +'],
        values: [{ statement: 'ANY($1)', param: 1, sql: 'SELECT array_agg(id)::text FROM (SELECT id FROM entries ORDER BY id LIMIT 5) s' }],
      }, {}, { read_only: true, allow_privileged_role: true }));
    } finally {
      clearInterval(sampler);
    }
    const refused = (c.info.not_replayed ?? []) as Array<{ statement: string; reason: string }>;
    expect(refused.map((r) => r.statement)).toEqual(['SELECT id FROM entries WHERE qty = $1 + $2']);
    expect(refused[0]!.reason).toMatch(/operator is not unique: unknown \+ unknown/);
    expect(c.status, JSON.stringify({ reason: c.reason, findings: c.findings.map((f) => f.title) })).not.toBe('fail');
    const steps = stepSuccess(c).filter((m) => String(m.tags.step).startsWith('replay:'));
    expect(new Set(steps.map((m) => m.tags.step)).size).toBe(TYPED.length);
    for (const m of steps) expect(m.hits, JSON.stringify(m.tags)).toBe(m.total);
    expect(steps.reduce((n, m) => n + m.total, 0)).toBeGreaterThan(150);
    // The no-op share beside the statements, on the replay's own sessions.
    const noop = c.metrics.find((m): m is TrendMetric => m.type === 'trend' && m.name === 'load_pg_noop_duration');
    expect(noop?.summary.count).toBeGreaterThan(10);
    // The timed sessions were there (server side), and none of them was a node-postgres client (client side); the
    // catalog reads of the dry pass are, which shows the spy sees node-postgres clients.
    expect(seen.get(TIMED) ?? 0).toBeGreaterThan(0);
    expect(seen.get(TIMED)).toBeLessThanOrEqual(4);
    const pgApps = connects.mock.contexts.map((client) => (client as unknown as { connectionParameters: { application_name?: string } }).connectionParameters.application_name);
    expect(pgApps).toContain(`${TIMED}-dry`);
    expect(pgApps.filter((a) => a === TIMED || a === `${TIMED}-writes`)).toEqual([]);
  });

  it('never runs a read whose STABLE PL/pgSQL function could turn its session read-write, names it, and replays the rest', async () => {
    // The catalog check refuses it before anything of it reaches the server (a body it cannot inspect); the measuring
    // session's own defence against such a statement is tested directly in replay-exec.test.ts.
    const c = await runReplay(replayConfig({ include: [SNEAKY.sql, TYPED[0]!.sql] }));
    const refused = (c.info.not_replayed ?? []) as Array<{ statement: string; reason: string }>;
    expect(refused.map((r) => r.statement)).toEqual([SNEAKY.sql]);
    expect(refused[0]!.reason).toMatch(/public\.sneaky\(integer\).*plpgsql/);
    expect(counter(c, 'load_sessions_lost')).toBe(0);
    expect(await escapedCalled()).toBe(false);
    // The other statement kept running, on new sessions, without a failure.
    const other = stepSuccess(c).find((m) => m.tags.step === stepOf(c, TYPED[0]!.sql));
    expect(other!.total).toBeGreaterThan(50);
    expect(other!.hits).toBe(other!.total);
  });

  it('replays writes each in a transaction rolled back: they ran (pg_stat_statements counts them), and every row is as before', async () => {
    const digest = `SELECT count(*) || ':' || md5(string_agg(e::text, ',' ORDER BY id)) AS h FROM entries e`;
    const calls = `SELECT coalesce(sum(calls), 0)::int AS n FROM pg_stat_statements WHERE query LIKE 'UPDATE entries%' OR query LIKE 'DELETE FROM entries%'`;
    const before = (await server.sql<{ h: string }>(digest, [], DB))[0]!.h;
    const callsBefore = (await server.sql<{ n: number }>(calls, [], DB))[0]!.n;
    const connects = vi.spyOn(pg.Client.prototype, 'connect');
    // One session: the writes run one after another, so no two of them wait on each other's row locks.
    const c = await runReplay(replayConfig({ include: [...WRITES.map((w) => w.sql), TYPED[0]!.sql], writes: true, disposable_database: true }, { pool_size: 1 }));
    expect(c.status, JSON.stringify({ reason: c.reason, refused: c.info.not_replayed, findings: c.findings.map((f) => f.title) })).not.toBe('fail');
    for (const w of WRITES) {
      const step = stepSuccess(c).find((m) => m.tags.step === stepOf(c, w.sql));
      expect(step!.total, w.sql).toBeGreaterThan(5);
      expect(step!.hits, w.sql).toBe(step!.total);
    }
    const mix = c.info.replay_mix as Array<{ statement: string; replayed_share_pct: number }>;
    for (const w of WRITES) expect(mix.find((m) => m.statement === w.sql)?.replayed_share_pct, w.sql).toBeGreaterThan(0);
    expect((await server.sql<{ n: number }>(calls, [], DB))[0]!.n).toBeGreaterThan(callsBefore + 30);
    expect((await server.sql<{ h: string }>(digest, [], DB))[0]!.h).toBe(before);
    expect(await server.sql(`SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'`, [DB])).toEqual([]);
    const pgApps = connects.mock.contexts.map((client) => (client as unknown as { connectionParameters: { application_name?: string } }).connectionParameters.application_name);
    expect(pgApps.filter((a) => a === `${TIMED}-writes`)).toEqual([]);
  });

  it('reports a session terminated under its statement, and the load goes on to the next stage', async () => {
    const config = replayConfig({
      include: [SLOW.sql, TYPED[0]!.sql],
      values: [{ statement: 'pg_sleep', param: 1, sql: "SELECT '0.3'" }],
    }, { stages: [{ rate: 30, duration: '3s' }, { rate: 30, duration: '2s' }] });
    const running = runReplay(config);
    const kill = `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND state = 'active' AND query LIKE '%pg_sleep%'`;
    let killed = 0;
    await waitFor(async () => (killed = (await server.sql<{ n: number }>(kill, [DB, TIMED]))[0]!.n) > 0, 30_000, 'a replayed statement to terminate');
    const c = await running;
    expect(killed).toBeGreaterThan(0);
    expect(c.status).toBe('fail');
    expect(JSON.stringify(c.findings)).toMatch(/57P01|terminat/);
    expect(counter(c, 'load_sessions_lost')).toBeGreaterThanOrEqual(1);
    const stage2 = c.metrics.find((m): m is RateMetric => m.type === 'rate' && m.name === 'load_success' && m.tags.stage === '2');
    expect(stage2?.hits).toBeGreaterThan(20);
  });
});
