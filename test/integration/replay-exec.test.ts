// load.replay's measuring path (replay-exec.ts) against a real server: typed parameters sent as text, a read in one
// round trip on a read-only session, a write with BEGIN and ROLLBACK in the same round trip, and the attacks — a read
// that turns its session read-write or leaves a transaction open, a multi-statement text, a failing write, a
// statement past statement_timeout, sessions terminated while idle and under a statement.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { endReplayPools, openReplayPools, runReplayed, type ReplayPools, type ReplayTimer } from '../../src/checks/load/replay-exec.js';
import { waitFor } from '../../src/exec/timeout.js';
import { isLostSession } from '../../src/targets/pg/lost-session.js';
import type { PgWireError } from '../../src/targets/pg/wire/errors.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
let pools: ReplayPools | undefined;
let lost: PgWireError[] = [];
/** This test's own application_name: its sessions are found in pg_stat_activity of its own database only. */
const APP = `stackprobe-replay-exec-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql(`
    CREATE TYPE entry_state AS ENUM ('pending', 'booked', 'void');
    CREATE DOMAIN cents AS numeric(14,2) CHECK (VALUE >= 0);
    CREATE TABLE entries (id int PRIMARY KEY, ref uuid NOT NULL, amount numeric(12,2) NOT NULL, booked_at timestamptz NOT NULL,
      tags text[] NOT NULL, meta jsonb NOT NULL, state entry_state NOT NULL, fee cents NOT NULL, qty int NOT NULL);
    INSERT INTO entries SELECT i, md5(i::text)::uuid, (i % 500) / 4.0, timestamptz '2025-01-01 00:00+00' + i * interval '1 hour',
      ARRAY['t' || i % 5, 't' || i % 3], jsonb_build_object('k', i % 10), (ARRAY['pending','booked','void']::entry_state[])[1 + i % 3], (i % 40) / 4.0, i % 7
      FROM generate_series(1, 2000) i;
    CREATE SEQUENCE escaped;
    -- Declared STABLE, so nothing flags it as a write: it turns its session read-write, and writes when it finds one.
    CREATE FUNCTION sneaky(u int) RETURNS int STABLE LANGUAGE plpgsql AS $$
    BEGIN
      IF current_setting('transaction_read_only') = 'off' THEN PERFORM nextval('escaped'); END IF;
      PERFORM set_config('default_transaction_read_only', 'off', false);
      RETURN u;
    END $$;`);
});
afterAll(async () => {
  await db.drop();
});
afterEach(async () => {
  if (pools) await endReplayPools(pools);
  pools = undefined;
  lost = [];
});

function open(o: { max?: number; writes?: boolean; statementTimeoutMs?: number } = {}): ReplayPools {
  pools = openReplayPools({ url: db.url, timeouts: { connectMs: 5000 } }, {
    applicationName: APP, max: o.max ?? 1, statementTimeoutMs: o.statementTimeoutMs ?? 5000, acquireTimeoutMs: 5000, writes: !!o.writes, onLost: (e) => lost.push(e),
  });
  return pools;
}

let ids = 0;
const read = (query: string) => ({ queryid: String(++ids), query, write: false });
const write = (query: string) => ({ queryid: String(++ids), query, write: true });
/** A timer that keeps what the run resolved with: CommandCompletes of the one request. */
function counting(): { time: ReplayTimer; completed: number[] } {
  const completed: number[] = [];
  return { completed, time: async (_step, run) => { const out = await run(); completed.push(out as number); return out; } };
}
const sessions = () => db.sql<{ pid: number; state: string }>(`SELECT pid, state FROM pg_stat_activity WHERE datname = current_database() AND application_name IN ($1, $1 || '-writes')`, [APP]);
const digest = async () => (await db.sql<{ h: string }>(`SELECT count(*) || ':' || md5(string_agg(e::text, ',' ORDER BY id)) AS h FROM entries e`))[0]!.h;

describe('replay on the measuring path', () => {
  it('sends every typed parameter as text; the server types it as Parse inferred, and each read is one request', async () => {
    const p = open();
    const { time, completed } = counting();
    const cases: Array<[string, string]> = [
      ['SELECT id FROM entries WHERE ref = $1', 'c4ca4238-a0b9-2382-0dcc-509a6f75849b'],
      ['SELECT count(*) FROM entries WHERE amount = $1', '12.25'],
      ['SELECT id FROM entries WHERE booked_at >= $1 ORDER BY booked_at LIMIT 5', '2025-01-03 04:00:00+00'],
      ['SELECT count(*) FROM entries WHERE tags = $1', '{t1,t2}'],
      ['SELECT count(*) FROM entries WHERE meta = $1', '{"k": 3}'],
      ['SELECT count(*) FROM entries WHERE state = $1', 'booked'],
      ['SELECT count(*) FROM entries WHERE fee = $1', '2.50'],
      ['SELECT id FROM entries WHERE qty = $1 + 1', '3'],
      ['SELECT id, state FROM entries WHERE id = ANY($1)', '{1,2,3}'],
    ];
    const statements = cases.map(([sql]) => read(sql));
    // Twice: the first execution on the session prepares the statement, the second sends Bind/Execute/Sync only.
    for (let round = 0; round < 2; round++) {
      for (const [i, st] of statements.entries()) await runReplayed(p, st, [cases[i]![1]], time);
    }
    expect(completed).toEqual([...cases, ...cases].map(() => 1));
    expect((await sessions()).length).toBe(1);
  });

  it('fails a value the type refuses with the server\'s SQLSTATE and keeps the session', async () => {
    const p = open();
    await expect(runReplayed(p, read('SELECT count(*) FROM entries WHERE ref = $1'), ['not-a-uuid'])).rejects.toMatchObject({ code: '22P02' });
    await expect(runReplayed(p, read('SELECT count(*) FROM entries WHERE meta = $1'), ['{"k":'])).rejects.toMatchObject({ code: '22P02' });
    const before = (await sessions()).map((s) => s.pid);
    await runReplayed(p, read('SELECT count(*) FROM entries WHERE state = $1'), ['void']);
    expect((await sessions()).map((s) => s.pid)).toEqual(before);
    expect(lost).toEqual([]);
  });

  it('runs a write between BEGIN and ROLLBACK in one request: nothing stays, a failing write leaves no transaction open', async () => {
    const p = open({ writes: true });
    const before = await digest();
    const { time, completed } = counting();
    await runReplayed(p, write('UPDATE entries SET state = $1, meta = $2 WHERE qty = $3'), ['void', '{"k": 99}', '2'], time);
    await runReplayed(p, write('DELETE FROM entries WHERE booked_at < $1'), ['2025-02-01 00:00:00+00'], time);
    await runReplayed(p, write("INSERT INTO entries VALUES ($1, gen_random_uuid(), 1, now(), '{}', '{}', 'pending', $2, 1)"), ['99999', '1.00'], time);
    // BEGIN, the statement and ROLLBACK completed within each single request.
    expect(completed).toEqual([3, 3, 3]);
    // A domain CHECK fails the statement mid-pipeline: the server skips to Sync inside the open transaction.
    await expect(runReplayed(p, write('UPDATE entries SET fee = $1 WHERE qty = $2'), ['-5', '1'])).rejects.toMatchObject({ code: '23514' });
    expect((await sessions()).map((s) => s.state)).toEqual(['idle']);
    await runReplayed(p, write('UPDATE entries SET fee = $1 WHERE qty = $2'), ['5', '1']);
    expect(await digest()).toBe(before);
  });

  it('refuses a write on the read sessions, and a multi-statement text on any', async () => {
    const p = open({ writes: true });
    const before = await digest();
    await expect(runReplayed(p, read('UPDATE entries SET qty = $1'), ['0'])).rejects.toMatchObject({ code: '25006' });
    await expect(runReplayed(p, write('UPDATE entries SET qty = $1; COMMIT'), ['0'])).rejects.toMatchObject({ code: '42601' });
    expect(await digest()).toBe(before);
  });

  it('closes a read-only session a statement turned read-write, before anything else runs on it', async () => {
    const p = open();
    await runReplayed(p, read('SELECT count(*) FROM entries WHERE id = $1'), ['1']);
    const [victim] = await sessions();
    await expect(runReplayed(p, read('SELECT sneaky(id) FROM entries WHERE id = $1'), ['1'])).rejects.toThrow(/read-write/);
    expect(lost.map((e) => e.code)).toContain('25006');
    await waitFor(async () => !(await sessions()).some((s) => s.pid === victim!.pid), 5000, 'the session to be closed');
    // The next statement gets a new session, read-only from its startup: the function finds no read-write transaction.
    await expect(runReplayed(p, read('SELECT sneaky(id) FROM entries WHERE id = $1'), ['2'])).rejects.toThrow(/read-write/);
    expect((await db.sql<{ is_called: boolean }>('SELECT is_called FROM escaped'))[0]!.is_called).toBe(false);
  });

  it('closes a read session a statement left in a transaction (BEGIN READ WRITE)', async () => {
    const p = open();
    await expect(runReplayed(p, read('BEGIN READ WRITE'), [])).rejects.toMatchObject({ code: '25006' });
    await waitFor(async () => (await sessions()).length === 0, 5000, 'the session to be closed');
    await expect(runReplayed(p, read('SELECT nextval($1)'), ['escaped'])).rejects.toMatchObject({ code: '25006' });
    expect((await db.sql<{ is_called: boolean }>('SELECT is_called FROM escaped'))[0]!.is_called).toBe(false);
  });

  it('bounds a statement by statement_timeout, and the session goes on', async () => {
    const p = open({ statementTimeoutMs: 300 });
    const t0 = performance.now();
    await expect(runReplayed(p, read('SELECT pg_sleep(5), id FROM entries WHERE id = $1'), ['1'])).rejects.toMatchObject({ code: '57014' });
    expect(performance.now() - t0).toBeLessThan(3000);
    await runReplayed(p, read('SELECT id FROM entries WHERE id = $1'), ['1']);
    expect(lost).toEqual([]);
  });

  it('tells of a session terminated while idle, once, and the next statement runs on a new one', async () => {
    const p = open();
    await runReplayed(p, read('SELECT id FROM entries WHERE id = $1'), ['1']);
    const [victim] = await sessions();
    await db.sql('SELECT pg_terminate_backend($1)', [victim!.pid]);
    await waitFor(() => lost.length > 0, 5000, 'the idle session\'s loss to be told');
    await runReplayed(p, read('SELECT id FROM entries WHERE id = $1'), ['2']);
    expect(new Set(lost).size).toBe(1);
    expect(lost[0]!.code).toBe('57P01');
    expect((await sessions()).map((s) => s.pid)).not.toContain(victim!.pid);
  });

  it('fails the statement whose session is terminated under it, tells why, and the next one runs', async () => {
    const p = open();
    const running = runReplayed(p, read('SELECT pg_sleep(5), id FROM entries WHERE id = $1'), ['1']);
    const failed = expect(running).rejects.toSatisfy((e) => isLostSession(e));
    await waitFor(async () => (await sessions()).some((s) => s.state === 'active'), 5000, 'the statement to run');
    await db.sql('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1', [APP]);
    await failed;
    expect(lost.map((e) => e.code)).toContain('57P01');
    await runReplayed(p, read('SELECT id FROM entries WHERE id = $1'), ['2']);
  });
});
