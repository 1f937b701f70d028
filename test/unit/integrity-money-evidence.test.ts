// judgeMoney: money is decided by declarations and sampled values; a name only adds weight, a fraction or a rate is never money.
import { describe, expect, it } from 'vitest';
import { judgeMoney, type MoneyCandidate, type ValueStats } from '../../src/checks/integrity/money-evidence.js';

const col = (over: Partial<MoneyCandidate>): MoneyCandidate => ({ type: 'real', scale: null, column: 'x', domain: null, domainComment: null, comment: null, stats: null, ...over });
const stats = (over: Partial<ValueStats>): ValueStats => ({ n: 1000, lo: 0, hi: 0, frac: 0, cents: 0, oddCents: 0, fine: 0, ...over });

describe('judgeMoney', () => {
  it('a real discount holding fractions (LedgerSMB, Northwind) is not money, whatever its name', () => {
    const j = judgeMoney(col({ column: 'discount', stats: stats({ lo: 0, hi: 0.25, frac: 600, cents: 600, oddCents: 200 }) }), true);
    expect(j).toMatchObject({ money: false });
    expect(j.against).toMatch(/within \[0, 1\]: a fraction/);
  });

  it('a float column holding cents beyond 1 is money, and says why', () => {
    const j = judgeMoney(col({ column: 'unit_price', stats: stats({ lo: 2.5, hi: 263.5, frac: 700, cents: 700, oddCents: 500 }) }), true);
    expect(j.money).toBe(true);
    expect(j.signals).toEqual(['700 of 1000 sampled values have cents, the largest 263.5', 'its name']);
    // Without the name the values alone decide the same.
    expect(judgeMoney(col({ column: 'c7', stats: stats({ lo: 2.5, hi: 263.5, frac: 700, cents: 700, oddCents: 500 }) }), false).money).toBe(true);
  });

  it('a name alone never makes a column money: varchar-free, value-free, or integral floats stay unjudged', () => {
    expect(judgeMoney(col({ column: 'amount', stats: null }), true).money).toBe(false);
    expect(judgeMoney(col({ column: 'amount', stats: stats({ lo: 1, hi: 5000 }) }), true).money).toBe(false);
    expect(judgeMoney(col({ type: 'numeric', column: 'budget', stats: null }), true).money).toBe(false);
  });

  it('quantities in halves are not money unless a money name adds its weight', () => {
    const halves = stats({ lo: 0.5, hi: 40, frac: 300, cents: 300, oddCents: 0 });
    expect(judgeMoney(col({ column: 'qty', stats: halves }), false).money).toBe(false);
    expect(judgeMoney(col({ column: 'amount', stats: halves }), true).money).toBe(true);
  });

  it('declarations: numeric scale 2-4, the money type, a domain or a comment that says money', () => {
    expect(judgeMoney(col({ type: 'numeric', scale: 2, column: 'budgeted_spending' }), false)).toMatchObject({ money: true, signals: ['declared numeric with 2 decimals'] });
    expect(judgeMoney(col({ type: 'numeric', scale: 6, column: 'lat' }), false).money).toBe(false);
    expect(judgeMoney(col({ type: 'money', column: 'x' }), false).money).toBe(true);
    expect(judgeMoney(col({ type: 'double precision', domain: 'cash' }), false).signals).toEqual(['declared through domain cash']);
    expect(judgeMoney(col({ comment: 'amount in EUR' }), false).money).toBe(true);
  });

  it('a rate within [0, 100] declared or named as one is not money even at scale 2', () => {
    const apr = judgeMoney(col({ type: 'numeric', scale: 2, column: 'apr', stats: stats({ lo: 9.99, hi: 29.99, frac: 1000, cents: 1000, oddCents: 1000 }) }), false);
    expect(apr.money).toBe(false);
    expect(judgeMoney(col({ type: 'numeric', scale: 2, column: 'c', comment: 'interest in %', stats: stats({ lo: 1, hi: 20 }) }), false).money).toBe(false);
  });

  it('measurements with more than 4 decimals weigh against money', () => {
    expect(judgeMoney(col({ column: 'fee', stats: stats({ lo: 1, hi: 90, frac: 900, cents: 10, oddCents: 10, fine: 880 }) }), true).money).toBe(false);
  });
});
