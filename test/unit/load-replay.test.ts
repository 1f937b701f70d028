// load.replay's pure parts: patterns (substring or glob, linear time), the choice of statements and their shares, the
// exact interleave, parameter draws against known frequencies, the degradation order, and the config's refusals.
import { describe, expect, it } from 'vitest';
import { degradationOrder, type StatementFigures } from '../../src/checks/load/replay-compare.js';
import { drawValue, type Sampler } from '../../src/checks/load/replay-params.js';
import { smoothPicker } from '../../src/checks/load/replay-scenario.js';
import { isLostSession } from '../../src/targets/pg/lost-session.js';
import { matchesPattern, selectStatements } from '../../src/checks/load/replay-select.js';
import { validateConfig } from '../../src/config/load.js';
import { createRng } from '../../src/workload/prng.js';

describe('matchesPattern', () => {
  it('takes a plain substring or a glob, case-insensitively', () => {
    expect(matchesPattern('SELECT id FROM users WHERE id = $1', 'from USERS')).toBe(true);
    expect(matchesPattern('SELECT id FROM users WHERE id = $1', 'select * from users*')).toBe(true);
    expect(matchesPattern('SELECT id FROM users WHERE id = $1', 'select * from accounts*')).toBe(false);
    expect(matchesPattern('SELECT a FROM t', 'SELECT ? FROM t')).toBe(true);
    // A regex-looking pattern is a literal substring: no user regex ever runs.
    expect(matchesPattern('SELECT a FROM t', '(a+)+$')).toBe(false);
  });
  it('stays fast on a pattern that makes a backtracking matcher explode', () => {
    const t0 = performance.now();
    expect(matchesPattern('a'.repeat(20_000), '*a*a*a*a*a*a*a*b')).toBe(false);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('selectStatements', () => {
  const row = (queryid: string, query: string, calls: number, mean_ms = 1) => ({ queryid, query, calls, mean_ms });
  const rows = [
    row('1', 'SELECT * FROM users WHERE id = $1', 600), row('1', 'SELECT * FROM users WHERE id = $1', 200, 3),
    row('2', 'SELECT * FROM accounts WHERE user_id = $1', 150), row('3', 'BEGIN', 900), row('4', 'SELECT count(*) FROM stackprobe.accounts', 500),
    row('5', 'SELECT * FROM pg_stat_statements', 100), row('6', 'SELECT * FROM audit WHERE at > $1', 50),
  ];
  it('merges roles, leaves out utility and own statements, and gives shares of the chosen and of all calls', () => {
    const s = selectStatements(rows, { top: 10, include: [], exclude: [] });
    expect(s.chosen.map((c) => c.queryid)).toEqual(['1', '2', '6']);
    expect(s.chosen[0]!.calls).toBe(800);
    expect(s.chosen[0]!.mean_ms).toBeCloseTo(1.5, 9);
    expect(s.chosen[0]!.share).toBeCloseTo(800 / 1000, 9);
    expect(s.chosen[0]!.shareOfAll).toBeCloseTo(800 / 2500, 9);
  });
  it('applies include, exclude, top and min_call_share', () => {
    expect(selectStatements(rows, { top: 10, include: ['*accounts*', 'audit'], exclude: ['stackprobe'] }).chosen.map((c) => c.queryid)).toEqual(['2', '6']);
    expect(selectStatements(rows, { top: 10, include: [], exclude: ['FROM users'] }).chosen.map((c) => c.queryid)).toEqual(['2', '6']);
    expect(selectStatements(rows, { top: 1, include: [], exclude: [] }).chosen.map((c) => c.queryid)).toEqual(['1']);
    expect(selectStatements(rows, { top: 10, min_call_share: 0.05, include: [], exclude: [] }).chosen.map((c) => c.queryid)).toEqual(['1', '2']);
  });
});

describe('smoothPicker', () => {
  it('keeps every prefix of the picks within one request of each share', () => {
    const types = [{ n: 'a', weight: 1000 }, { n: 'b', weight: 720 }, { n: 'c', weight: 200 }, { n: 'd', weight: 3 }];
    const total = 1923;
    const next = smoothPicker(types);
    const counts = new Map<string, number>();
    for (let i = 1; i <= 5000; i++) {
      const t = next();
      counts.set(t.n, (counts.get(t.n) ?? 0) + 1);
      for (const x of types) expect(Math.abs((counts.get(x.n) ?? 0) - (i * x.weight) / total)).toBeLessThanOrEqual(1.0001 * (types.length - 1));
    }
  });
});

describe('isLostSession', () => {
  it('tells a lost session from a failed statement', () => {
    const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });
    expect(isLostSession(withCode('57P01', 'terminating connection due to administrator command'))).toBe(true);
    expect(isLostSession(withCode('08006'))).toBe(true);
    expect(isLostSession(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isLostSession(withCode('57014', 'canceling statement due to statement timeout'))).toBe(false);
    expect(isLostSession(withCode('42P01', 'relation "t" does not exist'))).toBe(false);
  });
});

describe('drawValue', () => {
  it('draws common values by their frequency and the rest evenly over the histogram buckets', () => {
    const s: Sampler = { kind: 'stats', source: 't.c', mcv: ['a', 'b'], freqs: [0.5, 0.2], histogram: ['10', '20', '30', '40'], nullFrac: 0.1, integer: true };
    const rng = createRng(7, 1);
    const n = 40_000;
    const seen = new Map<string, number>();
    let low = 0;
    for (let i = 0; i < n; i++) {
      const v = drawValue(s, rng);
      seen.set(v, (seen.get(v) ?? 0) + 1);
      if (/^\d+$/.test(v)) {
        expect(Number(v)).toBeGreaterThanOrEqual(10);
        expect(Number(v)).toBeLessThanOrEqual(40);
        if (Number(v) <= 20) low++;
      }
    }
    // Non-null rows: a 0.5, b 0.2, histogram 0.2 of all rows → 5/9, 2/9, 2/9 of the draws.
    expect(seen.get('a')! / n).toBeCloseTo(5 / 9, 1);
    expect(seen.get('b')! / n).toBeCloseTo(2 / 9, 1);
    expect(low / n).toBeCloseTo((2 / 9) / 3 + (2 / 9) / 30, 1);
  });
  it('draws a user query\'s values evenly and a fixed value as it is', () => {
    const rng = createRng(1);
    expect(drawValue({ kind: 'fixed', source: 'limit', value: '100' }, rng)).toBe('100');
    const v = new Set(Array.from({ length: 200 }, () => drawValue({ kind: 'values', source: 'q', values: ['x', 'y', 'z'] }, rng)));
    expect([...v].sort()).toEqual(['x', 'y', 'z']);
  });
});

describe('degradationOrder', () => {
  const fig = (name: string, p50: number[], degradedAt: number | null): StatementFigures => ({
    name, queryid: name, query: name, originalShare: 0, replayedShare: 0, shareDiffPp: 0, originalMeanMs: 0, firstStageMeanMs: 0, firstStageServerMeanMs: null,
    stages: p50.map((v, i) => ({ stage: i + 1, requests: 1, failures: 0, meanMs: v, p50Ms: v, p95Ms: v })), degradedAt, addedMs: p50[p50.length - 1]! - p50[0]!,
  });
  it('puts the statements that passed the limits first (earliest stage, most ms added), then the rest by ms added', () => {
    const order = degradationOrder([fig('fast', [0.2, 0.3, 3], null), fig('late', [5, 6, 20], 3), fig('early', [5, 12, 30], 2), fig('earlyBig', [20, 60, 90], 2), fig('flat', [1, 1, 1.5], null)]);
    expect(order.map((f) => f.name)).toEqual(['earlyBig', 'early', 'late', 'fast', 'flat']);
  });
});

describe('config.load.replay', () => {
  it('refuses writes without a database declared disposable, naming the field', () => {
    expect(() => validateConfig({ load: { replay: { writes: true } } })).toThrow(/load\.replay\.writes.*disposable_database/s);
    expect(validateConfig({ load: { replay: { writes: true, disposable_database: true } } }).load.replay!.writes).toBe(true);
  });
  it('refuses write replay under --read-only with the reason', () => {
    expect(() => validateConfig({ read_only: true, load: { replay: { writes: true, disposable_database: true } } })).toThrow(/--read-only.*write replay is refused/);
    expect(validateConfig({ read_only: true, load: { replay: {} } }).load.replay!.writes).toBe(false);
  });
  it('refuses a values query that is not one read statement', () => {
    expect(() => validateConfig({ load: { replay: { values: [{ statement: 'users', param: 1, sql: 'SELECT 1; DELETE FROM users' }] } } })).toThrow(/load\.replay\.values/);
  });
});
