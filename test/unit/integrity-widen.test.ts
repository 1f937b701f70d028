// orderPlan: a sequence's widening drops the views built on others first, re-creates them last, and keeps the ALTERs in between.
import { describe, expect, it } from 'vitest';
import { orderPlan } from '../../src/checks/integrity/widen.js';
import { dropStatement } from '../../src/checks/integrity/index-model.js';

describe('orderPlan', () => {
  it('drops deepest first and re-creates shallowest first, around the ALTERs; rules (depth 0) go last and come back first', () => {
    const plan = orderPlan(['ALTER TABLE s.t ALTER COLUMN id TYPE bigint;', 'ALTER TABLE s.c ALTER COLUMN t_id TYPE bigint;'], [
      { depth: 2, name: 's.v2', drop: 'DROP VIEW s.v2;', create: 'CREATE VIEW s.v2 AS SELECT 2;' },
      { depth: 0, name: 'rule r on s.t', drop: 'DROP RULE r ON s.t;', create: 'CREATE RULE r AS ON DELETE TO s.t DO NOTHING;' },
      { depth: 1, name: 's.v1', drop: 'DROP VIEW s.v1;', create: 'CREATE VIEW s.v1 AS SELECT 1;' },
    ]);
    expect(plan.statements).toEqual([
      'DROP VIEW s.v2;', 'DROP VIEW s.v1;', 'DROP RULE r ON s.t;',
      'ALTER TABLE s.t ALTER COLUMN id TYPE bigint;', 'ALTER TABLE s.c ALTER COLUMN t_id TYPE bigint;',
      'CREATE RULE r AS ON DELETE TO s.t DO NOTHING;', 'CREATE VIEW s.v1 AS SELECT 1;', 'CREATE VIEW s.v2 AS SELECT 2;',
    ]);
  });
});

describe('dropStatement of the shared index model', () => {
  it('drops a constraint\'s index with its constraint, never CONCURRENTLY on a partitioned table, and nothing a foreign key depends on', () => {
    expect(dropStatement('s', 'T', false, { index: 'i', constraint: 'uq', referenced: false })).toBe('ALTER TABLE s."T" DROP CONSTRAINT uq;');
    expect(dropStatement('s', 't', true, { index: 'i', constraint: null, referenced: false })).toBe('DROP INDEX s.i;');
    expect(dropStatement('s', 't', false, { index: 'i', constraint: null, referenced: false })).toBe('DROP INDEX CONCURRENTLY s.i;');
    expect(dropStatement('s', 't', false, { index: 'i', constraint: 'uq', referenced: true })).toBeNull();
  });
});
