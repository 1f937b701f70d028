// Identifiers with control or bidi characters in them: quoted so the server finds the same column, and shown whole by
// the terminal-safe layer (which removes such characters from text), so advice never names a column that does not exist.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminalSafe } from '../../src/util/terminal-safe.js';
import { qualified, quoteIdent } from '../../src/workload/sql.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const NAMES = ['bad\u0007col', 'two\nlines', 'rtl\u202eoverride', 'quote"and\\slash\u0001', 'plain_name', 'Mixed Case'];

describe('quoteIdent with characters a terminal cannot show', () => {
  it('reaches the same column on the server, with standard_conforming_strings on or off', async () => {
    const table = 'odd\u0008table';
    await db.sql(`CREATE TABLE ${quoteIdent(table)} (${NAMES.map((n, i) => `${quoteIdent(n)} int DEFAULT ${i}`).join(', ')})`);
    await db.sql(`INSERT INTO ${qualified('public', table)} DEFAULT VALUES`);
    // The catalog holds the names as given: the quoting did not change them.
    const cols = await db.sql<{ attname: string }>(`SELECT attname FROM pg_attribute WHERE attrelid = format('%I.%I', 'public', $1::text)::regclass AND attnum > 0 ORDER BY attnum`, [table]);
    expect(cols.map((c) => c.attname)).toEqual(NAMES);
    for (const scs of ['on', 'off']) {
      // The setting is the session's from its start: the statement is parsed under it.
      const client = new pg.Client({ connectionString: db.url, options: `-c standard_conforming_strings=${scs}` });
      await client.connect();
      try {
        const { rows } = await client.query<Record<string, number>>(`SELECT ${NAMES.map(quoteIdent).join(', ')} FROM ${qualified('public', table)}`);
        expect(rows.map((r) => NAMES.map((n) => r[n]))).toEqual([NAMES.map((_, i) => i)]);
        expect((await client.query<{ standard_conforming_strings: string }>('SHOW standard_conforming_strings')).rows[0]!.standard_conforming_strings).toBe(scs);
      } finally {
        await client.end();
      }
    }
  });

  it('is text the terminal-safe layer leaves whole', () => {
    for (const n of NAMES) expect(terminalSafe(quoteIdent(n))).toBe(quoteIdent(n));
    expect(quoteIdent('bad\u0007col')).toBe('U&"bad\\0007col"');
    expect(quoteIdent('quote"and\\slash\u0001')).toBe('U&"quote""and\\\\slash\\0001"');
  });
});
