// Pure SQL-text helpers of health: fingerprints carry no literal, plannable texts, parameter → column mapping.
import { describe, expect, it } from 'vitest';
import { fingerprint, limitParams, paramColumns, relationNames, whyNotPlannable } from '../../src/checks/health/sql-text.js';
import { timeColumns } from '../../src/checks/health/statements-sql.js';
import { scrubPlan } from '../../src/checks/health/statements-plan.js';

describe('fingerprint', () => {
  it('replaces every kind of literal and drops comments, keeping identifiers and existing $n', () => {
    const sql = `/* user 42 */ SELECT "Amount 2" FROM t1 WHERE a = 'x''y' AND b = E'a\\'b' AND c = $$z$$ AND d = $tag$q$tag$
      AND e > 12.5e3 AND f = X'1F' AND g = $1 -- card 4111111111111111`;
    const fp = fingerprint(sql);
    expect(fp).toBe(`SELECT "Amount 2" FROM t1 WHERE a = $2 AND b = $3 AND c = $4 AND d = $5 AND e > $6 AND f = $7 AND g = $1`);
    expect(fp).not.toMatch(/42|x''y|4111|12\.5/);
  });
  it('does not let a backslash end a standard string early (no literal leaks after it)', () => {
    expect(fingerprint(`SELECT 'C:\\' AS p, 'secret'`)).toBe('SELECT $1 AS p, $2');
  });
});

describe('whyNotPlannable', () => {
  it('accepts one query or DML statement, including a semicolon inside a literal', () => {
    expect(whyNotPlannable(`SELECT ';' FROM t`)).toBeNull();
    expect(whyNotPlannable(`WITH x AS (SELECT 1) UPDATE t SET a = 1`)).toBeNull();
    expect(whyNotPlannable(`SELECT 1;`)).toBeNull();
  });
  it('refuses utility statements and several statements', () => {
    expect(whyNotPlannable('VACUUM t')).toMatch(/utility/);
    expect(whyNotPlannable('CREATE INDEX ON t (a)')).toMatch(/utility/);
    expect(whyNotPlannable('SELECT 1; DROP TABLE t')).toMatch(/more than one/);
  });
});

describe('paramColumns, limitParams, relationNames', () => {
  it('maps each $n to the column it is compared with, on either side', () => {
    expect(paramColumns(`SELECT * FROM app.orders o WHERE o.customer_ref = $1 AND $2 <= "Created At" AND name ILIKE $3`)).toEqual([
      { param: 1, column: 'customer_ref', op: '=' },
      { param: 3, column: 'name', op: 'ilike' },
      { param: 2, column: 'Created At', op: '<=' },
    ]);
    expect(limitParams('SELECT 1 FROM t LIMIT $4 OFFSET $5')).toEqual(new Map([[4, 'limit'], [5, 'offset']]));
    expect(relationNames(`SELECT * FROM app.orders o JOIN "Line Items" l ON true`)).toEqual(['orders', 'Line Items']);
  });
});

describe('timeColumns', () => {
  it('chooses the column names of the installed pg_stat_statements version', () => {
    expect(timeColumns('1.7').total).toBe('total_time');
    expect(timeColumns('1.8').total).toBe('total_exec_time');
    expect(timeColumns('1.10').mean).toBe('mean_exec_time');
  });
});

describe('scrubPlan', () => {
  it('removes sampled values from every expression of a plan, keeping names', () => {
    const plan = [{ Plan: { 'Node Type': 'Seq Scan', 'Relation Name': 'orders_2024', Filter: "(orders.customer_ref = 'ref-3781'::text)", Output: ['id', "'x'::text"] } }];
    expect(scrubPlan(plan)).toEqual([{ Plan: { 'Node Type': 'Seq Scan', 'Relation Name': 'orders_2024', Filter: '(orders.customer_ref = $1::text)', Output: ['id', '$1::text'] } }]);
  });
});
