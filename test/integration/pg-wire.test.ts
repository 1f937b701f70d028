// The PostgreSQL measuring path against a real private server: TLS with a certificate made here (verify-full refuses a
// wrong host name), SCRAM (a password that needs SASLprep), md5 and cleartext roles, SQLSTATE errors, statement timeout,
// cancel, a backend terminated or stopped mid-query, and the read-only session attacked by hostile statements.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLostSession } from '../../src/targets/pg/lost-session.js';
import { preparePassword } from '../../src/targets/pg/wire/auth.js';
import { WireConnection } from '../../src/targets/pg/wire/connection.js';
import { queryMessage } from '../../src/targets/pg/wire/messages.js';
import { wireOptions } from '../../src/targets/pg/wire/options.js';
import { SessionPool } from '../../src/targets/pg/wire/pool.js';
import { MeasureSession, type SessionOptions } from '../../src/targets/pg/wire/session.js';
import { waitFor } from '../../src/exec/timeout.js';
import type { PrivateServer } from '../helpers/health-server.js';
import { startPgBouncer } from '../helpers/pgbouncer.js';
import { startTlsServer, type TlsServer } from '../helpers/tls-server.js';

/** Fullwidth "ｐ" (NFKC: p) and a soft hyphen (mapped to nothing): only a client that applies SASLprep logs in. */
const SASL_PASSWORD = 'ｐäss\u00ADwörd';
const MD5_PASSWORD = 'md5-secret-Zq';
const CLEAR_PASSWORD = 'clear-secret-Zq';

let tls: TlsServer;
let server: PrivateServer;
let ca: string;

beforeAll(async () => {
  tls = await startTlsServer({
    hba: ['host all scram_user 127.0.0.1/32 scram-sha-256', 'host all md5_user 127.0.0.1/32 md5', 'host all clear_user 127.0.0.1/32 password'],
    sql: `SET password_encryption = 'scram-sha-256'; CREATE ROLE scram_user LOGIN PASSWORD '${SASL_PASSWORD}';
    SET password_encryption = 'md5'; CREATE ROLE md5_user LOGIN PASSWORD '${MD5_PASSWORD}';
    CREATE ROLE clear_user LOGIN PASSWORD '${CLEAR_PASSWORD}';
    CREATE TABLE ledger (id int PRIMARY KEY); INSERT INTO ledger SELECT generate_series(1, 10);
    CREATE FUNCTION sneaky() RETURNS int LANGUAGE plpgsql AS $$ BEGIN DELETE FROM ledger; RETURN 1; END $$;`,
  });
  server = tls.server;
  // The CA that signed the server's certificate, for "localhost" only (127.0.0.1 is not among its names).
  ca = tls.ca;
}, 60_000);

afterAll(async () => {
  await tls?.stop();
});

const url = (user: string, password = '', host = '127.0.0.1', query = '') =>
  `postgres://${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ''}@${host}:${server.port}/postgres${query}`;

async function one(u: string): Promise<Array<Array<string | null>>> {
  const s = await MeasureSession.open({ url: u, timeouts: { connectMs: 5000 } }, { applicationName: 'stackprobe-wire-test', statementTimeoutMs: 5000 });
  try {
    await s.prepare('ssl', 'SELECT ssl::text, current_user::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return await s.rows(s.request('ssl', []));
  } finally {
    await s.close();
  }
}

describe('TLS', () => {
  it('speaks TLS for require and verify-full (right name), plain for disable; a hostssl-only role needs it', async () => {
    expect(await one(url('tls_only', '', '127.0.0.1', '?sslmode=require'))).toEqual([['true', 'tls_only']]);
    expect(await one(url('postgres', '', 'localhost', `?sslmode=verify-full&sslrootcert=${ca}`))).toEqual([['true', 'postgres']]);
    expect(await one(url('postgres', '', '127.0.0.1', `?sslmode=verify-ca&sslrootcert=${ca}`))).toEqual([['true', 'postgres']]);
    expect(await one(url('postgres', '', '127.0.0.1', '?sslmode=disable'))).toEqual([['false', 'postgres']]);
    await expect(one(url('tls_only', '', '127.0.0.1', '?sslmode=disable'))).rejects.toMatchObject({ code: '28000' });
  });

  it('verify-full refuses a host name the certificate does not name; verify-ca refuses an unknown CA', async () => {
    await expect(one(url('postgres', '', '127.0.0.1', `?sslmode=verify-full&sslrootcert=${ca}`))).rejects.toThrow(/IP: 127\.0\.0\.1 is not in the cert's list|altnames/);
    await expect(one(url('postgres', '', 'localhost', '?sslmode=verify-ca&sslrootcert=system'))).rejects.toThrow(/self[- ]signed|unable to get local issuer|unable to verify/);
    await expect(one(url('postgres', '', 'localhost', '?sslmode=verify-ca'))).rejects.toThrow(/needs a root certificate/); // as libpq
  });
});

describe('authentication', () => {
  it('logs in with SCRAM-SHA-256 (password prepared with SASLprep), md5 and cleartext', async () => {
    // The password differs from its SASLprep form, so the login below proves the preparation.
    expect(preparePassword(SASL_PASSWORD)).toBe('pässwörd');
    expect((await one(url('scram_user', SASL_PASSWORD)))[0]![1]).toBe('scram_user');
    expect((await one(url('md5_user', MD5_PASSWORD)))[0]![1]).toBe('md5_user');
    expect((await one(url('clear_user', CLEAR_PASSWORD)))[0]![1]).toBe('clear_user');
  });

  it('a wrong or missing password is one clear error with its SQLSTATE, never the password', async () => {
    for (const user of ['scram_user', 'md5_user']) {
      const err = await one(url(user, 'not-the-password-Xy')).then(() => new Error('logged in'), (e: unknown) => e as Error);
      expect(err).toMatchObject({ code: '28P01' });
      expect(err.message).toMatch(/password authentication failed/);
      expect(err.message).not.toContain('not-the-password-Xy');
    }
    await expect(one(url('scram_user'))).rejects.toMatchObject({ code: '28P01', message: expect.stringMatching(/none was given/) });
  });
});

describe('statements', () => {
  const opts: SessionOptions = { applicationName: 'stackprobe-wire-test', statementTimeoutMs: 300 };
  const open = (o: Partial<SessionOptions> = {}, pgbouncer = false) =>
    MeasureSession.open({ url: url('postgres'), timeouts: { connectMs: 5000, ...(pgbouncer ? { startupStatementTimeout: false } : {}) } }, { ...opts, ...o });

  it('errors carry their SQLSTATE and leave the session usable; statement_timeout and cancel end a statement', async () => {
    const s = await open();
    try {
      await expect(s.prepare('nope', 'SELECT * FROM no_such_table')).rejects.toMatchObject({ code: '42P01', severity: 'ERROR' });
      await s.prepare('div', 'SELECT 1 / $1::int');
      await expect(s.run(s.request('div', [0]))).rejects.toMatchObject({ code: '22012', message: 'division by zero' });
      expect(await s.rows(s.request('div', [1]))).toEqual([['1']]);
      await s.prepare('sleep', 'SELECT pg_sleep($1::float8)');
      let t0 = performance.now();
      await expect(s.run(s.request('sleep', [5]))).rejects.toMatchObject({ code: '57014' });
      expect(performance.now() - t0).toBeLessThan(2000);
      const long = await open({ statementTimeoutMs: 10_000 });
      try {
        await long.prepare('sleep', 'SELECT pg_sleep($1::float8)');
        t0 = performance.now();
        const running = long.run(long.request('sleep', [5]));
        setTimeout(() => void long.conn.cancel(), 100);
        await expect(running).rejects.toMatchObject({ code: '57014', message: expect.stringMatching(/user request/) });
        expect(performance.now() - t0).toBeLessThan(2000);
      } finally {
        await long.close();
      }
    } finally {
      await s.close();
    }
  });


  it('replies larger than one read (thousands of rows of varying width, over plain TCP and TLS) decode intact', async () => {
    // A plain socket reads into one reused 64 KiB buffer: a message split across reads must be copied out whole.
    for (const u of [url('postgres'), url('postgres', '', 'localhost', '?sslmode=verify-full&sslrootcert=' + encodeURIComponent(ca))]) {
      const s = await MeasureSession.open({ url: u, timeouts: { connectMs: 5000 } }, { ...opts, statementTimeoutMs: 5000 });
      try {
        await s.prepare('wide', 'SELECT g, repeat(md5(g::text), g % 7 + 1) FROM generate_series(1, $1::int) g');
        for (let k = 0; k < 12; k++) {
          const n = 5000 + k * 373;
          const rows = await s.rows(s.request('wide', [n]));
          expect(rows.length).toBe(n);
          const bad = rows.findIndex((r, i) => r[0] !== String(i + 1) || r[1]?.length !== 32 * (((i + 1) % 7) + 1));
          expect(bad).toBe(-1);
        }
      } finally {
        await s.close();
      }
    }
  });
  it('a backend terminated mid-query is an error value (lost session), and later requests fail at once', async () => {
    const s = await open({ statementTimeoutMs: 10_000 });
    await s.prepare('sleep', 'SELECT pg_sleep(5)');
    const running = s.run(s.request('sleep', [])).catch((e: unknown) => e);
    await server.sql('SELECT pg_sleep(0.1), pg_terminate_backend($1)', [s.conn.pid]);
    const err = await running;
    expect(err).toMatchObject({ code: '57P01' });
    expect(isLostSession(err)).toBe(true);
    await expect(s.run(s.noopRequest())).rejects.toMatchObject({ code: '57P01' });
    await s.close();
  });

  it('a pool never hands out a session terminated while idle: it is told of it and the request runs on a new one', async () => {
    const lost: string[] = [];
    const pool = new SessionPool({ url: url('postgres'), timeouts: { connectMs: 5000 } }, { ...opts, max: 2, acquireTimeoutMs: 5000 });
    pool.onLost = (err) => lost.push(err.code);
    try {
      let first: MeasureSession | undefined;
      await pool.use((s) => ((first = s), s.run(s.noopRequest())));
      await server.sql('SELECT pg_terminate_backend($1)', [first!.conn.pid]);
      await waitFor(() => first!.lost !== undefined, 5000, 'the idle session to see its end');
      let second: MeasureSession | undefined;
      await expect(pool.use((s) => ((second = s), s.run(s.noopRequest())))).resolves.toBe(1);
      expect(second).not.toBe(first);
      expect(lost).toEqual(['57P01']);
    } finally {
      await pool.end();
    }
  });

  it('a stopped backend (SIGSTOP) is given up within the bound: cancel, then a lost-session error', async () => {
    const conn = await WireConnection.connect(wireOptions(url('postgres')));
    conn.watch(200);
    const pid = conn.pid;
    process.kill(pid, 'SIGSTOP');
    try {
      const t0 = performance.now();
      const err = await conn.run(queryMessage('SELECT 1')).catch((e: unknown) => e);
      // 200 ms, a CancelRequest (the backend cannot act on it), 2 s of grace, then the session is given up.
      expect(err).toMatchObject({ code: '08006', message: expect.stringMatching(/no reply within/) });
      expect(performance.now() - t0).toBeLessThan(5000);
    } finally {
      process.kill(pid, 'SIGCONT');
      await conn.close();
    }
  });

  for (const pgbouncer of [false, true]) {
    it(`read-only${pgbouncer ? ' behind a PgBouncer (wrapped in BEGIN READ ONLY … ROLLBACK)' : ' session'}: hostile statements cannot write, now or later`, async () => {
      let s = await open({ readOnly: true, statementTimeoutMs: 500 }, pgbouncer);
      try {
        const attempt = async (name: string, sql: string) => {
          try {
            if (s.lost) s = await open({ readOnly: true, statementTimeoutMs: 500 }, pgbouncer);
            await s.prepare(name, sql);
            await s.run(s.request(name, []));
            return 'ran';
          } catch (err) {
            return (err as { code?: string }).code;
          }
        };
        // A session turned read-write is closed at once (PostgreSQL reports the setting); in a wrapped transaction
        // the ROLLBACK undoes it.
        expect(await attempt('off', "SELECT set_config('default_transaction_read_only', 'off', false)")).toBe(pgbouncer ? 'ran' : '25006');
        expect(s.lost !== undefined).toBe(!pgbouncer);
        expect(await attempt('unbounded', "SELECT set_config('statement_timeout', '0', false)")).toBe('ran');
        expect(await attempt('cte', 'WITH d AS (DELETE FROM ledger RETURNING 1) SELECT count(*) FROM d')).toBe('25006');
        expect(await attempt('fn', 'SELECT sneaky()')).toBe('25006');
        expect(await attempt('tx', "SELECT set_config('transaction_read_only', 'off', false)")).toMatch(/^2500[16]$/);
        expect(await attempt('two', 'SELECT 1; DELETE FROM ledger')).toBe('42601');
        expect(await attempt('slow', 'SELECT pg_sleep(10)')).toBe('57014');
      } finally {
        await s.close();
      }
      expect(await server.sql('SELECT count(*)::int AS n FROM ledger')).toEqual([{ n: 10 }]);
    });
  }

  it('behind a transaction-mode PgBouncer that refuses `options`: each execution wrapped read-only, bounded, one round trip', async () => {
    const bouncer = await startPgBouncer({ serverPort: server.port });
    try {
      const s = await MeasureSession.open({ url: bouncer.url('postgres'), timeouts: { connectMs: 5000 } }, { ...opts, readOnly: true, statementTimeoutMs: 500 });
      try {
        await s.prepare('count', 'SELECT count(*) FROM ledger');
        expect(await s.rows(s.request('count', []))).toEqual([['10']]);
        await s.prepare('cte', 'WITH d AS (DELETE FROM ledger RETURNING 1) SELECT count(*) FROM d');
        await expect(s.run(s.request('cte', []))).rejects.toMatchObject({ code: '25006' });
        // The failed transaction was rolled back: the server session PgBouncer lends next is clean.
        expect(await s.rows(s.request('count', []))).toEqual([['10']]);
        await s.prepare('slow', 'SELECT pg_sleep(5)');
        await expect(s.run(s.request('slow', []))).rejects.toMatchObject({ code: '57014' });
        expect(await s.run(s.noopRequest())).toBe(1);
      } finally {
        await s.close();
      }
    } finally {
      await bouncer.stop();
    }
  });
});
