// The read-only measuring session (MeasureSession, readOnly) attacked on each of its paths: a private PostgreSQL 13,
// which does not report default_transaction_read_only, so a guard statement sets it back after every user statement;
// the machine's PostgreSQL 15, which reports it, so a statement that turns it off closes its session; and, on 13,
// every execution wrapped in BEGIN READ ONLY … ROLLBACK, as behind a transaction-mode PgBouncer. Every attack runs on
// a session of a SessionPool (as load's custom steps use them); then a later write on that session, and on fresh
// sessions of the same pool, must fail as read-only (25006) or meet a closed session, statement_timeout must still
// bound them, and the test's own table, sequence, catalog and prepared transactions must be untouched.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MeasureSession } from '../../src/targets/pg/wire/session.js';
import { SessionPool } from '../../src/targets/pg/wire/pool.js';
import { startMajor, type MajorServer } from '../helpers/majors.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

// The cases mostly wait (pg_sleep against the bound), each on sessions of its own: more of them at once than the default 5.
vi.setConfig({ maxConcurrency: 12 });

const MAJORS = [13, 15] as const;
type Major = (typeof MAJORS)[number];
/**
 * Where an attack runs: a session of each major, and on 13 one that wraps every execution in BEGIN READ ONLY …
 * ROLLBACK, as behind a transaction-mode PgBouncer that refuses startup parameters (startupStatementTimeout false).
 */
const PATHS = [
  { key: '13', title: 'PostgreSQL 13', major: 13, wrapped: false },
  { key: '15', title: 'PostgreSQL 15', major: 15, wrapped: false },
  { key: 'wrapped', title: 'PostgreSQL 13, wrapped', major: 13, wrapped: true },
] as const;
type PathKey = (typeof PATHS)[number]['key'];
const DB13 = 'readonly_attacks';
const TIMEOUT_MS = 500;

interface Server {
  db: string;
  url: string;
  sql<T extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
}

/** Made by an admin connection before any attack: what the attacks try to write to, and the routines they call. */
const SETUP = `
  CREATE TABLE owned (id int, written_by text NOT NULL DEFAULT current_setting('application_name'));
  CREATE SEQUENCE owned_seq;
  CREATE FUNCTION turn_read_write() RETURNS text LANGUAGE sql SET search_path = public
    AS $$ SELECT set_config('default_transaction_read_only', 'off', false) $$;
  CREATE FUNCTION write_with_set_clause() RETURNS int LANGUAGE plpgsql SET default_transaction_read_only = off
    AS $$ BEGIN INSERT INTO owned (id) VALUES (1); RETURN 1; END $$;
  CREATE FUNCTION read_with_set_clause() RETURNS text LANGUAGE sql SET default_transaction_read_only = off
    AS $$ SELECT current_setting('default_transaction_read_only') $$;
  CREATE PROCEDURE commit_then_write() LANGUAGE plpgsql
    AS $$ BEGIN PERFORM set_config('default_transaction_read_only', 'off', false); COMMIT; INSERT INTO owned (id) VALUES (2); END $$;
  CREATE FUNCTION deallocate_all() RETURNS int LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DEALLOCATE ALL'; RETURN 1; END $$;
  CREATE PROCEDURE add_one(INOUT n int) LANGUAGE plpgsql AS $$ BEGIN n := n + 1; END $$;`;

interface Attack {
  name: string;
  /** Run one after another on one session, a request each; `$db` is the test database. */
  statements: string[];
  /**
   * Each statement's outcome ('ok' or its SQLSTATE), then a statement prepared before the attack when it no longer
   * runs, joined by →; ' (closed)' when the session ended closed. One string for every path, or one per path.
   */
  expected: string | Record<PathKey, string>;
}

const TURN_OFF = "SELECT set_config('default_transaction_read_only', 'off', false)";
const COMMIT_THEN_WRITE = "PERFORM set_config('default_transaction_read_only', 'off', false); COMMIT; INSERT INTO owned (id) VALUES (3);";
/**
 * Below 14 the guard sets the setting back in the same round trip, and a wrapped execution's ROLLBACK undoes it; from
 * 14 the server reports it and the session closes.
 */
const UNDONE_OR_CLOSED = { 13: 'ok', 15: '25006 (closed)', wrapped: 'ok' };
/** A transaction left open closes the session; a wrapped execution's ROLLBACK ends it instead, whatever it was. */
const closedUnlessWrapped = (wrapped: string) => ({ 13: '25006 (closed)', 15: '25006 (closed)', wrapped });
/** A CALL or DO that fails in its BEGIN READ ONLY block closes the session; wrapped, the block is rolled back after. */
const failsInBlock = (code: string) => ({ 13: `${code} (closed)`, 15: `${code} (closed)`, wrapped: code });
/** Wrapped executions use no prepared statement to lose; DISCARD ALL refuses to run in their transaction block. */
const STATEMENTS_LOST = { 13: '26000 (closed)', 15: 'ok → earlier statement 26000 (closed)' };

const ATTACKS: Attack[] = [
  { name: 'set_config turns read-only off', statements: [TURN_OFF], expected: UNDONE_OR_CLOSED },
  { name: 'set_config off, then an error in the same statement', statements: [`${TURN_OFF}, 1 / 0`], expected: '22012' },
  { name: 'set_config off inside a CTE', statements: [`WITH c AS (${TURN_OFF} AS v) SELECT v FROM c`], expected: UNDONE_OR_CLOSED },
  { name: 'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE', statements: ['SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE'], expected: UNDONE_OR_CLOSED },
  { name: 'SET default_transaction_read_only = off', statements: ['SET default_transaction_read_only = off'], expected: UNDONE_OR_CLOSED },
  { name: 'SET transaction_read_only = off, then a write', statements: ['SET transaction_read_only = off', 'INSERT INTO owned (id) VALUES (4)'], expected: 'ok → 25006' },
  { name: 'BEGIN READ WRITE, then a write and COMMIT', statements: ['BEGIN READ WRITE', 'INSERT INTO owned (id) VALUES (5)', 'COMMIT'], expected: closedUnlessWrapped('ok → 25006 → ok') },
  { name: 'BEGIN; SET TRANSACTION READ WRITE; a write; COMMIT', statements: ['BEGIN', 'SET TRANSACTION READ WRITE', 'INSERT INTO owned (id) VALUES (6)', 'COMMIT'], expected: closedUnlessWrapped('ok → ok → 25006 → ok') },
  { name: 'START TRANSACTION', statements: ['START TRANSACTION ISOLATION LEVEL SERIALIZABLE', 'INSERT INTO owned (id) VALUES (7)'], expected: closedUnlessWrapped('ok → 25006') },
  { name: 'COMMIT, then a write', statements: ['COMMIT', 'INSERT INTO owned (id) VALUES (8)'], expected: 'ok → 25006' },
  { name: 'ROLLBACK, then a write', statements: ['ROLLBACK', 'INSERT INTO owned (id) VALUES (9)'], expected: 'ok → 25006' },
  { name: 'END, then a write', statements: ['END', 'INSERT INTO owned (id) VALUES (10)'], expected: 'ok → 25006' },
  { name: 'COMMIT AND CHAIN, SAVEPOINT', statements: ['COMMIT AND CHAIN', 'SAVEPOINT s'], expected: { 13: '25P01 → 25P01', 15: '25P01 → 25P01', wrapped: 'ok → ok' } },
  { name: 'PREPARE TRANSACTION', statements: ["PREPARE TRANSACTION 'stackprobe_escape'"], expected: '25006' },
  { name: 'RESET ALL', statements: ['RESET ALL', 'RESET default_transaction_read_only'], expected: 'ok → ok' },
  // Not an escape, but the session's own prepared statements are gone: closed, so its pool opens a whole one.
  { name: 'DISCARD ALL', statements: ['DISCARD ALL'], expected: { ...STATEMENTS_LOST, wrapped: '25001' } },
  { name: 'DEALLOCATE ALL', statements: ['DEALLOCATE ALL'], expected: { ...STATEMENTS_LOST, wrapped: 'ok' } },
  // A SELECT, as config's read-statement rule lets through: the function's EXECUTE drops the statements all the same.
  { name: 'function that runs DEALLOCATE ALL', statements: ['SELECT deallocate_all()'], expected: { ...STATEMENTS_LOST, wrapped: 'ok' } },
  { name: 'SET statement_timeout = 0, then pg_sleep beyond the bound', statements: ['SET statement_timeout = 0', 'SELECT pg_sleep(30)'], expected: 'ok → 57014' },
  { name: "set_config('statement_timeout', '0'), then pg_sleep", statements: ["SELECT set_config('statement_timeout', '0', false)", 'SELECT pg_sleep(30)'], expected: 'ok → 57014' },
  { name: 'DO block: set_config off, COMMIT, write', statements: [`DO $$ BEGIN ${COMMIT_THEN_WRITE} END $$`], expected: failsInBlock('2D000') },
  { name: 'DO block (LANGUAGE, string body) behind comments and empty statements', statements: [`/* a /* nested */ comment */ ;; -- a line\n\tdo LANGUAGE plpgsql '${`BEGIN ${COMMIT_THEN_WRITE} END`.replaceAll("'", "''")}'`], expected: failsInBlock('2D000') },
  { name: 'DO block: set_config off, no COMMIT', statements: ["DO $$ BEGIN PERFORM set_config('default_transaction_read_only', 'off', false); END $$", 'INSERT INTO owned (id) VALUES (11)'], expected: 'ok → 25006' },
  { name: 'DO block: a write', statements: ['DO $$ BEGIN INSERT INTO owned (id) VALUES (12); END $$'], expected: failsInBlock('25006') },
  { name: 'function with SET default_transaction_read_only = off that writes', statements: ['SELECT write_with_set_clause()'], expected: '25006' },
  { name: 'function with SET default_transaction_read_only = off that reads', statements: ['SELECT read_with_set_clause()'], expected: 'ok' },
  { name: 'function (with a SET clause) that calls set_config', statements: ['SELECT turn_read_write()'], expected: UNDONE_OR_CLOSED },
  { name: 'CALL of a procedure that turns read-only off, COMMITs and writes', statements: ['CALL commit_then_write()'], expected: failsInBlock('2D000') },
  { name: 'call behind comments and empty statements', statements: ['-- x\n;/* /* */ */; cAlL commit_then_write()'], expected: failsInBlock('2D000') },
  { name: 'multi-statement string', statements: ['SELECT 1; INSERT INTO owned (id) VALUES (13)', 'BEGIN READ WRITE; INSERT INTO owned (id) VALUES (14); COMMIT'], expected: '42601 → 42601' },
  { name: 'LOCK', statements: ['LOCK TABLE owned IN ACCESS EXCLUSIVE MODE'], expected: { 13: '25P01', 15: '25P01', wrapped: 'ok' } },
  { name: 'ALTER DATABASE … SET default_transaction_read_only = off', statements: ['ALTER DATABASE $db SET default_transaction_read_only = off'], expected: '25006' },
  { name: 'EXPLAIN ANALYZE of a write', statements: ['EXPLAIN ANALYZE INSERT INTO owned (id) VALUES (15)'], expected: '25006' },
  { name: 'COPY FROM STDIN, COPY TO STDOUT', statements: ['COPY owned FROM STDIN', 'COPY (SELECT 1) TO STDOUT'], expected: '25006 → 0A000 (closed)' },
];

const servers = new Map<Major, Server>();
let major13: MajorServer | undefined;
let db15: TestDatabase | undefined;
const table = new Map<string, string>();

beforeAll(async () => {
  await Promise.all([
    (async () => {
      // Prepared transactions enabled, so that PREPARE TRANSACTION has something to turn a transaction into.
      major13 = await startMajor(13, { max_prepared_transactions: '2' });
      await major13.sql(`CREATE DATABASE ${DB13}`);
      servers.set(13, { db: DB13, url: major13.url(DB13), sql: (t, v) => major13!.sql(t, v, DB13) });
    })(),
    (async () => {
      db15 = await createTestDatabase();
      servers.set(15, { db: db15.name, url: db15.url, sql: (t, v) => db15!.sql(t, v) });
    })(),
  ]);
  for (const s of servers.values()) await s.sql(SETUP);
}, 120_000);

afterAll(async () => {
  await Promise.all([major13?.stop(), db15?.drop()]);
  const rows = ATTACKS.map((a) => `| ${a.name.replace(/\|/g, '/')} | ${PATHS.map((p) => table.get(`${p.key}:${a.name}`) ?? '–').join(' | ')} |`);
  console.log(['| attack | PG 13 | PG 15 | PG 13, each execution wrapped (PgBouncer) |', '|---|---|---|---|', ...rows].join('\n'));
});

const codeOf = (err: unknown) => (err as { code?: string }).code ?? String(err);

/** Prepares and runs `sql` once on `s`: 'ok', or the SQLSTATE it failed with (a closed session's, when it was). */
async function attempt(s: MeasureSession, name: string, sql: string): Promise<string> {
  try {
    await s.prepare(name, sql);
    await s.run(s.request(name, []));
    return 'ok';
  } catch (err) {
    return codeOf(err);
  }
}

const WRITES = ['INSERT INTO owned (id) VALUES (100)', 'CREATE TABLE escaped (id int)', "SELECT nextval('owned_seq')"];

/**
 * After an attack, on `s`: every write fails as read-only (or meets the closed session), and, while it is open, it is
 * still read-only, idle and bounded by statement_timeout. What it saw, for the table.
 */
async function cannotWrite(s: MeasureSession, path: (typeof PATHS)[number], check: typeof expect): Promise<string> {
  for (const [i, sql] of WRITES.entries()) {
    const closed = s.lost;
    check(await attempt(s, `write_${i}`, sql), sql).toBe(closed ? closed.code : '25006');
  }
  if (s.lost) return 'closed';
  check(s.conn.status).toBe(0x49);
  await s.prepare('settings', "SELECT current_setting('transaction_read_only'), current_setting('default_transaction_read_only'), current_setting('statement_timeout')");
  const [[readOnly, sessionReadOnly, timeout]] = (await s.rows(s.request('settings', []))) as [[string, string, string]];
  check(readOnly).toBe('on');
  // Wrapped, each execution is read-only by its BEGIN READ ONLY and bounded by its SET LOCAL; the session is not.
  if (!path.wrapped) check(sessionReadOnly).toBe('on');
  // The guard's promise below 14; from 14 a user statement may lift the server's bound and the client's cancel holds.
  if (path.major === 13) check(timeout).toBe(`${TIMEOUT_MS}ms`);
  const t0 = performance.now();
  check(await attempt(s, 'sleep', 'SELECT pg_sleep(30)')).toBe('57014');
  const s1 = (performance.now() - t0) / 1000;
  check(s1).toBeLessThan(15);
  check(s.lost).toBeUndefined();
  return `writes 25006, pg_sleep(30) 57014 at ${s1.toFixed(1)} s`;
}

// Paths interleaved, so the cases running at once spread over both servers (a few sessions each on the shared one).
const CASES = ATTACKS.flatMap((attack, index) => PATHS.map((path) => ({ path, index, attack })));

describe('a read-only measuring session under attack', () => {
  it.concurrent.for(CASES)('$path.title: $attack.name', async ({ path, index, attack }, { expect: check }) => {
    const server = servers.get(path.major)!;
    const app = `stackprobe-ro-${path.key}-${index}`;
    const target = { url: server.url, timeouts: { connectMs: 10_000, ...(path.wrapped ? { startupStatementTimeout: false } : {}) } };
    const pool = new SessionPool(target, { applicationName: app, statementTimeoutMs: TIMEOUT_MS, readOnly: true, max: 2, acquireTimeoutMs: 10_000 });
    try {
      let attacked: MeasureSession | undefined;
      let outcome = '';
      let after = '';
      await pool.use(async (s) => {
        attacked = s;
        // A measuring loop's own statement, prepared before the attack and run again after it.
        await s.prepare('earlier', 'SELECT 1');
        const outcomes: string[] = [];
        for (const [i, sql] of attack.statements.entries()) {
          if (!s.lost) outcomes.push(await attempt(s, `attack_${i}`, sql.replace('$db', server.db)));
        }
        if (!s.lost) {
          const earlier = await s.run(s.request('earlier', [])).then(() => 'ok', codeOf);
          if (earlier !== 'ok') outcomes.push(`earlier statement ${earlier}`);
        }
        outcome = `${outcomes.join(' → ')}${s.lost ? ' (closed)' : ''}`;
        after = await cannotWrite(s, path, check);
      });
      table.set(`${path.key}:${attack.name}`, `${outcome}; then ${after}`);
      check(outcome).toBe(typeof attack.expected === 'string' ? attack.expected : attack.expected[path.key]);
      // The pool's next sessions: the attacked one again while it is open (the pool hands out its idle sessions
      // first), and one opened fresh while the first is held.
      await pool.use((a) => pool.use(async (b) => {
        check(a === attacked).toBe(!attacked!.lost);
        check(b).not.toBe(attacked);
        for (const s of [a, b]) if (s !== attacked) check(await cannotWrite(s, path, check)).toMatch(/^writes 25006/);
      }));
      check(await server.sql('SELECT count(*)::int AS n FROM owned WHERE written_by = $1', [app])).toEqual([{ n: 0 }]);
    } finally {
      await pool.end();
    }
  });

  it.for(MAJORS)('PostgreSQL %i: a read-only CALL still runs and returns its row, and a plain statement is still one statement', async (major) => {
    const server = servers.get(major)!;
    const pool = new SessionPool({ url: server.url, timeouts: { connectMs: 10_000 } }, { applicationName: `stackprobe-ro-${major}-call`, statementTimeoutMs: TIMEOUT_MS, readOnly: true, max: 1, acquireTimeoutMs: 10_000 });
    try {
      await pool.use(async (s) => {
        await s.prepare('call', 'CALL add_one($1)');
        await s.prepare('plain', 'SELECT $1::int + 1');
        for (const n of [41, 99]) expect(await s.rows(s.request('call', [n]))).toEqual([[String(n + 1)]]);
        expect(await s.rows(s.request('plain', [41]))).toEqual([['42']]);
        // CommandCompletes per request: BEGIN READ ONLY, CALL, ROLLBACK around a CALL; the statement alone otherwise;
        // plus the guard below 14.
        const guard = major === 13 ? 1 : 0;
        expect(await s.run(s.request('call', [1]))).toBe(3 + guard);
        expect(await s.run(s.request('plain', [1]))).toBe(1 + guard);
        expect(s.lost).toBeUndefined();
      });
    } finally {
      await pool.end();
    }
  });

  it.for(MAJORS)('PostgreSQL %i: a multi-statement string is refused at Parse by the extended protocol, before anything runs', async (major) => {
    const server = servers.get(major)!;
    const pool = new SessionPool({ url: server.url, timeouts: { connectMs: 10_000 } }, { applicationName: `stackprobe-ro-${major}-multi`, statementTimeoutMs: TIMEOUT_MS, readOnly: true, max: 1, acquireTimeoutMs: 10_000 });
    try {
      await pool.use(async (s) => {
        await expect(s.prepare('two', 'SELECT 1; SELECT 2')).rejects.toMatchObject({ code: '42601', message: 'cannot insert multiple commands into a prepared statement' });
        expect(s.lost).toBeUndefined();
      });
    } finally {
      await pool.end();
    }
  });

  it.for(MAJORS)('PostgreSQL %i: after every attack, nothing was written: table, sequence, catalog, settings, prepared transactions', async (major) => {
    const server = servers.get(major)!;
    expect(await server.sql('SELECT count(*)::int AS n FROM owned')).toEqual([{ n: 0 }]);
    expect(await server.sql('SELECT is_called FROM owned_seq')).toEqual([{ is_called: false }]);
    expect(await server.sql("SELECT count(*)::int AS n FROM pg_class WHERE relname = 'escaped'")).toEqual([{ n: 0 }]);
    expect(await server.sql('SELECT count(*)::int AS n FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database()')).toEqual([{ n: 0 }]);
    expect(await server.sql('SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE database = current_database()')).toEqual([{ n: 0 }]);
  });
});
