// health.indexes beside integrity on the three fixtures integrity-realworld.test.ts studies (Rails finance, a music store,
// a year of partitioned bookkeeping): the clean ones pass health.indexes too, both checks keep the same index of every
// identical pair (a duplicated UNIQUE constraint, an index twice on a partitioned table), and every advised statement runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/model.js';
import { checkOf, droppingKept, findingsOf, identicalPairs, loadFixture, runAdviceOver, runIntegrityAndIndexes, titlesOf } from '../helpers/advice-run.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const FIXTURES = ['finance-rails', 'music-store', 'bookkeeping'] as const;
const dbs = new Map<string, { db: TestDatabase; result: RunResult }>();

beforeAll(async () => {
  await Promise.all(FIXTURES.flatMap((name) => [false, true].map(async (defects) => {
    const db = await createTestDatabase();
    const key = `${name}:${defects ? 'planted' : 'clean'}`;
    dbs.set(key, { db, result: undefined as unknown as RunResult });
    await loadFixture(db, name, defects);
    dbs.get(key)!.result = await runIntegrityAndIndexes(db);
  })));
}, 600_000);

afterAll(async () => {
  await Promise.all([...dbs.values()].map((x) => x.db.drop()));
});

describe.each(FIXTURES)('clean %s', (name) => {
  it('passes health.indexes: no failing status, no error finding', () => {
    const { result } = dbs.get(`${name}:clean`)!;
    expect(checkOf(result, 'health.indexes').status, titlesOf(result)).not.toBe('fail');
    expect(findingsOf(result, 'error')).toEqual([]);
  });
});

describe('identical indexes', () => {
  it('integrity.catalog and health.indexes keep the same one, drop the same others with the same statement', () => {
    let pairs = 0;
    for (const [key, { result }] of dbs) {
      const { catalog, health, kept } = identicalPairs(result);
      expect({ key, pairs: health }).toEqual({ key, pairs: catalog });
      expect(droppingKept(result, kept)).toEqual([]);
      pairs += catalog.length;
    }
    expect(pairs).toBe(2); // music store: the UNIQUE constraint declared twice; bookkeeping: an index twice on the partitioned journal
    expect(identicalPairs(dbs.get('bookkeeping:planted')!.result).health).toEqual([
      { index: 'journal_lines_account_again', keep: 'journal_lines_account', statement: 'DROP INDEX books.journal_lines_account_again;' },
    ]);
  });
});

describe('advice', () => {
  it('every statement integrity and health.indexes advise runs (rolled back), unless the rows it re-checks are reported broken', async () => {
    const { ran, failures } = await runAdviceOver(dbs);
    expect(failures).toEqual([]);
    console.log(`advised statements run in rolled-back transactions: ${ran}`);
    expect(ran).toBeGreaterThanOrEqual(30);
  }, 180_000);
});
