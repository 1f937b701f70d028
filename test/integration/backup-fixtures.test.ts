// backup.roundtrip on real-style databases: a personal-finance schema, `public` and quoted schema names, ICU and LATIN1 databases, the size limit, and a tampered restore of each kind of object.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupChecks } from '../../src/checks/backup/index.js';
import { roundTrip, type RoundTripHooks } from '../../src/checks/backup/roundtrip.js';
import type { Check } from '../../src/checks/types.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { CheckResult, RunResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { bookkeepingFixtureSql, createLocaleDatabase, financeFixtureSql, LOCALE_FIXTURE_SQL, musicStoreFixtureSql } from '../helpers/backup-fixture.js';
import { withDatabase, type TestDatabase } from '../helpers/pg.js';

const roundtrip = backupChecks.find((c) => c.id === 'backup.roundtrip')!;
const withHooks = (hooks: RoundTripHooks): Check => ({ ...roundtrip, run: (ctx) => roundTrip(ctx, hooks) });

async function runOn(db: TestDatabase, extra: Omit<ConfigInput, 'database_url'> = {}, check: Check = roundtrip): Promise<CheckResult> {
  const r: RunResult = await run({ config: validateConfig({ database_url: db.url, ...extra }), checks: [check], signal: new AbortController().signal, log: silentLogger() });
  return r.checks[0]!;
}

const counter = (c: CheckResult, name: string) => (c.metrics.find((m) => m.name === name) as { count: number } | undefined)?.count;
const gauge = (c: CheckResult, name: string) => (c.metrics.find((m) => m.name === name) as { value: number } | undefined)?.value;
const ms = (c: CheckResult, name: string) => (c.metrics.find((m) => m.name === name) as { summary: { max: number } } | undefined)?.summary.max;
const errors = (c: CheckResult) => c.findings.filter((f) => f.severity === 'error');
const scopeInfo = (c: CheckResult) => c.info.scope as { how: string; schemas: string[]; compared: string[]; notCompared: string[]; leftOut: { table: string; why: string }[] };

function figures(label: string, c: CheckResult): void {
  console.log(`${label}: ${c.status}; dump ${ms(c, 'dump_duration')?.toFixed(0)} ms, ${gauge(c, 'dump_size_bytes')} B archive; restore ${ms(c, 'restore_duration')?.toFixed(0)} ms; `
    + `data ${gauge(c, 'data_size_bytes')} B; ${counter(c, 'tables_compared')} tables, ${counter(c, 'matviews_compared')} matviews, ${counter(c, 'sequences_compared')} sequences, `
    + `${counter(c, 'large_objects_compared')} large objects, ${counter(c, 'definitions_compared')} definitions, ${counter(c, 'rows_compared')} rows compared; mismatches ${counter(c, 'restore_mismatches')}`);
}

/** Runs `sql` in the round trip's scratch database (the hook names it; the test knows its server). */
async function onScratch(db: TestDatabase, scratch: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(db.url, scratch) });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('backup.roundtrip on a personal-finance schema', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createLocaleDatabase();
    await db.sql(financeFixtureSql(60_000));
    // stackprobe's own schema on the user's server: never in the default scope.
    await db.sql(`CREATE SCHEMA stackprobe; CREATE TABLE stackprobe.scratch_data (id int)`);
    // Database-level settings a dump does not carry: they change how values and definitions print in the source's sessions only.
    await db.sql(`ALTER DATABASE ${db.name} SET TimeZone = 'Pacific/Chatham'; ALTER DATABASE ${db.name} SET DateStyle = 'SQL, DMY';
      ALTER DATABASE ${db.name} SET IntervalStyle = 'sql_standard'; ALTER DATABASE ${db.name} SET search_path = "Finance", public; ALTER DATABASE ${db.name} SET extra_float_digits = -3`);
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('passes by default on the user\'s schemas, and says what was compared and what was not', async () => {
    const c = await runOn(db);
    figures('finance fixture (default scope)', c);
    expect(c.status, c.reason).toBe('pass');
    expect(errors(c)).toEqual([]);
    const s = scopeInfo(c);
    expect(s.schemas).toEqual(['Finance', 'acct.v2', 'public', 'we"ird']);
    expect(s.how).toMatch(/^your schemas/);
    expect(s.compared).toEqual(['12 tables (partitions counted one by one)', '1 unlogged tables', '1 materialised views', '7 sequences (last_value, is_called)', '120 large objects (count, oids and content)',
      expect.stringMatching(/^\d+ definitions \(columns, constraints, indexes, triggers, rules, policies, views, functions, domains, enums, sequences; by meaning\)$/)]);
    expect(counter(c, 'definitions_compared')).toBeGreaterThan(100);
    expect(s.notCompared.join('\n')).toMatch(/roles, ownership and privileges/);
    expect(c.findings.find((f) => f.subject === 'scope')!.title).toMatch(/^scope: your schemas .*: schemas Finance, acct\.v2, public, we"ird; compared 12 tables/);
    expect(counter(c, 'rows_compared')).toBeGreaterThan(60_000);
    expect(counter(c, 'large_objects_compared')).toBe(120);
    expect(c.metrics.filter((m) => m.headline).map((m) => [m.name, m.meaning])).toEqual([['restore_mismatches', 'defects']]);
    expect(c.metrics.filter((m) => m.meaning === undefined).map((m) => m.name)).toEqual([]);
  }, 120_000);

  it('passes for schemas named exactly: public, a mixed-case one, one with a dot and one with a quote', async () => {
    const pub = await runOn(db, { backup: { schemas: ['public'] } });
    expect(pub.status, pub.reason).toBe('pass');
    expect(scopeInfo(pub).schemas).toEqual(['public']);
    const odd = await runOn(db, { backup: { schemas: ['Finance', 'acct.v2', 'we"ird'] } });
    figures('finance fixture (quoted schemas)', odd);
    expect(odd.status, odd.reason).toBe('pass');
    expect(scopeInfo(odd).schemas).toEqual(['Finance', 'acct.v2', 'we"ird']);
    expect(counter(odd, 'tables_compared')).toBe(4);
    // A lower-case name does not match "Finance": names are exact.
    const miss = await runOn(db, { backup: { schemas: ['finance'] } });
    expect(miss.status).toBe('skip');
  }, 120_000);

  it('fails on a tampered restore of each kind of object, naming the object and its kind', async () => {
    const tamper = withHooks({
      beforeCompare: (scratch) => onScratch(db, scratch, `
        DELETE FROM public.transactions_2025_q2 WHERE id = (SELECT min(id) FROM public.transactions_2025_q2);
        UPDATE public.sessions SET data = '{}' WHERE id = (SELECT id FROM public.sessions ORDER BY id LIMIT 1);
        UPDATE "Finance"."Ledger Entries" SET "unitPrice" = "unitPrice" + 1 WHERE id = 7;
        UPDATE "acct.v2".entries SET note = 'changed' WHERE entry_no = 3;
        SELECT setval('public.invoice_number_seq', 5);
        DROP MATERIALIZED VIEW public.monthly_spending;
        CREATE MATERIALIZED VIEW public.monthly_spending AS SELECT account_id, date_trunc('month', booked_on)::date AS month, sum(amount) AS total, count(*) AS n
          FROM public.transactions WHERE account_id <> 1 GROUP BY 1, 2;
        SELECT lo_put((SELECT min(oid) FROM pg_largeobject_metadata), 0, '\\x00');
        DROP TRIGGER accounts_touch ON public.accounts;
        ALTER TABLE public.accounts ALTER COLUMN currency DROP DEFAULT;
        DROP INDEX public.transactions_account_id_booked_on_idx;
        CREATE INDEX extra_idx ON "Finance"."Ledger Entries" (description);`),
    });
    const c = await runOn(db, {}, tamper);
    expect(c.status).toBe('fail');
    expect(c.reason).toBeUndefined();
    const defs = errors(c).filter((f) => f.data?.what !== undefined);
    // Dropping the partitioned index drops it on every partition: one finding each.
    expect(defs.length).toBeGreaterThanOrEqual(4);
    expect(errors(c).filter((f) => f.data?.what === undefined).map((f) => [f.data?.kind, f.subject]).sort()).toEqual([
      ['large objects', 'large objects'], ['materialised view', 'public.monthly_spending'], ['sequence', 'public.invoice_number_seq'],
      ['table', 'Finance.Ledger Entries'], ['table', 'acct.v2.entries'], ['table', 'public.transactions_2025_q2'], ['unlogged table', 'public.sessions'],
    ]);
    expect(defs.map((f) => f.title)).toEqual(expect.arrayContaining([
      'restored database lacks trigger public.accounts.accounts_touch', "restored column public.accounts.currency is defined differently from the source: 'EUR'::bpchar → (none)",
      'restored database lacks index public.transactions_account_id_booked_on_idx', 'restored database has index "Finance".extra_idx, which the source lacks',
    ]));
    expect(counter(c, 'restore_mismatches')).toBe(7 + defs.length);
    expect(errors(c).map((f) => f.title)).toEqual(expect.arrayContaining([
      'restored sequence public.invoice_number_seq is at 5, the source at 1036',
      expect.stringMatching(/^restored large objects differ from the source \(120 objects → 120, content checksum differs\)$/),
    ]));
  }, 120_000);

  it('passes when the source materialised view is stale (the restore refreshes it) and says so', async () => {
    await db.sql(`INSERT INTO public.transactions (account_id, booked_on, amount) VALUES (1, '2025-02-02', 1.00)`);
    try {
      const c = await runOn(db, { backup: { schemas: ['public'] } });
      expect(c.status, c.reason).toBe('pass');
      expect(c.findings.map((f) => f.title)).toContainEqual(expect.stringMatching(/^materialised view public\.monthly_spending is stale on the source: the restore refreshed it/));
    } finally {
      await db.sql(`DELETE FROM public.transactions WHERE amount = 1.00 AND booked_on = '2025-02-02' AND memo IS NULL`);
    }
  }, 120_000);

  it('above the size limit dumps the biggest tables without data, names them with the reason, and warns', async () => {
    const c = await runOn(db, { backup: { max_bytes: 1_000_000 } });
    expect(c.status, c.reason).toBe('warn');
    const left = scopeInfo(c).leftOut;
    expect(left.map((l) => l.table)).toEqual(expect.arrayContaining(['public.transactions_2025_q1', 'public.monthly_spending']));
    expect(left.find((l) => l.table === 'public.transactions_2025_q1')!.why).toMatch(/^beyond the size limit/);
    expect(left.find((l) => l.table === 'public.monthly_spending')!.why).toMatch(/^beyond the size limit|materialised view is refreshed/);
    expect(c.findings.find((f) => f.severity === 'warn')!.title).toMatch(/^\d+ tables or views were dumped without data and not compared: .* beyond config\.backup\.max_bytes/);
    expect(errors(c)).toEqual([]);
    expect(gauge(c, 'bytes_left_out')).toBeGreaterThan(1_000_000);
    // Quick mode on a user's server reads at most quick_max_bytes even when max_bytes is higher.
    const quick = await runOn(db, { backup: { quick_max_bytes: 1_000_000 } });
    expect(scopeInfo(quick).leftOut.length).toBeGreaterThan(0);
    expect(quick.findings.find((f) => f.severity === 'warn')!.title).toMatch(/config\.backup\.quick_max_bytes/);
    const full = await runOn(db, { mode: 'full', backup: { quick_max_bytes: 1_000_000 } });
    expect(full.status, full.reason).toBe('pass');
  }, 180_000);
});

describe('backup.roundtrip keeps the source database\'s encoding and locale', () => {
  const cases = [
    { label: 'ICU-collated database (de-DE)', clause: `LOCALE_PROVIDER icu ICU_LOCALE 'de-DE' LOCALE 'C.UTF-8' ENCODING 'UTF8'`, provider: 'i', encoding: 'UTF8' },
    { label: 'LATIN1 database (C locale)', clause: `ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'`, provider: 'c', encoding: 'LATIN1' },
  ];
  for (const k of cases) {
    it(`passes on an ${k.label}, and fails when its restore is tampered`, async () => {
      const db = await createLocaleDatabase({ clause: k.clause });
      try {
        await db.sql(LOCALE_FIXTURE_SQL);
        const c = await runOn(db);
        figures(k.label, c);
        expect(c.status, c.reason).toBe('pass');
        expect(c.info.sourceLocale).toMatchObject({ provider: k.provider, encoding: k.encoding });
        const t = await runOn(db, {}, withHooks({ beforeCompare: (scratch) => onScratch(db, scratch, `UPDATE public.payees SET city = 'Zurich' WHERE name = 'Zoë 3'`) }));
        expect(t.status).toBe('fail');
        expect(errors(t).map((f) => f.subject)).toEqual(['public.payees']);
      } finally {
        await db.drop();
      }
    }, 120_000);
  }
});

describe('backup.roundtrip on two more real-style schemas', () => {
  const fixtures = [
    { label: 'music store (Chinook style)', sql: musicStoreFixtureSql(), tamper: `UPDATE "Track" SET "UnitPrice" = 9.99 WHERE "TrackId" = 17`, subject: 'public.Track' },
    { label: 'bookkeeping (Django style)', sql: bookkeepingFixtureSql(), tamper: `ALTER TABLE ledger.journal_line ENABLE TRIGGER journal_line_balanced`, subject: 'ledger.journal_line.journal_line_balanced' },
  ];
  for (const f of fixtures) {
    it(`passes on the ${f.label} and fails when its restore is tampered`, async () => {
      const db = await createLocaleDatabase();
      try {
        await db.sql(f.sql);
        const c = await runOn(db);
        figures(f.label, c);
        expect(c.status, c.reason).toBe('pass');
        expect(errors(c)).toEqual([]);
        const t = await runOn(db, {}, withHooks({ beforeCompare: (scratch) => onScratch(db, scratch, f.tamper) }));
        expect(t.status).toBe('fail');
        expect(errors(t).map((e) => e.subject)).toEqual([f.subject]);
      } finally {
        await db.drop();
      }
    }, 180_000);
  }
});
