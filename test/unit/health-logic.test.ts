// Pure logic of health: top lists, index advice from an estimated plan, the blocking tree, vacuum's trigger.
import { describe, expect, it } from 'vitest';
import { blockingTree, treeText, type Session } from '../../src/checks/health/activity-tree.js';
import { indexAdvice } from '../../src/checks/health/statements-advice.js';
import { rank, type StatementRow } from '../../src/checks/health/statements-rank.js';
import { autovacuumTrigger, deadShare } from '../../src/checks/health/vacuum.js';
import { estimateBloat } from '../../src/checks/health/vacuum-bloat.js';

const row = (queryid: string, calls: number, mean: number, extra: Partial<StatementRow> = {}): StatementRow => ({
  queryid, query: `q${queryid}`, role: 'app', calls, total_ms: calls * mean, mean_ms: mean, stddev_ms: 0, max_ms: mean, rows: calls,
  shared_hit: 90, shared_read: 10, temp_blocks: 0, ...extra,
});

describe('rank', () => {
  it('orders by total, mean (only statements called often enough) and calls, with shares of the total', () => {
    const lists = rank([row('a', 1000, 1), row('b', 2, 500), row('c', 10, 50), row('d', 5000, 0.01, { shared_hit: 0, shared_read: 0 })], 2, 5);
    expect(lists.totalMs).toBe(1000 + 1000 + 500 + 50);
    expect(lists.byTotal.map((s) => s.queryid)).toEqual(['a', 'b']);
    expect(lists.byMean.map((s) => s.queryid)).toEqual(['c', 'a']); // b has 2 calls < 5
    expect(lists.byCalls.map((s) => s.queryid)).toEqual(['d', 'a']);
    expect(lists.byTotal[0]).toMatchObject({ time_share: 0.3922, hit_share: 0.9 });
    expect(lists.byCalls[0]!.hit_share).toBeNull();
  });
});

describe('indexAdvice', () => {
  const plan = (rows: number, filter = "(o.customer_ref = $1::text)") => [{ Plan: { 'Node Type': 'Seq Scan', 'Relation Name': 'orders', Schema: 'App', Filter: filter, 'Plan Rows': rows } }];
  const rel = { schema: 'App', table: 'orders', rows: 60_000, columns: ['id', 'customer_ref', 'status'], indexed: ['id'] };
  const opts = { bigTableRows: 10_000, selectiveShare: 0.1 };
  it('advises CREATE INDEX CONCURRENTLY on the filtered column, quoted', () => {
    expect(indexAdvice(plan(24), [rel], opts)).toEqual([expect.objectContaining({ column: 'customer_ref', statement: 'CREATE INDEX CONCURRENTLY ON "App".orders (customer_ref)' })]);
  });
  it('says nothing for a filter keeping many rows, a small table, or an indexed column', () => {
    expect(indexAdvice(plan(20_000), [rel], opts)).toEqual([]);
    expect(indexAdvice(plan(24), [{ ...rel, rows: 5000 }], opts)).toEqual([]);
    expect(indexAdvice(plan(24), [{ ...rel, indexed: ['customer_ref'] }], opts)).toEqual([]);
  });
});

const s = (pid: number, blocked_by: number[], extra: Partial<Session> = {}): Session => ({
  pid, role: 'app', application: `app${pid}`, client: '10.0.0.1', state: 'active', wait_event_type: null, query_s: 5, xact_s: 5, state_s: 5,
  fingerprint: `UPDATE t SET a = $1 WHERE id = $2`, blocked_by, ...extra,
});

describe('blockingTree', () => {
  it('builds who blocks whom with the lock waited for', () => {
    const sessions = [s(1, [], { state: 'idle in transaction', state_s: 40 }), s(2, [1], { waits_for: 'ShareLock on transactionid (a row of t)' }), s(3, [2], { waits_for: 'ExclusiveLock on tuple (a row of t)' }), s(4, [])];
    const text = treeText(blockingTree(sessions));
    expect(text.split('\n')).toEqual([
      'pid 1 (app1, app, 10.0.0.1) idle in transaction for 40 s, transaction open 5 s: UPDATE t SET a = $1 WHERE id = $2',
      '└─ pid 2 (app2, app, 10.0.0.1) waiting 5 s for ShareLock on transactionid (a row of t): UPDATE t SET a = $1 WHERE id = $2',
      '\u00a0\u00a0\u00a0└─ pid 3 (app3, app, 10.0.0.1) waiting 5 s for ExclusiveLock on tuple (a row of t): UPDATE t SET a = $1 WHERE id = $2',
    ]);
  });
  it('shows a cycle (a deadlock before detection) once, and a blocker outside the view', () => {
    expect(blockingTree([s(1, [2]), s(2, [1])]).map((r) => r.pid)).toEqual([1]);
    expect(treeText(blockingTree([s(5, [99])]))).toMatch(/^pid 99 \(another database or a background process\)\n└─ pid 5/);
  });
});

describe('vacuum arithmetic', () => {
  it('uses autovacuum\'s own trigger and the dead share', () => {
    expect(autovacuumTrigger({ av_threshold: 50, av_scale: 0.2, reltuples: 20_000 })).toBe(4050);
    expect(deadShare({ live: 5000, dead: 15_000 })).toBe(0.75);
    expect(deadShare({ live: 0, dead: 0 })).toBe(0);
  });
});

describe('estimateBloat', () => {
  const input = { schema: 's', table: 't', pages: 100, tuples: 1850, block_size: 8192, fillfactor: 100, row_width: 10, max_null_frac: 0, columns: 2, columns_with_stats: 2 };
  it('counts the pages the live rows need (header, alignment, line pointer) against the pages there are', () => {
    // 24-byte header + 16 bytes of data + 4-byte line pointer = 44 bytes: 185 rows per 8168-byte page, 10 pages needed.
    expect(estimateBloat(input)).toEqual({ schema: 's', table: 't', expected_pages: 10, pages: 100, bloat_bytes: 90 * 8192, bloat_share: 0.9 });
    expect(estimateBloat({ ...input, fillfactor: 50 })!.expected_pages).toBe(21); // 92 rows per half page
  });
  it('does not guess without statistics for every column', () => {
    expect(estimateBloat({ ...input, columns_with_stats: 1 })).toBeNull();
    expect(estimateBloat({ ...input, row_width: null })).toBeNull();
  });
});
