// The measuring connection against a real PostgreSQL for the messages a session meets beside rows: a cached plan
// invalidated by DDL (prepared again once, then measured on), COPY refused, notices surfaced, NOTIFY ignored, an empty
// statement, and a row of many MB read whole.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WireConnection } from '../../src/targets/pg/wire/connection.js';
import { bindText, EXECUTE, SYNC } from '../../src/targets/pg/wire/messages.js';
import type { ErrorFields } from '../../src/targets/pg/wire/backend.js';
import { wireOptions } from '../../src/targets/pg/wire/options.js';
import { MeasureSession } from '../../src/targets/pg/wire/session.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql('CREATE TABLE ledger (id int PRIMARY KEY); INSERT INTO ledger VALUES (1), (2)');
}, 30_000);
afterAll(async () => {
  await db?.drop();
});

const execute = (name: string, params: Array<string | null> = []) => Buffer.concat([bindText(name, params), EXECUTE, SYNC]);
const connect = () => WireConnection.connect(wireOptions(db.url, { applicationName: 'stackprobe-wire-protocol-test', connectTimeoutMs: 5000 }));

describe('a cached plan invalidated by DDL', () => {
  it('is prepared again once and the request runs on: the rows have the new shape, for a connection and a read-only session', async () => {
    await db.sql('CREATE TABLE shape (a int); INSERT INTO shape VALUES (7)');
    const conn = await connect();
    const session = await MeasureSession.open({ url: db.url, timeouts: { connectMs: 5000 } }, { applicationName: 'stackprobe-wire-protocol-test', statementTimeoutMs: 5000, readOnly: true });
    try {
      await conn.prepare('shape', 'SELECT * FROM shape');
      await session.prepare('shape', 'SELECT * FROM shape');
      expect(await conn.query(execute('shape'))).toEqual([['7']]);
      expect(await session.rows(session.request('shape', []))).toEqual([['7']]);
      await db.sql("ALTER TABLE shape ADD COLUMN b text DEFAULT 'x'");
      // Without the re-prepare every execution fails with 0A000 "cached plan must not change result type".
      expect(await conn.query(execute('shape'))).toEqual([['7', 'x']]);
      expect(await session.rows(session.request('shape', []))).toEqual([['7', 'x']]);
      expect(await conn.run(execute('shape'))).toBe(1);
      expect(conn.reprepared).toBe(1);
      expect(session.conn.reprepared).toBe(1);
      expect(session.lost).toBeUndefined();
      // Once only per execution: a second change is one more re-prepare, not a loop.
      await db.sql('ALTER TABLE shape ADD COLUMN c int');
      expect(await conn.query(execute('shape'))).toEqual([['7', 'x', null]]);
      expect(conn.reprepared).toBe(2);
    } finally {
      await conn.close();
      await session.close();
    }
  });

  it('a column type change is re-prepared too; a statement that no longer analyses fails with the server\'s own error', async () => {
    await db.sql('CREATE TABLE doomed (a int)');
    const conn = await connect();
    try {
      await conn.prepare('doomed', 'SELECT a FROM doomed');
      await db.sql('ALTER TABLE doomed ALTER COLUMN a TYPE text');
      // Changing a column's type changes the result type too: re-prepared, runs.
      expect(await conn.query(execute('doomed'))).toEqual([]);
      await db.sql('ALTER TABLE doomed RENAME COLUMN a TO b');
      await expect(conn.run(execute('doomed'))).rejects.toMatchObject({ code: '42703' });
    } finally {
      await conn.close();
    }
  });
});

describe('messages beside rows', () => {
  it('COPY is refused with its reason and closes the connection; the server is not left waiting', async () => {
    const conn = await connect();
    await conn.prepare('copy', 'COPY (SELECT 1) TO STDOUT');
    await expect(conn.run(execute('copy'))).rejects.toMatchObject({ code: '0A000', message: expect.stringMatching(/COPY/) });
    expect(conn.lost).toBeDefined();
    await conn.close();
  });

  it('notices reach onNotice; NOTIFY for a LISTEN is ignored; an empty statement ends its Execute', async () => {
    const conn = await connect();
    const notices: ErrorFields[] = [];
    conn.onNotice = (n) => notices.push(n);
    try {
      await conn.prepare('notice', "DO $$ BEGIN RAISE WARNING 'ledger % off', 2; END $$");
      await conn.run(execute('notice'));
      expect(notices).toEqual([expect.objectContaining({ severity: 'WARNING', message: 'ledger 2 off', code: '01000' })]);
      await conn.prepare('listen', 'LISTEN stackprobe_wire_test');
      await conn.prepare('notify', "SELECT pg_notify('stackprobe_wire_test', 'hi')");
      await conn.run(execute('listen'));
      expect(await conn.run(execute('notify'))).toBe(1);
      expect(await conn.query(execute('notify'))).toEqual([['']]);
      await conn.prepare('empty', '');
      expect(await conn.run(execute('empty'))).toBe(1);
      expect(conn.lost).toBeUndefined();
    } finally {
      await conn.close();
    }
  });

  it('a 48 MB value arrives whole over many reads', async () => {
    const conn = await connect();
    try {
      await conn.prepare('big', "SELECT repeat('ab', $1::int)");
      const t0 = performance.now();
      const rows = await conn.query(execute('big', [String(24 * 1024 * 1024)]));
      expect(rows[0]![0]!.length).toBe(48 * 1024 * 1024);
      expect(performance.now() - t0).toBeLessThan(20_000);
    } finally {
      await conn.close();
    }
  }, 30_000);
});
