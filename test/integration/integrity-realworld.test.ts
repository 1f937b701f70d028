// The integrity category on application-style fixtures: clean ones pass with a score of 1, copies with planted defects name each defect, and every recommended statement runs.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrityChecks } from '../../src/checks/integrity/index.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { CheckResult, RunResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { runCli } from '../helpers/cli.js';
import { databaseChecksum, loadRealWorld, tryRecommendations, type RealWorldFixture } from '../helpers/integrity-fixture.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const BOOKS_INVARIANTS = [
  { name: 'journal_balances', description: 'every journal entry balances', sql: 'SELECT entry_id, sum(debit) AS debits, sum(credit) AS credits FROM books.journal_lines GROUP BY entry_id HAVING sum(debit) <> sum(credit)' },
  { name: 'lines_have_entries', sql: 'SELECT l.entry_id FROM books.journal_lines l LEFT JOIN books.journal_entries e ON e.id = l.entry_id WHERE e.id IS NULL' },
];
const CONFIG: Record<RealWorldFixture, NonNullable<ConfigInput['integrity']>> = {
  'finance-rails': {},
  'music-store': {},
  bookkeeping: { invariants: BOOKS_INVARIANTS },
};

function runIntegrity(db: TestDatabase, name: RealWorldFixture): Promise<RunResult> {
  return run({
    config: validateConfig({ database_url: db.url, integrity: { ...CONFIG[name], amcheck: { create_extension: true } } }),
    checks: integrityChecks, signal: new AbortController().signal, log: silentLogger(),
  });
}

const check = (r: RunResult, id: string): CheckResult => r.checks.find((c) => c.id === id)!;
const scoreOf = (r: RunResult) => check(r, 'integrity.score').metrics.find((m) => m.name === 'integrity_score') as { value: number } | undefined;
const findings = (r: RunResult, severity?: string) => r.checks.flatMap((c) => c.findings.filter((f) => !severity || f.severity === severity).map((f) => ({ check: c.id, ...f })));

/** The run in a few lines, printed so the figures can be quoted: verdicts, score, and every warn/error finding. */
function summary(label: string, r: RunResult): string {
  const s = check(r, 'integrity.score');
  const damaged = s.metrics.find((m) => m.name === 'integrity_damaged_probes') as { count: number } | undefined;
  const lines = [`== ${label}: score ${scoreOf(r)?.value.toFixed(4)} (${String(s.info.state)}, ${damaged?.count} damaged of ${String(s.info.probes)} data probes)`];
  for (const c of r.checks) lines.push(`  ${c.id} ${c.status}${c.reason ? ` (${c.reason})` : ''} ${Math.round(c.durationMs)} ms`);
  for (const f of findings(r)) lines.push(`  [${f.severity}] ${f.check}: ${f.title}`);
  return lines.join('\n');
}

const FIXTURES: RealWorldFixture[] = ['finance-rails', 'music-store', 'bookkeeping'];
const clean = new Map<RealWorldFixture, { db: TestDatabase; result: RunResult; before: string }>();
const planted = new Map<RealWorldFixture, { db: TestDatabase; result: RunResult }>();

beforeAll(async () => {
  for (const name of FIXTURES) {
    const [c, p] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    clean.set(name, { db: c, result: undefined as unknown as RunResult, before: '' });
    planted.set(name, { db: p, result: undefined as unknown as RunResult });
    await Promise.all([loadRealWorld(c, name), loadRealWorld(p, name, { defects: true })]);
    const before = await databaseChecksum(c);
    const result = await runIntegrity(c, name);
    clean.set(name, { db: c, result, before });
    planted.set(name, { db: p, result: await runIntegrity(p, name) });
    console.log(summary(`${name} (clean)`, result));
    console.log(summary(`${name} (planted)`, planted.get(name)!.result));
  }
}, 600_000);

afterAll(async () => {
  await Promise.all([...clean.values(), ...planted.values()].map((x) => x.db.drop()));
});

describe.each(FIXTURES)('clean %s', (name) => {
  it('has no failing integrity check, no error finding, and a complete score of 1', () => {
    const { result } = clean.get(name)!;
    for (const c of result.checks) expect({ id: c.id, status: c.status }).not.toEqual({ id: c.id, status: 'fail' });
    expect(findings(result, 'error')).toEqual([]);
    expect(check(result, 'integrity.score')).toMatchObject({ status: 'pass', info: { state: 'clean' } });
    expect(scoreOf(result)!.value).toBeGreaterThanOrEqual(0.99);
    expect(check(result, 'integrity.corruption').status).toBe('pass');
    // Polymorphic references (audits.user_type + user_id: a User or an ApiClient) are not taken for foreign keys.
    expect(findings(result).filter((f) => f.subject?.includes('audits'))).toEqual([]);
  });

  it('wrote nothing: rows, catalog, triggers, rules and large objects are unchanged', async () => {
    const { db, before } = clean.get(name)!;
    expect(await databaseChecksum(db)).toBe(before);
  });
});

describe('the CLI on a clean fixture', () => {
  it('exits 0 with the integrity category on the year of bookkeeping (needs dist/: npm run build)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-integrity-cli-'));
    try {
      const { db } = clean.get('bookkeeping')!;
      const file = path.join(dir, 'config.json');
      await writeFile(file, JSON.stringify({ database_url: db.url, integrity: { ...CONFIG.bookkeeping, amcheck: { create_extension: true } } }));
      const r = await runCli(['run', '--only', 'integrity', '--config', file, '--output', dir]);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
      expect(r.stdout).toMatch(/integrity/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('planted finance-rails', () => {
  it('names 500 orphans behind the NOT VALID foreign key, with distinct example keys', () => {
    const { result } = planted.get('finance-rails')!;
    const f = findings(result, 'error').find((x) => x.title.includes('fk_rails_ledger_snapshots_account'))!;
    expect(f.title).toBe('500 orphaned row(s) in public.ledger_snapshots (account_id) → public.accounts (id), constraint fk_rails_ledger_snapshots_account, 500 distinct key(s)');
    expect(f.detail).toMatch(/NOT VALID: rows that existed when it was added were never checked\. Example keys: 900001; 900002; 900003; 900004; 900005\./);
  });

  it('names the half-NULL keys of the MATCH FULL foreign key', () => {
    const f = findings(planted.get('finance-rails')!.result, 'error').find((x) => x.title.includes('fk_rate_alerts_pair'))!;
    expect(f.title).toMatch(/^2 violating row\(s\) in public\.rate_alerts \(from_currency, to_currency\) .*\(2 with a partly-NULL key under MATCH FULL\)$/);
    expect(f.recommendation).toMatch(/MATCH FULL forbids/);
  });

  it('says merchant_id = 0 is a placeholder and advises NULL, not fixing rows', () => {
    const f = findings(planted.get('finance-rails')!.result, 'error').find((x) => x.title.includes('fk_rails_transactions_merchant'))!;
    expect(f.title).toBe("12000 orphaned row(s) in public.transactions (merchant_id) → public.merchants (id), constraint fk_rails_transactions_merchant, all holding the placeholder '0'");
    expect(f.recommendation).toMatch(/^Every violating row holds '0', a placeholder for "none", not a lost parent: store NULL instead .*ALTER TABLE public\.transactions ALTER COLUMN merchant_id DROP DEFAULT, ALTER COLUMN merchant_id DROP NOT NULL; UPDATE public\.transactions SET merchant_id = NULL WHERE merchant_id = '0';/);
    expect(f.recommendation).not.toMatch(/delete them/);
  });

  it('finds money in a domain over double precision', () => {
    const types = check(planted.get('finance-rails')!.result, 'integrity.types');
    expect(types.status).toBe('fail');
    expect(types.findings.map((f) => f.title)).toContain('money column public.credit_cards.annual_fee is double precision (through domain cash)');
  });

  it('fails the score as damaged', () => {
    const { result } = planted.get('finance-rails')!;
    expect(check(result, 'integrity.score')).toMatchObject({ status: 'fail', info: { state: 'damaged' } });
    expect(scoreOf(result)!.value).toBeLessThan(0.5);
  });
});

describe('planted music-store', () => {
  it('finds camelCase "unitPrice" real and Freight in double precision', () => {
    const titles = check(planted.get('music-store')!.result, 'integrity.types').findings.map((f) => f.title);
    expect(titles).toEqual(expect.arrayContaining(['money column chinook.GiftCard.unitPrice is real', 'money column chinook.Invoice.Freight is double precision']));
  });

  it('finds the shared bigint sequence, owned by none, near the end of the int4 columns it feeds', () => {
    const c = check(planted.get('music-store')!.result, 'integrity.catalog');
    const f = c.findings.find((x) => x.subject === 'chinook.catalogue_id_seq')!;
    expect(f.severity).toBe('error');
    expect(f.title).toMatch(/^sequence chinook\.catalogue_id_seq feeding chinook\.(Genre\.GenreId|MediaType\.MediaTypeId) \(integer, shared by 2 column\(s\) through DEFAULT nextval\(\) and owned by none\) has used 99\.\d% of its range/);
    expect(f.recommendation).toContain('ALTER TABLE chinook."Genre" ALTER COLUMN "GenreId" TYPE bigint;');
    expect(f.recommendation).toContain('ALTER TABLE chinook."MediaType" ALTER COLUMN "MediaTypeId" TYPE bigint;');
  });

  it('advises ALTER TABLE … DROP CONSTRAINT for a duplicate index that backs a UNIQUE constraint', () => {
    const f = check(planted.get('music-store')!.result, 'integrity.catalog').findings.find((x) => x.title.startsWith('chinook.Customer has identical indexes'))!;
    expect(f.recommendation).toBe('ALTER TABLE chinook."Customer" DROP CONSTRAINT "UQ_Customer_Email_again"; (keeps UQ_Customer_Email, constraint UQ_Customer_Email)');
  });

  it('keeps hazards out of the score: no data is damaged, so the score stays 1 while types and catalog fail on their own', () => {
    const { result } = planted.get('music-store')!;
    expect(check(result, 'integrity.types').status).toBe('fail');
    expect(check(result, 'integrity.catalog').status).toBe('fail');
    expect(check(result, 'integrity.score')).toMatchObject({ status: 'pass', info: { state: 'clean' } });
  });
});

describe('planted bookkeeping', () => {
  it('advises one DROP INDEX on the partitioned parent, not one per partition', () => {
    const dups = check(planted.get('bookkeeping')!.result, 'integrity.catalog').findings.filter((x) => x.title.includes('identical indexes'));
    expect(dups.map((f) => f.recommendation)).toEqual(['DROP INDEX books.journal_lines_account_again; (keeps journal_lines_account)']);
  });

  it('names the invalid partitioned index and advises a DROP INDEX that runs on a partitioned table', () => {
    const f = check(planted.get('bookkeeping')!.result, 'integrity.catalog').findings.find((x) => x.subject === 'books.journal_lines_memo')!;
    expect(f).toMatchObject({ severity: 'error', title: 'index books.journal_lines_memo on journal_lines is invalid' });
    expect(f.recommendation).toMatch(/DROP INDEX books\.journal_lines_memo;$/);
    expect(f.recommendation).not.toMatch(/CONCURRENTLY/);
  });

  it('does not call the foreign key "valid and enforced" when its triggers are disabled on one partition', () => {
    const f = findings(planted.get('bookkeeping')!.result, 'error').find((x) => x.title.includes('journal_lines_entry_id_fkey'))!;
    expect(f.title).toBe('2 orphaned row(s) in books.journal_lines (entry_id) → books.journal_entries (id), constraint journal_lines_entry_id_fkey, 1 distinct key(s)');
    expect(f.detail).toMatch(/^The constraint is valid, but its triggers are disabled on books\.journal_lines_2025_03/);
    expect(f.detail).not.toMatch(/valid and its triggers are enabled everywhere/);
    expect(f.recommendation).toContain('ALTER TABLE books.journal_lines_2025_03 ENABLE TRIGGER ALL;');
  });

  it('finds the unbalanced entry and the row violating the NOT VALID check', () => {
    const { result } = planted.get('bookkeeping')!;
    expect(findings(result, 'error').map((f) => f.title)).toEqual(expect.arrayContaining([
      'invariant "journal_balances" is broken: 1 offending row(s)',
      'invariant "lines_have_entries" is broken: 2 offending row(s)',
      expect.stringMatching(/^1 row\(s\) of books\.journal_entries violate the NOT VALID check constraint journal_entries_in_fiscal_year/),
    ]));
    expect(check(result, 'integrity.score')).toMatchObject({ status: 'fail', info: { state: 'damaged' } });
  });
});

describe('recommendations run as written', () => {
  it('every DROP INDEX / ALTER TABLE / UPDATE recommended runs in a rolled-back transaction; only VALIDATE and SET NOT NULL wait for the rows to be fixed', async () => {
    const failures: unknown[] = [];
    let ran = 0;
    for (const name of FIXTURES) {
      const { db, result } = planted.get(name)!;
      const before = await databaseChecksum(db);
      const tried = await tryRecommendations(db, findings(result));
      const broken = findings(result, 'error').map((f) => f.title);
      ran += tried.length;
      for (const t of tried) {
        // Refused by the data (23xxx), never by the statement: a constraint validated over rows that still break it, or
        // a row the fix touches that also breaks another constraint the run reported (the late accrual has department 0).
        const constraint = /constraint "([^"]+)"/.exec(t.message ?? '')?.[1];
        const waits = /^23/.test(t.error ?? '') && (/VALIDATE CONSTRAINT|SET NOT NULL/.test(t.statement) || (constraint !== undefined && broken.some((b) => b.includes(constraint))));
        if (t.error && !waits) failures.push(t);
      }
      expect(await databaseChecksum(db)).toBe(before);
    }
    expect(failures).toEqual([]);
    console.log(`recommended statements run in rolled-back transactions: ${ran}`);
    expect(ran).toBeGreaterThanOrEqual(15);
  }, 120_000);
});
