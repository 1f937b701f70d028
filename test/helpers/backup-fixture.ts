// Test helper: databases with a chosen encoding/locale, and a personal-finance schema in the style of a real Rails/Django app for the backup round trip.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { quoteIdent } from '../../src/workload/sql.js';
import { TEST_PG_URL, type TestDatabase } from './pg.js';

export interface LocaleOptions {
  /** e.g. `ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'` or `LOCALE_PROVIDER icu ICU_LOCALE 'de-DE'`. */
  clause: string;
}

async function onServer<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh database created from template0 with the given locale clause; dropped WITH (FORCE) by drop(). */
export async function createLocaleDatabase(opts: LocaleOptions = { clause: '' }): Promise<TestDatabase> {
  const name = `stackprobe_t_${randomBytes(6).toString('hex')}`;
  await onServer((c) => c.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0 ${opts.clause}`));
  const u = new URL(TEST_PG_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  return {
    name, url,
    open: () => Promise.reject(new Error('not used by the backup tests')),
    async sql(text, values) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
      await client.connect();
      try {
        return (await client.query(text, values)).rows;
      } finally {
        await client.end();
      }
    },
    drop: () => onServer((c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`)).then(() => undefined),
  };
}

/**
 * A budgeting app: Rails-style timestamps and polymorphic attachments, domains, an ICU-collated name column, a
 * transactions table partitioned by quarter, a trigger and a rule, receipts as large objects, an audit log without a
 * primary key, an unlogged sessions table, a materialised view, sequences (one advanced, one never called), and
 * schemas whose names need quoting: "Finance", "acct.v2", we"ird. `rows` transactions (default 20,000).
 */
export function financeFixtureSql(rows = 20_000): string {
  return `
CREATE EXTENSION citext SCHEMA public;
CREATE TYPE public.account_kind AS ENUM ('checking', 'savings', 'credit', 'brokerage');
CREATE DOMAIN public.money_amount AS numeric(14,2) CHECK (VALUE > -1000000000000);
CREATE DOMAIN public.currency_code AS char(3) CHECK (VALUE ~ '^[A-Z]{3}$');
CREATE TABLE public.users (id bigserial PRIMARY KEY, email public.citext NOT NULL UNIQUE, display_name text COLLATE "de-x-icu",
  created_at timestamp(6) NOT NULL DEFAULT now(), updated_at timestamp(6) NOT NULL DEFAULT now());
CREATE TABLE public.accounts (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES public.users, name text COLLATE "de-x-icu" NOT NULL,
  currency public.currency_code NOT NULL DEFAULT 'EUR', kind public.account_kind NOT NULL DEFAULT 'checking', parent_id bigint NOT NULL DEFAULT 0,
  created_at timestamp(6) NOT NULL DEFAULT now(), updated_at timestamp(6) NOT NULL DEFAULT now());
CREATE FUNCTION public.touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER accounts_touch BEFORE UPDATE ON public.accounts FOR EACH ROW EXECUTE FUNCTION public.touch_updated_at();
CREATE TABLE public.transactions (id bigint GENERATED ALWAYS AS IDENTITY, account_id bigint NOT NULL REFERENCES public.accounts,
  booked_on date NOT NULL, amount public.money_amount NOT NULL, memo text, PRIMARY KEY (id, booked_on)) PARTITION BY RANGE (booked_on);
CREATE TABLE public.transactions_2025_q1 PARTITION OF public.transactions FOR VALUES FROM ('2025-01-01') TO ('2025-04-01');
CREATE TABLE public.transactions_2025_q2 PARTITION OF public.transactions FOR VALUES FROM ('2025-04-01') TO ('2025-07-01');
CREATE TABLE public.transactions_2025_h2 PARTITION OF public.transactions FOR VALUES FROM ('2025-07-01') TO ('2026-01-01');
CREATE TABLE public.transactions_other PARTITION OF public.transactions DEFAULT;
CREATE INDEX ON public.transactions (account_id, booked_on);
CREATE TABLE public.attachments (id serial PRIMARY KEY, attachable_type varchar NOT NULL, attachable_id bigint NOT NULL, receipt oid NOT NULL,
  created_at timestamp(6) NOT NULL DEFAULT now());
CREATE TABLE public.audit_log (at timestamptz NOT NULL, actor text, action text NOT NULL, payload jsonb);
CREATE RULE audit_log_keep AS ON DELETE TO public.audit_log DO INSTEAD NOTHING;
CREATE UNLOGGED TABLE public.sessions (id uuid PRIMARY KEY, user_id bigint, data jsonb, expires_at timestamptz);
CREATE SEQUENCE public.invoice_number_seq START 1000;
CREATE SEQUENCE public.never_used_seq;

INSERT INTO public.users (email, display_name, created_at, updated_at)
  SELECT 'user' || g || '@example.org', (ARRAY['Äpfel', 'apfel', 'Zoë', 'Øyvind', 'Ölbaum', 'zebra'])[1 + g % 6] || ' ' || g,
    timestamp '2024-01-01' + g * interval '1 hour', timestamp '2024-01-01' + g * interval '1 hour' FROM generate_series(1, 300) g;
INSERT INTO public.accounts (user_id, name, currency) SELECT 1 + g % 300, (ARRAY['Girokonto', 'Sparbuch', 'Kreditkarte', 'Depot'])[1 + g % 4] || ' ' || g,
  (ARRAY['EUR', 'SEK', 'USD'])[1 + g % 3] FROM generate_series(1, 900) g;
UPDATE public.accounts SET name = name || ' (alt)' WHERE id % 7 = 0;
INSERT INTO public.transactions (account_id, booked_on, amount, memo)
  SELECT 1 + g % 900, date '2024-12-01' + (g % 420), round(((g::bigint * 7919) % 200000 - 100000) / 100.0, 2), 'Überweisung #' || g FROM generate_series(1, ${rows}) g;
INSERT INTO public.attachments (attachable_type, attachable_id, receipt)
  SELECT 'Transaction', g, lo_from_bytea(0, convert_to(repeat('receipt ' || g || ' ', 50 + g % 200), 'UTF8')) FROM generate_series(1, 120) g;
INSERT INTO public.audit_log SELECT timestamptz '2025-01-01' + (g % 50) * interval '1 day', 'user' || (g % 10), 'login', jsonb_build_object('ip', '10.0.0.' || g % 3)
  FROM generate_series(1, 2000) g;
INSERT INTO public.sessions SELECT md5(g::text)::uuid, g % 300, jsonb_build_object('cart', g), now() + interval '1 day' FROM generate_series(1, 500) g;
SELECT nextval('public.invoice_number_seq') FROM generate_series(1, 37);
CREATE VIEW public.active_accounts AS SELECT a.id, a.name, u.email FROM public.accounts a JOIN public.users u ON u.id = a.user_id WHERE a.kind <> 'credit';
CREATE MATERIALIZED VIEW public.monthly_spending AS
  SELECT account_id, date_trunc('month', booked_on)::date AS month, sum(amount) AS total, count(*) AS n FROM public.transactions GROUP BY 1, 2;

CREATE SCHEMA "Finance";
CREATE TABLE "Finance"."Ledger Entries" (id serial PRIMARY KEY, "accountId" bigint NOT NULL, "unitPrice" numeric(12,4), description text COLLATE "de-x-icu");
INSERT INTO "Finance"."Ledger Entries" ("accountId", "unitPrice", description) SELECT g % 900, g / 7.0, 'Buchung ' || g FROM generate_series(1, 3000) g;
CREATE SCHEMA "acct.v2";
CREATE TABLE "acct.v2".entries (entry_no int, note text);
INSERT INTO "acct.v2".entries SELECT g % 50, 'dup' FROM generate_series(1, 200) g;
CREATE SCHEMA "we""ird";
CREATE TABLE "we""ird"."T*?" (k text PRIMARY KEY, v text);
INSERT INTO "we""ird"."T*?" VALUES ('a', 'x'), ('B', 'y'), ('ä', 'z');
ANALYZE;
`;
}

/** The same schemas written in another database's encoding: text with Latin-1 letters ordered by the database's default collation. */
export const LOCALE_FIXTURE_SQL = `
CREATE TABLE public.payees (name text NOT NULL, city text);
INSERT INTO public.payees SELECT (ARRAY['Café Müller', 'cafe', 'Ärzte', 'Zoë', 'éclair', 'Ecole', 'Öl'])[1 + g % 7] || ' ' || (g % 40), 'Zürich' FROM generate_series(1, 400) g;
CREATE TABLE public.tags (label text PRIMARY KEY);
INSERT INTO public.tags VALUES ('Äpfel'), ('apfel'), ('Zoë'), ('zebra'), ('éclair'), ('Eclair');
`;
