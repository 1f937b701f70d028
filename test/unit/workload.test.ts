// The workload's pure parts: the seeded PRNG, money formatting, COPY escaping, identifier quoting, plan and rows.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { centsToDecimal, copyValue, tableData } from '../../src/workload/generate.js';
import { planWorkload, plannedRows } from '../../src/workload/plan.js';
import { createRng } from '../../src/workload/prng.js';
import { BASIC_QUERIES, FINANCIAL_QUERIES } from '../../src/workload/queries.js';
import { quoteIdent } from '../../src/workload/sql.js';
import { tickerFor } from '../../src/workload/vocabulary.js';

const digest = (chunks: Iterable<string>) => {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return h.digest('hex');
};

describe('createRng', () => {
  it('repeats for the same seed and differs for another', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, ((r) => () => r.next())(createRng(seed, 1)));
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('is uniform enough: ints cover their range evenly', () => {
    const rng = createRng(7);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[rng.int(0, 9)]!++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    const floats = Array.from({ length: 10_000 }, () => rng.next());
    expect(Math.min(...floats)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...floats)).toBeLessThan(1);
  });
});

describe('money and COPY text', () => {
  it('formats integer units as decimals without floats', () => {
    expect(centsToDecimal(0)).toBe('0.00');
    expect(centsToDecimal(5)).toBe('0.05');
    expect(centsToDecimal(-123456)).toBe('-1234.56');
    expect(centsToDecimal(1234, 3)).toBe('1.234');
    expect(centsToDecimal(9_007_199_254_740_991)).toBe('90071992547409.91');
  });

  it('escapes COPY text specials and writes null as \\N', () => {
    expect(copyValue('a\tb\nc\\d\re')).toBe('a\\tb\\nc\\\\d\\re');
    expect(copyValue(null)).toBe('\\N');
    expect(copyValue(12)).toBe('12');
  });
});

describe('quoteIdent', () => {
  it('leaves plain names bare and quotes the rest like quote_ident', () => {
    expect(quoteIdent('transactions')).toBe('transactions');
    expect(quoteIdent('user')).toBe('"user"');
    expect(quoteIdent('Order Lines')).toBe('"Order Lines"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(() => quoteIdent('')).toThrow();
  });
});

describe('planWorkload and tableData', () => {
  it('sizes scale 1 as the design says: 500 users, ~1000 accounts, 100k transactions', () => {
    const rows = plannedRows(planWorkload(42, 1));
    expect(rows.users).toBe(500);
    expect(rows.accounts).toBeGreaterThan(900);
    expect(rows.accounts).toBeLessThan(1100);
    expect(rows.transactions).toBe(100_000);
  });

  it('generates the same rows for the same seed, other rows for another seed', () => {
    const a = tableData(planWorkload(42, 0.05));
    const b = tableData(planWorkload(42, 0.05));
    const c = tableData(planWorkload(43, 0.05));
    for (let i = 0; i < a.length; i++) expect(digest(a[i]!.chunks())).toBe(digest(b[i]!.chunks()));
    const tx = (d: typeof a) => digest(d.find((t) => t.table === 'transactions')!.chunks());
    expect(tx(a)).not.toBe(tx(c));
  });

  it('writes as many lines as planned, with one field per column', () => {
    const plan = planWorkload(1, 0.05);
    const planned = plannedRows(plan);
    for (const t of tableData(plan)) {
      const lines = [...t.chunks()].join('').split('\n').filter(Boolean);
      expect(lines.length, t.table).toBe(planned[t.table]);
      expect(lines[0]!.split('\t')).toHaveLength(t.columns.length);
    }
  });

  it('keeps transaction amounts as exact two-decimal strings and times in order', () => {
    const tx = tableData(planWorkload(5, 0.02)).find((t) => t.table === 'transactions')!;
    const lines = [...tx.chunks()].join('').split('\n').filter(Boolean).map((l) => l.split('\t'));
    for (const l of lines) expect(l[3]).toMatch(/^-?\d+\.\d\d$/);
    const times = lines.map((l) => Date.parse(l[4]!));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
  });

  it('makes distinct tickers', () => {
    const tickers = new Set(Array.from({ length: 2000 }, (_, i) => tickerFor(i + 1)));
    expect(tickers.size).toBe(2000);
  });
});

describe('query mix', () => {
  it('draws the same parameters for the same seed', () => {
    const plan = planWorkload(42, 1);
    const w = { schema: 'stackprobe', seed: 42, scale: 1, rows: plannedRows(plan), plan, setupMs: 0, prepared: true, replacedLeftover: false, membership: { runId: 'r', segment: { index: 1, count: 1 }, pid: 0 }, release: async () => undefined, leave: async () => undefined };
    for (const q of [...BASIC_QUERIES, ...FINANCIAL_QUERIES]) {
      expect(q.params(w, createRng(1, 2)), q.name).toEqual(q.params(w, createRng(1, 2)));
      const n = Math.max(0, ...[...q.text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
      expect(q.params(w, createRng(1)).length, q.name).toBe(n);
    }
  });
});
