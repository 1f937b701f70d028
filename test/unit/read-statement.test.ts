// The static half of the read check, with PostgreSQL's own parser and no server: one plain SELECT, and the names a
// statement can make run, decoded as the server decodes them (U& escapes, quotes), wherever the text puts them.
import { describe, expect, it } from 'vitest';
import { whyNotReadStatement } from '../../src/safety/parse.js';
import { collectRefs } from '../../src/safety/walk.js';
import { parseSql } from '../../src/safety/parse.js';

const refsOf = (sql: string) => {
  const parsed = parseSql(sql);
  if (!parsed.ok) throw new Error(parsed.why);
  return collectRefs(parsed.stmts[0]);
};
const functionNames = (sql: string) => refsOf(sql).functions.map((f) => `${f.schema ?? ''}.${f.name}`);

describe('whyNotReadStatement', () => {
  it('accepts one SELECT, VALUES, TABLE or WITH … SELECT, a trailing semicolon, and a non-ASCII dollar tag', () => {
    for (const sql of ['SELECT 1', 'SELECT 1;', 'VALUES (1), (2)', 'TABLE ledger', 'WITH a AS (SELECT 1) SELECT * FROM a', 'SELECT $é$x$é$', '(SELECT 1) UNION ALL (SELECT 2)']) {
      expect(whyNotReadStatement(sql), sql).toBeNull();
    }
  });

  it('refuses more than one statement, writes anywhere, INTO, row locks, and what the parser refuses', () => {
    expect(whyNotReadStatement('SELECT 1; DELETE FROM t')).toMatch(/2 statements/);
    expect(whyNotReadStatement('WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d')).toMatch(/data-modifying DELETE/);
    expect(whyNotReadStatement('WITH d AS MATERIALIZED (UPDATE t SET x = 1 RETURNING *) SELECT * FROM d')).toMatch(/data-modifying UPDATE/);
    expect(whyNotReadStatement('SELECT * INTO copy FROM t')).toMatch(/INTO creates a table/);
    expect(whyNotReadStatement('SELECT (SELECT x FROM t FOR UPDATE)')).toMatch(/row locks/);
    expect(whyNotReadStatement("COPY t TO '/tmp/x'")).toMatch(/it is COPY/);
    expect(whyNotReadStatement('SET TRANSACTION READ WRITE')).toMatch(/it is SET/);
    expect(whyNotReadStatement('SELECT 1) v; COMMIT; DELETE FROM t; SELECT (1')).toMatch(/PostgreSQL's parser refuses it/);
    expect(whyNotReadStatement('   ')).toBe('it is empty');
  });
});

describe('collectRefs', () => {
  it('decodes U& escapes and quotes, and sees calls a tokenizer took for string contents', () => {
    expect(functionNames(`SELECT public.U&"dblink\\005fexec"('x', 'y')`)).toContain('public.dblink_exec');
    expect(functionNames(`SELECT "pg_notify"('c', 'x')`)).toContain('.pg_notify');
    // name'\' is a cast of the string '\' (no E prefix): the call after it is code, and the comment ends the line.
    expect(functionNames(`SELECT name'\\' AS a, public.dblink_exec('x', 'y') AS b, ' --\n' AS c -- '`)).toContain('public.dblink_exec');
  });

  it('collects SRFs in FROM, aggregates, window functions, operators behind BETWEEN, casts, relations and t.f notation', () => {
    const r = refsOf('SELECT sum(x) OVER (), t.f, x::app.money[] FROM t, generate_series(1, 3) g WHERE x BETWEEN 1 AND 2 AND y OPERATOR(app.===) 3');
    expect(r.functions.map((f) => f.name)).toEqual(expect.arrayContaining(['sum', 'generate_series', 'f']));
    expect(r.functions.find((f) => f.name === 'f')).toMatchObject({ attribute: true });
    expect(r.operators).toEqual(expect.arrayContaining([{ schema: null, name: '>=' }, { schema: null, name: '<=' }, { schema: 'app', name: '===' }]));
    expect(r.types).toContainEqual({ schema: 'app', name: 'money' });
    expect(r.relations).toContainEqual({ schema: null, name: 't' });
  });
});
