// The EXPLAIN advice against real PostgreSQL 15 plans (trimmed to the fields the advice reads).
import { describe, expect, it } from 'vitest';
import { comparedByEquality, explainAdvice, filterColumns, planRelations, type ExplainOutput, type TableInfo } from '../../src/checks/queries/explain-advice.js';

// EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) on orders(id pk, customer_id fk -> customers, status, amount, created_at), 200k rows.
const SEQ_SCAN: ExplainOutput[] = [{ Plan: { 'Node Type': 'Aggregate', 'Plan Rows': 1, 'Actual Rows': 1, 'Actual Loops': 1, Plans: [{ 'Node Type': 'Seq Scan', 'Relation Name': 'orders', Schema: 'public', Alias: 'o', Filter: "((o.customer_id = 42) AND (o.status = 'open'::text))", 'Rows Removed by Filter': 199967, 'Plan Rows': 33, 'Actual Rows': 33, 'Actual Loops': 1 }] }, 'Planning Time': 0.077, 'Execution Time': 7.179 }];
const PARALLEL_SEQ_SCAN: ExplainOutput[] = [{ Plan: { 'Node Type': 'Finalize Aggregate', 'Plan Rows': 1, 'Actual Rows': 1, 'Actual Loops': 1, Plans: [{ 'Node Type': 'Gather', 'Plan Rows': 2, 'Actual Rows': 3, 'Actual Loops': 1, Plans: [{ 'Node Type': 'Partial Aggregate', 'Plan Rows': 1, 'Actual Rows': 1, 'Actual Loops': 3, Plans: [{ 'Node Type': 'Parallel Seq Scan', 'Relation Name': 'orders', Schema: 'public', Alias: 'orders', Filter: '(orders.status = \'open\'::text)', 'Rows Removed by Filter': 60000, 'Plan Rows': 400, 'Actual Rows': 300, 'Actual Loops': 3 }] }] }] }, 'Planning Time': 0.1, 'Execution Time': 20.5 }];
const SORT_SPILL: ExplainOutput[] = [{ Plan: { 'Node Type': 'Sort', 'Plan Rows': 200000, 'Actual Rows': 200000, 'Actual Loops': 1, 'Sort Key': ['orders.amount DESC', 'orders.created_at'], 'Sort Method': 'external merge', 'Sort Space Used': 6688, 'Sort Space Type': 'Disk', Plans: [{ 'Node Type': 'Seq Scan', 'Relation Name': 'orders', Schema: 'public', Alias: 'orders', 'Plan Rows': 200000, 'Actual Rows': 200000, 'Actual Loops': 1 }] }, 'Planning Time': 0.088, 'Execution Time': 135.718 }];
const HASH_BATCHES: ExplainOutput[] = [{ Plan: { 'Node Type': 'Aggregate', 'Plan Rows': 1, 'Actual Rows': 1, 'Actual Loops': 1, Plans: [{ 'Node Type': 'Hash Join', 'Plan Rows': 200000, 'Actual Rows': 199999, 'Actual Loops': 1, Plans: [{ 'Node Type': 'Seq Scan', 'Relation Name': 'orders', Schema: 'public', Alias: 'o', 'Plan Rows': 200000, 'Actual Rows': 200000, 'Actual Loops': 1 }, { 'Node Type': 'Hash', 'Plan Rows': 200000, 'Actual Rows': 200000, 'Actual Loops': 1, 'Hash Batches': 128, 'Original Hash Batches': 128, 'Peak Memory Usage': 96, Plans: [{ 'Node Type': 'Seq Scan', 'Relation Name': 'orders', Schema: 'public', Alias: 'p', 'Plan Rows': 200000, 'Actual Rows': 200000, 'Actual Loops': 1 }] }] }] }, 'Planning Time': 0.173, 'Execution Time': 137.123 }];
const MISESTIMATE: ExplainOutput[] = [{ Plan: { 'Node Type': 'Aggregate', 'Plan Rows': 1, 'Actual Rows': 1, 'Actual Loops': 1, Plans: [{ 'Node Type': 'Seq Scan', 'Relation Name': 'orders', Schema: 'public', Alias: 'orders', Filter: "((orders.id > 5) AND (orders.status = 'open'::text) AND ((orders.customer_id % 3) = 0) AND (((orders.amount)::integer % 7) = 0))", 'Rows Removed by Filter': 196832, 'Plan Rows': 2, 'Actual Rows': 3168, 'Actual Loops': 1 }] }, 'Planning Time': 0.136, 'Execution Time': 11.395 }];
const INDEX_SCAN: ExplainOutput[] = [{ Plan: { 'Node Type': 'Index Scan', 'Relation Name': 'orders', Schema: 'public', Alias: 'orders', 'Index Name': 'orders_pkey', 'Plan Rows': 1, 'Actual Rows': 1, 'Actual Loops': 1 }, 'Planning Time': 0.075, 'Execution Time': 0.033 }];

const ORDERS: TableInfo = { schema: 'public', table: 'orders', columns: ['id', 'customer_id', 'status', 'amount', 'created_at'], indexedColumns: ['id'], foreignKeyColumns: ['customer_id'] };
const advise = (plan: ExplainOutput[], withinThreshold = true, tables = [ORDERS]) => explainAdvice({ query: 'q1', plan, withinThreshold, tables });

describe('explainAdvice', () => {
  it('names a missing index on a foreign key column behind a large sequential scan, with the CREATE INDEX', () => {
    const [f, ...rest] = advise(SEQ_SCAN);
    expect(rest).toEqual([]);
    expect(f!.title).toContain('missing index on foreign key column orders.customer_id');
    expect(f!.recommendation).toBe('CREATE INDEX ON public.orders (customer_id)');
    expect(f!.severity).toBe('info');
    expect(f!.subject).toBe('q1');
    expect(f!.detail).toContain('reads all 200,000 rows');
    expect(f!.data).toMatchObject({ totalMs: 7.256, topNode: 'Aggregate', node: 'Seq Scan on public.orders', rowsRead: 200000, rowsKept: 33, foreignKey: true });
  });

  it("is a warning when the query missed its threshold", () => {
    expect(advise(SEQ_SCAN, false)[0]!.severity).toBe('warn');
  });

  it('counts every worker of a parallel scan', () => {
    const [f] = advise(PARALLEL_SEQ_SCAN);
    expect(f!.title).toContain('missing index on column orders.status');
    expect(f!.data).toMatchObject({ rowsRead: 180900, rowsKept: 900, foreignKey: false });
  });

  it('says "sequential scan" (not "missing index") when the filtered column already leads an index', () => {
    const [f] = advise(SEQ_SCAN, true, [{ ...ORDERS, indexedColumns: ['id', 'customer_id', 'status'] }]);
    expect(f!.title).toBe('sequential scan on large table orders in q1');
    expect(f!.recommendation).toContain('ANALYZE public.orders');
  });

  it('ignores a sequential scan that is small or keeps most rows', () => {
    const small = structuredClone(SEQ_SCAN);
    small[0]!.Plan.Plans![0]!['Rows Removed by Filter'] = 5000;
    expect(advise(small)[0]!.title).toMatch(/^plan of q1: Aggregate, .* nothing to improve found$/);
    const unselective = structuredClone(SEQ_SCAN);
    unselective[0]!.Plan.Plans![0]!['Actual Rows'] = 150000;
    unselective[0]!.Plan.Plans![0]!['Plan Rows'] = 150000;
    expect(advise(unselective).map((f) => f.title).join()).not.toContain('index');
  });

  it('reports a sort that spilled to disk with a work_mem suggestion above what was used', () => {
    const [f, ...rest] = advise(SORT_SPILL);
    expect(rest).toEqual([]);
    expect(f!.title).toBe('sort spilled to disk (external merge, 6,688 kB) in q1');
    expect(f!.recommendation).toContain("SET work_mem = '16MB'");
    expect(f!.data).toMatchObject({ sortSpaceKb: 6688, node: 'Sort', topNode: 'Sort', totalMs: 135.806 });
  });

  it('reports a hash that needed many batches', () => {
    const findings = advise(HASH_BATCHES);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.title).toBe('hash table spilled to disk in 128 batches in q1');
    expect(findings[0]!.recommendation).toMatch(/work_mem|hash_mem_multiplier/);
  });

  it('reports the worst row misestimate of 10x or more, with ANALYZE / CREATE STATISTICS advice', () => {
    const findings = advise(MISESTIMATE);
    const est = findings.find((f) => f.title.startsWith('row estimate off'));
    expect(est?.title).toBe('row estimate off by 1584× at Seq Scan on public.orders in q1');
    expect(est?.recommendation).toContain('ANALYZE public.orders');
    expect(est?.data).toMatchObject({ plannedRows: 2, actualRows: 3168 });
    // The same node is a selective scan: the index to add is on the column compared with '=' (customer_id only appears
    // inside an expression here, where a plain index would not help).
    expect(findings.find((f) => f.title.startsWith('missing index'))?.recommendation).toBe('CREATE INDEX ON public.orders (status)');
  });

  it('says the plan is fine for an index scan', () => {
    const findings = advise(INDEX_SCAN);
    expect(findings).toEqual([{ severity: 'info', subject: 'q1', title: 'plan of q1: Index Scan using orders_pkey on public.orders, 0.108 ms, nothing to improve found', data: expect.objectContaining({ topNode: 'Index Scan using orders_pkey on public.orders' }) }]);
  });

  it('quotes identifiers that need it in recommendations', () => {
    const plan = structuredClone(SEQ_SCAN);
    Object.assign(plan[0]!.Plan.Plans![0]!, { 'Relation Name': 'Order Lines', Schema: 'app', Filter: '(o."User" = 42)' });
    const [f] = explainAdvice({ query: 'q', plan, withinThreshold: true, tables: [{ schema: 'app', table: 'Order Lines', columns: ['id', 'User'], indexedColumns: ['id'], foreignKeyColumns: [] }] });
    expect(f!.recommendation).toBe('CREATE INDEX ON app."Order Lines" ("User")');
  });

  it('rejects something that is not an EXPLAIN JSON result', () => {
    expect(() => explainAdvice({ query: 'q', plan: [{}] as unknown as ExplainOutput[], withinThreshold: true, tables: [] })).toThrow(/no "Plan"/);
  });
});

describe('plan helpers', () => {
  it('lists the relations a plan reads', () => {
    expect(planRelations(HASH_BATCHES)).toEqual([['public', 'orders']]);
  });

  it('finds filter columns, ignoring literals, casts and function names', () => {
    const cols = ['id', 'status', 'text', 'lower', 'amount'];
    expect(filterColumns("((lower(o.status) = 'id'::text) AND ((o.amount)::integer > 5))", cols)).toEqual(['status', 'amount']);
  });

  it('recognises a column compared with =', () => {
    expect(comparedByEquality('((o.customer_id = 42) AND (o.status <> 1))', 'customer_id')).toBe(true);
    expect(comparedByEquality('((o.customer_id = 42) AND (o.status <> 1))', 'status')).toBe(false);
    expect(comparedByEquality('(((orders.customer_id % 3) = 0))', 'customer_id')).toBe(false);
  });
});
