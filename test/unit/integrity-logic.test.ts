// Pure logic of the integrity checks: money-column matching, column classification, sequence headroom, the weighted score, SQL wrapping.
import { describe, expect, it } from 'vitest';
import { sequenceShare } from '../../src/checks/integrity/catalog.js';
import { orphansSql } from '../../src/checks/integrity/fk-sql.js';
import { wrapInvariant } from '../../src/checks/integrity/invariants.js';
import { splitTableRef } from '../../src/checks/integrity/resolve.js';
import { IntegrityTally, SCORE_WEIGHTS } from '../../src/checks/integrity/score.js';
import { classifyColumns, moneyMatcher } from '../../src/checks/integrity/types.js';
import { validateConfig } from '../../src/config/load.js';

const words = validateConfig({}).integrity.money_columns;

describe('money columns', () => {
  it('matches the words between underscores, not inside other words', () => {
    const isMoney = moneyMatcher(words);
    for (const c of ['amount', 'total_amount', 'balance_eur', 'Fee', 'unit_price', 'tax', 'debit']) expect(isMoney(c), c).toBe(true);
    for (const c of ['id', 'totally', 'feedback', 'taxonomy', 'created_at', 'costume']) expect(isMoney(c), c).toBe(false);
  });

  it('flags float and money types, and naive timestamps only in tables holding money', () => {
    const f = classifyColumns([
      { schema: 's', table: 'tx', column: 'amount', type: 'double precision' },
      { schema: 's', table: 'tx', column: 'booked_at', type: 'timestamp without time zone' },
      { schema: 's', table: 'tx', column: 'created_at', type: 'timestamp with time zone' },
      { schema: 's', table: 'acc', column: 'balance', type: 'money' },
      { schema: 's', table: 'acc', column: 'limit_total', type: 'numeric(19,4)' },
      { schema: 's', table: 'log', column: 'at', type: 'timestamp without time zone' },
    ], moneyMatcher(words));
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

describe('integrity score', () => {
  it('is the weighted mean of each finished check\'s clean share; unfinished checks are left out', () => {
    const t = new IntegrityTally();
    t.start('integrity.corruption');
    t.finish('integrity.corruption', 10, 10);
    t.start('integrity.foreign_keys');
    t.finish('integrity.foreign_keys', 4, 3);
    t.start('integrity.types');
    t.finish('integrity.types', 0, 0);
    t.start('integrity.catalog');
    const w = SCORE_WEIGHTS;
    const expected = (w['integrity.corruption']! * 1 + w['integrity.foreign_keys']! * 0.75 + w['integrity.types']! * 1) / (w['integrity.corruption']! + w['integrity.foreign_keys']! + w['integrity.types']!);
    expect(t.score()).toEqual({ score: expected, parts: { 'integrity.corruption': 1, 'integrity.foreign_keys': 0.75, 'integrity.types': 1 }, unscored: ['integrity.catalog'] });
    expect(new IntegrityTally().score()).toBeUndefined();
  });
});

describe('SQL building', () => {
  it('quotes identifiers of the orphan anti-join and keeps MATCH SIMPLE semantics', () => {
    const sql = orphansSql({ schema: 'App', table: 'order', columns: ['a', 'b'], ref_schema: 'app', ref_table: 'parents', ref_columns: ['x', 'y'] }, 3);
    expect(sql).toContain('FROM "App"."order" c WHERE c.a IS NOT NULL AND c.b IS NOT NULL AND NOT EXISTS (SELECT 1 FROM app.parents p WHERE p.x = c.a AND p.y = c.b) LIMIT 3');
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
    expect(() => validateConfig({ integrity: { money_columns: ['amount('] } })).toThrow(/config\.integrity\.money_columns\[0\]: expected a valid regular expression/);
  });
});
