// Test fixture for the integrity checks: schema `app` with planted defects, the same schema done right, the config that declares its rules, and a content checksum.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { IntegrityConfig } from '../../src/config/sections/integrity.js';
import type { TestDatabase } from './pg.js';

/** Tables shared by both variants; `money` and `stamp` are the column types of amounts and event times. */
function tablesSql(money: string, stamp: string): string {
  return `
    CREATE SCHEMA app;
    CREATE TABLE app.users (id serial PRIMARY KEY, email text NOT NULL);
    CREATE TABLE app.accounts (id serial PRIMARY KEY, user_id integer NOT NULL REFERENCES app.users (id), iban text, currency text, balance numeric(19,4) NOT NULL DEFAULT 0);
    CREATE TABLE app.transactions (id bigserial PRIMARY KEY, account_id integer NOT NULL, amount ${money} NOT NULL, booked_at ${stamp} NOT NULL);
    CREATE TABLE app.payments (id serial PRIMARY KEY, user_id integer NOT NULL, amount numeric(19,4) NOT NULL);
    CREATE TABLE app.journal_lines (id serial PRIMARY KEY, entry_id integer NOT NULL, debit numeric(19,4) NOT NULL DEFAULT 0, credit numeric(19,4) NOT NULL DEFAULT 0);
    CREATE TABLE app.counters (id serial PRIMARY KEY, label text);
    INSERT INTO app.users (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, 20) g;
    INSERT INTO app.accounts (user_id, iban, currency) SELECT g, 'DE' || lpad(g::text, 20, '0'), 'EUR' FROM generate_series(1, 20) g;
    INSERT INTO app.transactions (account_id, amount, booked_at) SELECT 1 + g % 20, (g % 97) + 0.25, '2025-01-01'::timestamp + g * interval '1 hour' FROM generate_series(1, 500) g;
    INSERT INTO app.payments (user_id, amount) SELECT 1 + g % 20, g FROM generate_series(1, 50) g;
    INSERT INTO app.journal_lines (entry_id, debit, credit) SELECT g, 100, 0 FROM generate_series(1, 10) g;
    INSERT INTO app.journal_lines (entry_id, debit, credit) SELECT g, 0, 100 FROM generate_series(1, 10) g;
    INSERT INTO app.counters (label) VALUES ('a'), ('b');`;
}

/**
 * Every defect the issue lists, one each: orphans behind a NOT VALID foreign key and behind one whose triggers are
 * disabled, a violated NOT VALID check, money in double precision, a naive timestamp, NULLs in a declared not-null
 * column, a duplicate in a declared unique column, an unbalanced journal entry, an invalid and a duplicate index, a
 * sequence near overflow, and a *_id column without a constraint that has orphans.
 */
export async function plantDefects(db: TestDatabase): Promise<void> {
  await db.sql(tablesSql('double precision', 'timestamp'));
  await db.sql(`
    INSERT INTO app.transactions (account_id, amount, booked_at) VALUES (999, 10, '2025-02-01'), (998, -5, '2025-02-02');
    ALTER TABLE app.transactions ADD CONSTRAINT transactions_account_fk FOREIGN KEY (account_id) REFERENCES app.accounts (id) NOT VALID;
    ALTER TABLE app.transactions ADD CONSTRAINT transactions_amount_nonzero CHECK (amount > -1) NOT VALID;
    ALTER TABLE app.payments ADD CONSTRAINT payments_user_fk FOREIGN KEY (user_id) REFERENCES app.users (id);
    ALTER TABLE app.payments DISABLE TRIGGER ALL;
    INSERT INTO app.payments (user_id, amount) VALUES (777, 1);
    ALTER TABLE app.payments ENABLE TRIGGER USER;
    ALTER TABLE app.journal_lines ADD COLUMN account_id integer;
    UPDATE app.journal_lines SET account_id = 1 + id % 20;
    UPDATE app.journal_lines SET account_id = 555 WHERE id = 1;
    UPDATE app.accounts SET currency = NULL WHERE id IN (3, 4, 5);
    UPDATE app.accounts SET iban = 'DE00000000000000000001' WHERE id = 2;
    UPDATE app.journal_lines SET debit = 90 WHERE entry_id = 7 AND debit = 100;
    CREATE INDEX payments_amount_a ON app.payments (amount);
    CREATE INDEX payments_amount_b ON app.payments (amount);
    SELECT setval('app.counters_id_seq', 2000000000);
    ANALYZE app.users, app.accounts, app.transactions, app.payments, app.journal_lines, app.counters;`);
  // A unique index built concurrently over duplicates fails and stays behind, invalid: the way it happens in production.
  await db.sql(`CREATE UNIQUE INDEX CONCURRENTLY accounts_iban_unique ON app.accounts (iban)`).catch(() => undefined);
}

/** The same tables with every rule kept: numeric money, timestamptz, validated foreign keys, no NULLs, balanced entries. */
export async function createClean(db: TestDatabase): Promise<void> {
  await db.sql(tablesSql('numeric(19,4)', 'timestamptz'));
  await db.sql(`
    ALTER TABLE app.transactions ADD CONSTRAINT transactions_account_fk FOREIGN KEY (account_id) REFERENCES app.accounts (id);
    ALTER TABLE app.transactions ADD CONSTRAINT transactions_amount_nonzero CHECK (amount > -1);
    ALTER TABLE app.payments ADD CONSTRAINT payments_user_fk FOREIGN KEY (user_id) REFERENCES app.users (id);
    ALTER TABLE app.journal_lines ADD COLUMN account_id integer REFERENCES app.accounts (id);
    UPDATE app.journal_lines SET account_id = 1 + id % 20;
    CREATE UNIQUE INDEX accounts_iban_unique ON app.accounts (iban);
    ANALYZE app.users, app.accounts, app.transactions, app.payments, app.journal_lines, app.counters;`);
}

/** The rules a user of `app` declares in the config. */
export const fixtureIntegrityConfig = {
  not_null: [{ table: 'app.accounts', columns: ['currency', 'iban'] }],
  unique: [{ table: 'accounts', columns: ['iban'] }],
  invariants: [
    {
      name: 'journal_balances', description: 'every journal entry balances: debits = credits',
      sql: 'SELECT entry_id, sum(debit) AS debits, sum(credit) AS credits FROM app.journal_lines GROUP BY entry_id HAVING sum(debit) <> sum(credit);',
    },
    { name: 'no_negative_balances', sql: 'SELECT id FROM app.accounts WHERE balance < 0' },
  ],
} satisfies Partial<IntegrityConfig>;

/** md5 over every table of a schema, row by row in a fixed order, plus its definition (columns, constraints, indexes). */
export async function schemaChecksum(db: TestDatabase, schema: string): Promise<string> {
  const tables = await db.sql<{ t: string }>(`SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, [schema]);
  const parts: string[] = [];
  for (const { t } of tables) {
    const [row] = await db.sql<{ sum: string | null }>(`SELECT md5(string_agg(x::text, E'\\n' ORDER BY x::text)) AS sum FROM ${t} x`);
    parts.push(`${t}:${row!.sum}`);
  }
  const [def] = await db.sql<{ sum: string }>(`
    SELECT md5(coalesce(string_agg(d, E'\\n' ORDER BY d), '')) AS sum FROM (
      SELECT c.relname || ':' || c.relkind::text || ':' || coalesce(pg_get_indexdef(c.oid), '') AS d FROM pg_class c WHERE c.relnamespace = $1::text::regnamespace
      UNION ALL SELECT conname || ':' || pg_get_constraintdef(oid) || convalidated FROM pg_constraint WHERE connamespace = $1::text::regnamespace
      UNION ALL SELECT sequencename || ':' || coalesce(last_value::text, '') FROM pg_sequences WHERE schemaname = $1::text) x`, [schema]);
  return `${parts.join(',')}|${def!.sum}`;
}

/** The application-style fixtures under test/fixtures/realworld (clean), each with a `.defects.sql` to plant into a copy. */
export type RealWorldFixture = 'finance-rails' | 'music-store' | 'bookkeeping';

const REALWORLD = fileURLToPath(new URL('../fixtures/realworld/', import.meta.url));

/** Loads a fixture (and its planted defects when asked) into a fresh database with one connection: plain SQL, COPY-free generate_series. */
export async function loadRealWorld(db: TestDatabase, name: RealWorldFixture, opts: { defects?: boolean } = {}): Promise<void> {
  await db.sql(await readFile(path.join(REALWORLD, `integrity-${name}.sql`), 'utf8'));
  if (opts.defects) await db.sql(await readFile(path.join(REALWORLD, `integrity-${name}.defects.sql`), 'utf8'));
}

/** md5 of every user table's rows and of the catalog's definitions (relations, constraints, triggers, rules, sequences, large objects): equal before and after means nothing was written. */
export async function databaseChecksum(db: TestDatabase): Promise<string> {
  const schemas = await db.sql<{ s: string }>(`SELECT nspname AS s FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%' ORDER BY 1`);
  const parts = await Promise.all(schemas.map(({ s }) => schemaChecksum(db, s)));
  const [cat] = await db.sql<{ sum: string }>(`
    SELECT md5(string_agg(d, E'\\n' ORDER BY d)) AS sum FROM (
      SELECT 'ext:' || extname || extversion AS d FROM pg_extension
      UNION ALL SELECT 'trg:' || tgname || tgenabled::text FROM pg_trigger
      UNION ALL SELECT 'rule:' || rulename FROM pg_rewrite WHERE ev_class >= 16384
      UNION ALL SELECT 'lo:' || loid || ':' || pageno || ':' || md5(data) FROM pg_largeobject
      UNION ALL SELECT 'proc:' || proname FROM pg_proc WHERE pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)) x`);
  return `${parts.join('|')}#${cat!.sum}`;
}

/** One statement a recommendation asks to run, and how it went when run in a transaction that was rolled back. */
export interface TriedStatement {
  finding: string;
  statement: string;
  /** SQLSTATE when it failed, or null. */
  error: string | null;
  message?: string;
}

/**
 * Runs every DROP INDEX / ALTER TABLE / ALTER SEQUENCE / UPDATE / ANALYZE statement the findings recommend, finding by
 * finding, each in one transaction that is rolled back (a savepoint per statement, so a failure does not hide the next).
 * DROP INDEX CONCURRENTLY cannot run in a transaction: its non-concurrent equivalent is run instead (same object, same checks).
 */
export async function tryRecommendations(db: TestDatabase, findings: Array<{ title: string; recommendation?: string }>): Promise<TriedStatement[]> {
  const client = new pg.Client({ connectionString: db.url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  const tried: TriedStatement[] = [];
  try {
    for (const f of findings) {
      const statements = f.recommendation?.match(/\b(?:DROP INDEX|ALTER TABLE|ALTER SEQUENCE|UPDATE|ANALYZE)\b(?:[^;'"]|'[^']*'|"[^"]*")*;/g) ?? [];
      if (statements.length === 0) continue;
      await client.query('BEGIN');
      try {
        for (const statement of statements) {
          await client.query('SAVEPOINT s');
          try {
            await client.query(statement.replace(/^DROP INDEX CONCURRENTLY /, 'DROP INDEX '));
            tried.push({ finding: f.title, statement, error: null });
          } catch (err) {
            const e = err as { code?: string; message?: string };
            tried.push({ finding: f.title, statement, error: e.code ?? 'unknown', message: e.message });
            await client.query('ROLLBACK TO SAVEPOINT s');
          }
        }
      } finally {
        await client.query('ROLLBACK');
      }
    }
  } finally {
    await client.end();
  }
  return tried;
}
