// Test helper for the restore drill: a small ledger in the style of a real finance app, its invariant, and pg_dump archives of it.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestDatabase } from './pg.js';

const exec = promisify(execFile);
export const PG_BIN = '/usr/lib/postgresql/15/bin';

/** A double-entry ledger: every journal entry's postings sum to zero. Schema name with mixed case and a quote, to test quoting. */
export const LEDGER_SQL = `
  CREATE SCHEMA "Ledger's";
  CREATE TABLE "Ledger's".accounts (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, kind text NOT NULL CHECK (kind IN ('asset', 'liability', 'income', 'expense')));
  CREATE TABLE "Ledger's".journal_entries (id bigserial PRIMARY KEY, booked_at timestamptz NOT NULL DEFAULT now(), memo text);
  CREATE TABLE "Ledger's".postings (id bigserial PRIMARY KEY, entry_id bigint NOT NULL REFERENCES "Ledger's".journal_entries(id), account_id bigint NOT NULL REFERENCES "Ledger's".accounts(id), amount numeric(14,2) NOT NULL);
  CREATE INDEX ON "Ledger's".postings (entry_id);
  CREATE INDEX ON "Ledger's".postings (account_id);
  INSERT INTO "Ledger's".accounts (name, kind) SELECT 'account ' || g, (ARRAY['asset','liability','income','expense'])[1 + g % 4] FROM generate_series(1, 40) g;
  INSERT INTO "Ledger's".journal_entries (memo) SELECT 'entry ' || g FROM generate_series(1, 3000) g;
  INSERT INTO "Ledger's".postings (entry_id, account_id, amount)
    SELECT e, 1 + e % 40, round((e % 97) * 1.25, 2) FROM generate_series(1, 3000) e
    UNION ALL SELECT e, 1 + (e + 7) % 40, -round((e % 97) * 1.25, 2) FROM generate_series(1, 3000) e;
`;

export const BALANCED_INVARIANT = {
  name: 'journal_balances',
  sql: `SELECT entry_id FROM "Ledger's".postings GROUP BY entry_id HAVING sum(amount) <> 0`,
  description: 'each journal entry sums to zero',
};

/** The ledger's SQL (one multi-statement string, our own, for the simple protocol). */
export function createLedgerSql(): string {
  return LEDGER_SQL;
}

export async function createLedger(db: TestDatabase): Promise<void> {
  await db.sql(LEDGER_SQL);
}

/** pg_dump -Fc (or -Fd) of the database, the URL's connection data passed through the environment. */
export async function dumpDatabase(db: TestDatabase, file: string, format: 'c' | 'd' = 'c'): Promise<void> {
  const u = new URL(db.url);
  await exec(path.join(PG_BIN, 'pg_dump'), [`-F${format}`, '-f', file], { env: { ...process.env, PGHOST: u.hostname, PGPORT: u.port || '5432', PGUSER: decodeURIComponent(u.username), PGDATABASE: db.name } });
}

/** Drill roots in the temp folder marked as owned by `pid` (none may survive a drill). */
export function drillRootsOf(pid: number): string[] {
  return readdirSync(os.tmpdir()).filter((n) => n.startsWith('stackprobe-drill-')).map((n) => path.join(os.tmpdir(), n))
    .filter((d) => existsSync(path.join(d, 'owner.pid')) && Number(readFileSync(path.join(d, 'owner.pid'), 'utf8').trim()) === pid);
}
