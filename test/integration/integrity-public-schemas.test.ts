// integrity and health.indexes on four more application schemas in the style of public ones (LedgerSMB, Northwind,
// pagila with partitions, a Rails budgeting app with generated columns): clean copies pass with no wrong finding, planted
// copies fail naming each defect, every statement either check advises runs on the object it names, and the two checks
// keep the same index of every identical pair.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/model.js';
import {
  checkOf as check, droppingKept, findingsOf as findings, identicalPairs, loadFixture, runAdviceOver, runIntegrityAndIndexes as runChecks,
  statementsOf, titlesOf as titles, tryStatements,
} from '../helpers/advice-run.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

type Fixture = 'ledgersmb' | 'northwind' | 'pagila' | 'budget-rails';
const FIXTURES: Fixture[] = ['ledgersmb', 'northwind', 'pagila', 'budget-rails'];

const dbs = new Map<string, { db: TestDatabase; result: RunResult }>();
const clean = (name: Fixture) => dbs.get(`${name}:clean`)!;
const planted = (name: Fixture) => dbs.get(`${name}:planted`)!;

beforeAll(async () => {
  await Promise.all(FIXTURES.flatMap((name) => [false, true].map(async (defects) => {
    const db = await createTestDatabase();
    dbs.set(`${name}:${defects ? 'planted' : 'clean'}`, { db, result: undefined as unknown as RunResult });
    await loadFixture(db, name, defects);
  })));
  for (const [key, x] of dbs) {
    x.result = await runChecks(x.db);
    console.log(`== ${key}\n${x.result.checks.map((c) => `  ${c.id} ${c.status}${c.reason ? ` (${c.reason})` : ''}`).join('\n')}\n${titles(x.result)}`);
  }
}, 600_000);

afterAll(async () => {
  await Promise.all([...dbs.values()].map((x) => x.db.drop()));
});

describe.each(FIXTURES)('clean %s', (name) => {
  it('passes integrity and health.indexes: no failing check, no error finding, a clean score', () => {
    const { result } = clean(name);
    for (const c of result.checks) expect({ id: c.id, status: c.status, reason: c.reason }).not.toMatchObject({ status: 'fail' });
    expect(findings(result, 'error')).toEqual([]);
    expect(check(result, 'integrity.score')).toMatchObject({ status: 'pass', info: { state: 'clean' } });
    expect(check(result, 'integrity.corruption').status).toBe('pass');
  });

  it('has no finding about columns that only look like money, nor a partitioned table "without" the keys its partitions carry', () => {
    const text = titles(clean(name).result);
    // Fractions (discount real), import settings (amount_col_label varchar), a uuid budget_id link, rates, a progress share.
    expect(text).not.toMatch(/discount|imports|budget_alerts|exchange|exchangerate|goals|progress/);
    expect(text).not.toMatch(/pagila\.payment\.\w+ looks like a reference/);
    expect(check(clean(name).result, 'integrity.types').status).toBe('pass');
  });
});

describe('clean budget-rails', () => {
  it('judges money by declaration: budgets with numeric(19,4) hold money, the tables linked by a uuid or naming a column do not', () => {
    const types = check(clean('budget-rails').result, 'integrity.types');
    expect(types.findings).toEqual([]);
    expect(Number(types.info.moneyColumns)).toBeGreaterThanOrEqual(9);
  });
});

describe('planted ledgersmb', () => {
  it('names the float money column with the signals that made it money, and not the float discounts', () => {
    const types = check(planted('ledgersmb').result, 'integrity.types');
    expect(types.status).toBe('fail');
    expect(types.findings.filter((f) => f.severity === 'error').map((f) => f.title)).toEqual(['money column public.acc_trans.amount is double precision']);
    expect(types.findings[0]!.detail).toMatch(/^Judged money because: \d+ of \d+ sampled values have cents, the largest [\d.]+; its name\./);
  });

  it('names the postings whose account is gone, and widens the shared sequence with the columns referencing its ids', () => {
    const { result } = planted('ledgersmb');
    expect(findings(result, 'error').map((f) => f.title)).toEqual(expect.arrayContaining([
      '2 orphaned row(s) in public.acc_trans (chart_id) → public.chart (id), constraint acc_trans_chart_id_fkey, 1 distinct key(s)',
    ]));
    const seq = check(result, 'integrity.catalog').findings.find((f) => f.subject === 'public.id')!;
    expect(seq.severity).toBe('error');
    expect(statementsOf(seq)).toEqual(expect.arrayContaining([
      'ALTER TABLE public.acc_trans ALTER COLUMN chart_id TYPE bigint;', 'ALTER TABLE public.tax ALTER COLUMN chart_id TYPE bigint;',
      'ALTER TABLE public.chart ALTER COLUMN id TYPE bigint;', 'ALTER TABLE public.customer ALTER COLUMN id TYPE bigint;',
      // The audit rule on ar uses ar.id: dropped before the ALTER, re-created after.
      'DROP RULE ar_audit_delete ON public.ar;', expect.stringMatching(/^CREATE RULE ar_audit_delete AS\s+ON DELETE TO (public\.)?ar DO\s+INSERT INTO (public\.)?audittrail/),
    ]));
    const s = statementsOf(seq);
    expect(s.indexOf('DROP RULE ar_audit_delete ON public.ar;')).toBeLessThan(s.indexOf('ALTER TABLE public.ar ALTER COLUMN id TYPE bigint;'));
  });

  it('advises one ANALYZE that names as many tables as it counts', () => {
    const f = check(planted('ledgersmb').result, 'integrity.catalog').findings.find((x) => /never analysed/.test(x.title))!;
    const counted = Number(/^(\d+) table/.exec(f.title)![1]);
    expect(counted).toBeGreaterThanOrEqual(12);
    const [statement] = statementsOf(f);
    expect(statement!.replace(/^ANALYZE /, '').split(', ')).toHaveLength(counted);
    expect(f.recommendation).toContain(statement);
  });
});

describe('planted northwind', () => {
  it('names the three real money columns (port style) and never the real discount', () => {
    const types = check(planted('northwind').result, 'integrity.types');
    expect(types.findings.filter((f) => f.severity === 'error').map((f) => f.subject).sort()).toEqual(
      ['northwind.order_details.unit_price', 'northwind.orders.freight', 'northwind.products.unit_price']);
    expect(check(planted('northwind').result, 'integrity.foreign_keys').findings.map((f) => f.title)).toContain(
      '3 orphaned row(s) in northwind.order_details (order_id) → northwind.orders (order_id), constraint order_details_order_id_fkey, 1 distinct key(s)');
  });
});

describe('planted pagila', () => {
  it('widens rental_id with the partitioned payments\' rental_id, dropping the views on it deepest first', () => {
    const seq = check(planted('pagila').result, 'integrity.catalog').findings.find((f) => f.subject === 'pagila.rental_rental_id_seq')!;
    const s = statementsOf(seq);
    expect(s.slice(0, 5)).toEqual(['DROP VIEW pagila.sales_by_store;', 'DROP VIEW pagila.rental_payments;',
      'ALTER TABLE pagila.payment ALTER COLUMN rental_id TYPE bigint;', 'ALTER TABLE pagila.rental ALTER COLUMN rental_id TYPE bigint;',
      'ALTER TABLE pagila.rental_note ALTER COLUMN rental_id TYPE bigint;']);
    expect(s[5]).toMatch(/^CREATE VIEW pagila\.rental_payments AS/);
    expect(s[6]).toMatch(/^CREATE VIEW pagila\.sales_by_store AS/);
    expect(s[7]).toBe('ALTER SEQUENCE pagila.rental_rental_id_seq AS bigint;');
    expect(seq.detail).toMatch(/pagila\.rental_payments, pagila\.sales_by_store are dropped first and re-created after/);
  });

  it('names the orphan in one partition and advises a key on the partitioned table without NOT VALID', () => {
    const { result } = planted('pagila');
    expect(findings(result, 'error').map((f) => f.title)).toContain(
      '1 orphaned row(s) in pagila.payment_p2022_03 (customer_id) → pagila.customer (customer_id), constraint payment_p2022_03_customer_id_fkey, 1 distinct key(s)');
    const late = findings(result).find((f) => f.subject === 'pagila.late_fee.rental_id')!;
    expect(statementsOf(late)).toEqual(['ALTER TABLE pagila.late_fee ADD FOREIGN KEY (rental_id) REFERENCES pagila.rental (rental_id);']);
    expect(titles(result)).not.toMatch(/pagila\.payment\.\w+ looks like a reference/);
  });

  it('advises one index for a partitioned table\'s foreign key, on the parent and without CONCURRENTLY (refused there)', () => {
    const fk = check(planted('pagila').result, 'health.indexes').findings.filter((f) => f.title.includes('rental_note_rental_id_fkey'));
    expect(fk.map((f) => [f.title, (f.data as { statement: string }).statement])).toEqual([
      ['foreign key rental_note_rental_id_fkey on pagila.rental_note (rental_id) has no index', 'CREATE INDEX ON pagila.rental_note (rental_id)'],
    ]);
  });
});

describe('planted budget-rails', () => {
  it('names the budget amounts in double precision and the alert of a deleted budget', () => {
    const { result } = planted('budget-rails');
    expect(check(result, 'integrity.types').findings.filter((f) => f.severity === 'error').map((f) => f.subject)).toEqual(['budgeting.budget_categories.budgeted_spending']);
    expect(findings(result, 'error').map((f) => f.title)).toContain(
      '1 orphaned row(s) in budgeting.budget_alerts (budget_id) → budgeting.budgets (id), constraint fk_rails_budget_alerts_budget, 1 distinct key(s)');
  });
});

describe('integrity and health.indexes agree on identical indexes', () => {
  it('keep the same index and drop the same others, with the same statement, on every fixture', () => {
    let pairs = 0;
    for (const [key, { result }] of dbs) {
      const { catalog, health, kept } = identicalPairs(result);
      expect({ key, pairs: health }).toEqual({ key, pairs: catalog });
      // Neither check advises dropping the index the pair keeps.
      expect(droppingKept(result, kept)).toEqual([]);
      pairs += catalog.length;
    }
    expect(pairs).toBe(3);
    // The older of two plain indexes, whatever their names; a constraint's index over an older unique index.
    const keep = (key: string) => check(dbs.get(key)!.result, 'integrity.catalog').findings.filter((f) => /identical indexes/.test(f.title)).map((f) => f.recommendation);
    expect(keep('pagila:planted').sort()).toEqual([
      'DROP INDEX CONCURRENTLY pagila.a_rental_customer_id_copy; (keeps rental_customer_id_idx)', 'DROP INDEX CONCURRENTLY pagila.idx_fk_inventory_id_again; (keeps idx_fk_inventory_id)',
    ]);
    expect(keep('northwind:planted')).toEqual(['DROP INDEX CONCURRENTLY northwind.shippers_company_name_idx; (keeps shippers_company_name_key, constraint shippers_company_name_key)']);
  });
});

describe('every statement integrity and health.indexes advise runs on the object it names', () => {
  it('runs each finding\'s statements in order (rolled back); only statements that re-check rows the run reported as broken wait for the data', async () => {
    const { ran, failures } = await runAdviceOver(dbs);
    expect(failures).toEqual([]);
    console.log(`advised statements run in rolled-back transactions: ${ran}`);
    expect(ran).toBeGreaterThanOrEqual(30);
  }, 180_000);

  it('the widening of pagila\'s rental_id leaves bigint columns and the views in place, answering as before', async () => {
    const { db, result } = planted('pagila');
    const seq = check(result, 'integrity.catalog').findings.find((f) => f.subject === 'pagila.rental_rental_id_seq')!;
    const before = await db.sql<{ n: string; total: string }>('SELECT count(*) AS n, sum(total_sales) AS total FROM pagila.sales_by_store');
    let seen: unknown;
    const tried = await tryStatements(db, statementsOf(seq), async (c) => {
      const types = await c.query(`SELECT attrelid::regclass::text AS rel, format_type(atttypid, NULL) AS type FROM pg_attribute
        WHERE attname = 'rental_id' AND attrelid IN ('pagila.rental'::regclass, 'pagila.payment'::regclass, 'pagila.payment_p2022_03'::regclass, 'pagila.rental_payments'::regclass) ORDER BY 1`);
      const view = await c.query('SELECT count(*) AS n, sum(total_sales) AS total FROM pagila.sales_by_store');
      seen = { types: types.rows, view: view.rows };
    });
    expect(tried.filter((t) => t.code)).toEqual([]);
    expect(seen).toEqual({
      types: [{ rel: 'pagila.payment', type: 'bigint' }, { rel: 'pagila.payment_p2022_03', type: 'bigint' }, { rel: 'pagila.rental', type: 'bigint' }, { rel: 'pagila.rental_payments', type: 'bigint' }],
      view: before,
    });
  }, 60_000);

  it('the widening of LedgerSMB\'s shared id re-creates the audit rule, which still fires', async () => {
    const { db, result } = planted('ledgersmb');
    const seq = check(result, 'integrity.catalog').findings.find((f) => f.subject === 'public.id')!;
    let seen: unknown;
    // The planted orphans first (the foreign-key finding's fix): changing chart.id's type re-checks acc_trans's key.
    const fix = 'DELETE FROM acc_trans WHERE chart_id = 999999';
    const tried = await tryStatements(db, [fix, ...statementsOf(seq)], async (c) => {
      await c.query('DELETE FROM ar WHERE id = (SELECT max(id) FROM ar)');
      seen = { type: (await c.query(`SELECT format_type(atttypid, NULL) AS t FROM pg_attribute WHERE attrelid = 'public.ar'::regclass AND attname = 'id'`)).rows[0],
        audited: (await c.query(`SELECT count(*)::int AS n FROM audittrail WHERE action = 'deleted'`)).rows[0] };
    });
    expect(tried.filter((t) => t.code)).toEqual([]);
    expect(seen).toMatchObject({ type: { t: 'bigint' }, audited: { n: 1 } });
  }, 60_000);

  it('the partitioned late_fee takes the advised key (no NOT VALID)', async () => {
    const { db, result } = planted('pagila');
    const late = findings(result).find((f) => f.subject === 'pagila.late_fee.rental_id')!;
    expect(await tryStatements(db, statementsOf(late))).toEqual([{ statement: statementsOf(late)[0], code: null }]);
  });
});

describe('the CLI on the clean public-style schemas', () => {
  it.each(['ledgersmb', 'northwind'] as const)('exits 0 with --only integrity on %s (needs dist/: npm run build)', async (name) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-public-cli-'));
    try {
      const r = await runCli(['run', '--only', 'integrity', '--output', dir], { env: { DATABASE_URL: clean(name).db.url } });
      expect({ code: r.code, out: r.stdout.slice(-2000) }).toMatchObject({ code: 0 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('exits 1 on the planted northwind, naming the real unit price', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-public-cli-'));
    try {
      const r = await runCli(['run', '--only', 'integrity', '--output', dir], { env: { DATABASE_URL: planted('northwind').db.url } });
      expect(r.code).toBe(1);
      const json = JSON.parse(await readFile(path.join(dir, 'latest', 'run.json'), 'utf8')) as RunResult;
      expect(check(json, 'integrity.types').findings.map((f) => f.title)).toContain('money column northwind.products.unit_price is real');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
