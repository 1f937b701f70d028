// Pure logic of the integrity checks: money-column matching, column classification, sequence headroom, SQL building, config refusals.
import { describe, expect, it } from 'vitest';
import { sequenceShare } from '../../src/checks/integrity/catalog.js';
import { orphansSql } from '../../src/checks/integrity/fk-sql.js';
import { wrapInvariant } from '../../src/checks/integrity/invariants.js';
import { splitTableRef } from '../../src/checks/integrity/resolve.js';
import { globMatch, nameWords } from '../../src/checks/integrity/money-words.js';
import { classifyColumns, moneyMatcher } from '../../src/checks/integrity/types.js';
import { validateConfig } from '../../src/config/load.js';

const words = validateConfig({}).integrity.money_columns;

describe('money columns', () => {
  it('matches whole words of snake_case and camelCase names, not parts of other words', () => {
    const isMoney = moneyMatcher(words);
    for (const c of ['amount', 'total_amount', 'balance_eur', 'Fee', 'unit_price', 'unitPrice', 'UnitPrice', 'Freight', 'tax', 'debit', 'amount_cents', 'TotalAmountUSD']) expect(isMoney(c), c).toBe(true);
    for (const c of ['id', 'totally', 'feedback', 'taxonomy', 'created_at', 'costume', 'Freighter']) expect(isMoney(c), c).toBe(false);
    expect(nameWords('unitPriceEUR')).toEqual(['unit', 'price', 'eur']);
    expect(nameWords('HTTPStatus_code')).toEqual(['http', 'status', 'code']);
  });

  it('takes phrases and globs, never regular expressions, and a hostile pattern ends at once', () => {
    expect(moneyMatcher(['value_cents'])('total_value_cents')).toBe(true);
    expect(moneyMatcher(['value_cents'])('value')).toBe(false);
    expect(moneyMatcher(['unit*'])('unitPrice')).toBe(true);
    expect(moneyMatcher(['*_eur'])('amountEur')).toBe(true);
    expect(globMatch('a?c', 'abc')).toBe(true);
    expect(globMatch('a*b*c', 'aXbYc')).toBe(true);
    expect(globMatch('a*b', 'aXbY')).toBe(false);
    // The shape of (a+)+$ as a glob: worst case is bounded by name × pattern length.
    const t0 = performance.now();
    expect(globMatch('*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(63))).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(() => validateConfig({ integrity: { money_columns: ['(a+)+$'] } })).toThrow(/config\.integrity\.money_columns\[0\]: expected a word or glob of letters, digits, _, \* and \? \(regular expressions are not accepted\)/);
  });

  it('flags float and money types judged money by their values, and naive timestamps only in tables holding money', () => {
    const cents = { n: 100, lo: 0.5, hi: 96.25, frac: 100, cents: 100, oddCents: 40, fine: 0 };
    const f = classifyColumns([
      { schema: 's', table: 'tx', column: 'amount', type: 'double precision', number_type: 'double precision' },
      { schema: 's', table: 'tx', column: 'booked_at', type: 'timestamp without time zone' },
      { schema: 's', table: 'tx', column: 'created_at', type: 'timestamp with time zone' },
      { schema: 's', table: 'acc', column: 'balance', type: 'money', number_type: 'money' },
      { schema: 's', table: 'acc', column: 'limit_total', type: 'numeric(19,4)', number_type: 'numeric', scale: 4 },
      { schema: 's', table: 'log', column: 'at', type: 'timestamp without time zone' },
    ], new Map([['s.tx.amount', cents]]), moneyMatcher(words));
    expect(f.floatMoney.map((c) => c.column)).toEqual(['amount']);
    expect(f.moneyType.map((c) => c.column)).toEqual(['balance']);
    expect(f.naiveTimestamps.map((c) => c.column)).toEqual(['booked_at']);
    expect(f.probes).toBe(5);
  });
});

describe('sequence headroom', () => {
  it('is the used share of the range from start to limit, both directions', () => {
    expect(sequenceShare({ last_value: null, start: '1', limit: '2147483647' })).toBe(0);
    expect(sequenceShare({ last_value: '2000000000', start: '1', limit: '2147483647' })).toBeCloseTo(0.9313, 4);
    expect(sequenceShare({ last_value: '-75', start: '-1', limit: '-101' })).toBeCloseTo(0.74, 2);
    expect(sequenceShare({ last_value: '5', start: '5', limit: '5' })).toBe(1);
  });
});

describe('SQL building', () => {
  it('quotes identifiers of the orphan anti-join; MATCH FULL also counts partly-NULL keys', () => {
    const f = { schema: 'App', table: 'order', columns: ['a', 'B'], ref_schema: 'app', ref_table: 'parents', ref_columns: ['x', 'y'] };
    const simple = orphansSql(f, 3);
    expect(simple).toContain('FROM "App"."order" c');
    expect(simple).toContain('WHERE (c.a IS NOT NULL AND c."B" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM app.parents p WHERE p.x = c.a AND p.y = c."B")) OR (false)');
    expect(simple).toMatch(/GROUP BY key ORDER BY count\(\*\) DESC, key LIMIT 3$/);
    expect(orphansSql({ ...f, match_full: true }, 3)).toContain('OR ((c.a IS NULL OR c."B" IS NULL) AND NOT (c.a IS NULL AND c."B" IS NULL))');
  });

  it('wraps an invariant as a subquery and drops a trailing semicolon', () => {
    expect(wrapInvariant('  SELECT 1 AS x;  ', 5)).toBe('SELECT count(*) OVER () AS stackprobe_n, stackprobe_v.* FROM (SELECT 1 AS x\n) stackprobe_v LIMIT 5');
  });

  it('splits table references with quoted dots', () => {
    expect(splitTableRef('app.accounts')).toEqual({ schema: 'app', table: 'accounts' });
    expect(splitTableRef('accounts')).toEqual({ table: 'accounts' });
    expect(splitTableRef('"my.schema"."Acc"')).toEqual({ schema: 'my.schema', table: 'Acc' });
  });
});

describe('config', () => {
  it('names the field of a bad integrity option', () => {
    expect(() => validateConfig({ integrity: { invariants: [{ name: 'x y', sql: '' }] } })).toThrow(/config\.integrity\.invariants\[0\]\.name: expected a name of letters, digits/);
    for (const [i, sql] of ['SELECT 1) v; COMMIT; DELETE FROM app.accounts', "COPY app.accounts TO '/tmp/x'", 'SET TRANSACTION READ WRITE', 'SELECT 1) v, (SELECT 2'].entries()) {
      expect(() => validateConfig({ integrity: { invariants: [{ name: 'ok', sql: 'SELECT 1' }, { name: `bad${i}`, sql }] } }), sql)
        .toThrow(/config\.integrity\.invariants\[1\]\.sql: expected one read statement/);
    }
  });
});
