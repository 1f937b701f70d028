// Test helper: databases with a chosen encoding/locale, and a personal-finance schema in the style of a real Rails/Django app for the backup round trip.
import { createTestDatabase, type TestDatabase } from './pg.js';

export interface LocaleOptions {
  /** e.g. `ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'` or `LOCALE_PROVIDER icu ICU_LOCALE 'de-DE'`. */
  clause: string;
}

/** A fresh database created from template0 with the given locale clause; dropped WITH (FORCE) by drop(). */
export function createLocaleDatabase(opts: LocaleOptions = { clause: '' }): Promise<TestDatabase> {
  return createTestDatabase(`TEMPLATE template0 ${opts.clause}`);
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
CREATE TABLE "we""ird"."naïve ☃
line\x1b[31m" ("Ü" int PRIMARY KEY, "select" text);
INSERT INTO "we""ird"."naïve ☃
line\x1b[31m" SELECT g, E'tab\there\nnewline' FROM generate_series(1, 5) g;
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

/**
 * A music store in the style of the Chinook sample: PascalCase quoted tables in public, composite keys, a
 * self-referencing foreign key, a deferrable one, identity and generated columns, arrays, jsonb, a tsvector with a GIN
 * index, partial and expression indexes, an exclusion constraint, table inheritance, a NOT VALID check that old rows
 * break, a security-barrier view, SQL and plpgsql functions, comments. `tracks` rows (default 30,000).
 */
export function musicStoreFixtureSql(tracks = 30_000): string {
  return `
CREATE TABLE "Artist" ("ArtistId" int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "Name" varchar(120));
CREATE TABLE "Album" ("AlbumId" int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "Title" varchar(160) NOT NULL, "ArtistId" int NOT NULL REFERENCES "Artist" DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE "Employee" ("EmployeeId" int PRIMARY KEY, "LastName" varchar(20) NOT NULL, "ReportsTo" int REFERENCES "Employee", "Tags" text[] NOT NULL DEFAULT '{}');
CREATE TABLE "Track" ("TrackId" int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "Name" varchar(200) NOT NULL, "AlbumId" int REFERENCES "Album",
  "Milliseconds" int NOT NULL, "UnitPrice" numeric(10,2) NOT NULL, "Seconds" numeric GENERATED ALWAYS AS ("Milliseconds" / 1000.0) STORED,
  "Meta" jsonb, "Search" tsvector);
CREATE INDEX "IFK_TrackAlbumId" ON "Track" ("AlbumId");
CREATE INDEX track_search ON "Track" USING gin ("Search");
CREATE INDEX track_expensive ON "Track" ("UnitPrice") WHERE "UnitPrice" > 1.5;
CREATE INDEX track_lower_name ON "Track" (lower("Name"));
CREATE TABLE "Playlist" ("PlaylistId" int PRIMARY KEY, "Name" varchar(120));
CREATE TABLE "PlaylistTrack" ("PlaylistId" int NOT NULL REFERENCES "Playlist", "TrackId" int NOT NULL REFERENCES "Track", PRIMARY KEY ("PlaylistId", "TrackId"));
CREATE TABLE room_booking (room int NOT NULL, during tstzrange NOT NULL, EXCLUDE USING gist (during WITH &&));
CREATE TABLE media (id int PRIMARY KEY, label text);
CREATE TABLE media_vinyl (rpm int) INHERITS (media);
COMMENT ON TABLE "Track" IS 'one row per recording';
CREATE FUNCTION track_minutes(ms int) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT round(ms / 60000.0, 2)';
CREATE FUNCTION track_search_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW."Search" := to_tsvector('simple', NEW."Name"); RETURN NEW; END $$;
CREATE TRIGGER track_search_trg BEFORE INSERT OR UPDATE OF "Name" ON "Track" FOR EACH ROW EXECUTE FUNCTION track_search_update();
CREATE VIEW cheap_tracks WITH (security_barrier) AS SELECT "TrackId", "Name", track_minutes("Milliseconds") AS minutes FROM "Track" WHERE "UnitPrice" < 1;

INSERT INTO "Artist" ("Name") SELECT 'Artist ' || g FROM generate_series(1, 275) g;
INSERT INTO "Album" ("Title", "ArtistId") SELECT 'Album ' || g, 1 + g % 275 FROM generate_series(1, 347) g;
INSERT INTO "Employee" VALUES (1, 'Adams', NULL, '{gm}'), (2, 'Edwards', 1, '{sales,lead}'), (3, 'Peacock', 2, '{sales}');
INSERT INTO "Track" ("Name", "AlbumId", "Milliseconds", "UnitPrice", "Meta")
  SELECT 'Track ' || g || CASE WHEN g % 11 = 0 THEN ' (Live)' ELSE '' END, 1 + g % 347, 60000 + (g * 7919) % 400000, CASE WHEN g % 5 = 0 THEN 1.99 ELSE 0.99 END,
    CASE WHEN g % 3 = 0 THEN jsonb_build_object('bpm', 60 + g % 120) END FROM generate_series(1, ${tracks}) g;
INSERT INTO "Playlist" SELECT g, 'Playlist ' || g FROM generate_series(1, 18) g;
INSERT INTO "PlaylistTrack" SELECT 1 + g % 18, g FROM generate_series(1, ${tracks}, 3) g;
INSERT INTO room_booking SELECT g % 5, tstzrange(timestamptz '2025-01-01' + g * interval '2 hours', timestamptz '2025-01-01' + g * interval '2 hours' + interval '1 hour') FROM generate_series(1, 500) g;
INSERT INTO media VALUES (1, 'cd'), (2, 'tape');
INSERT INTO media_vinyl VALUES (3, 'lp', 33), (4, 'single', 45);
ALTER TABLE "Track" ADD CONSTRAINT track_price_positive CHECK ("UnitPrice" > 1) NOT VALID;
ANALYZE;
`;
}

/**
 * Double-entry bookkeeping in the style of a Django accounting app: a year of journal entries and lines (2 per entry),
 * "0 means none" sentinel ids without a foreign key, a trigger disabled for bulk loads, a statement-level trigger, a
 * partial unique index, a deferrable constraint trigger, a function-based check, and an app schema `ledger`. `entries`
 * journal entries (default 50,000: 100,000 lines).
 */
export function bookkeepingFixtureSql(entries = 50_000): string {
  return `
CREATE SCHEMA ledger;
CREATE TABLE ledger.django_content_type (id serial PRIMARY KEY, app_label varchar(100) NOT NULL, model varchar(100) NOT NULL, UNIQUE (app_label, model));
CREATE TABLE ledger.accounts_account (id bigserial PRIMARY KEY, code varchar(10) NOT NULL UNIQUE, name varchar(200) NOT NULL, parent_id bigint NOT NULL DEFAULT 0,
  is_active boolean NOT NULL DEFAULT true, created timestamptz NOT NULL DEFAULT now());
CREATE UNIQUE INDEX accounts_account_active_name ON ledger.accounts_account (name) WHERE is_active;
CREATE TABLE ledger.journal_entry (id bigserial PRIMARY KEY, posted_on date NOT NULL, memo text NOT NULL DEFAULT '', content_type_id int NOT NULL DEFAULT 0,
  object_id bigint NOT NULL DEFAULT 0, created timestamptz NOT NULL DEFAULT now());
CREATE TABLE ledger.journal_line (id bigserial PRIMARY KEY, entry_id bigint NOT NULL REFERENCES ledger.journal_entry DEFERRABLE INITIALLY DEFERRED,
  account_id bigint NOT NULL REFERENCES ledger.accounts_account, debit numeric(18,2) NOT NULL DEFAULT 0, credit numeric(18,2) NOT NULL DEFAULT 0,
  CHECK (debit >= 0 AND credit >= 0 AND (debit = 0) <> (credit = 0)));
CREATE INDEX journal_line_entry ON ledger.journal_line (entry_id);
CREATE FUNCTION ledger.entry_balances() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT sum(debit) - sum(credit) FROM ledger.journal_line WHERE entry_id = NEW.entry_id) <> 0 THEN
    RAISE EXCEPTION 'entry % does not balance', NEW.entry_id;
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER journal_line_balanced AFTER INSERT OR UPDATE ON ledger.journal_line DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger.entry_balances();
CREATE TABLE ledger.audit (at timestamptz NOT NULL DEFAULT now(), what text NOT NULL);
CREATE FUNCTION ledger.note_bulk() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO ledger.audit (what) VALUES (TG_OP || ' on ' || TG_TABLE_NAME); RETURN NULL; END $$;
CREATE TRIGGER journal_entry_audit AFTER INSERT ON ledger.journal_entry FOR EACH STATEMENT EXECUTE FUNCTION ledger.note_bulk();
INSERT INTO ledger.django_content_type (app_label, model) VALUES ('sales', 'invoice'), ('purchases', 'bill'), ('payroll', 'payslip');
INSERT INTO ledger.accounts_account (code, name, parent_id) SELECT (1000 + g)::text, 'Account ' || g, CASE WHEN g > 10 THEN 1 + g % 10 ELSE 0 END FROM generate_series(1, 120) g;
ALTER TABLE ledger.journal_line DISABLE TRIGGER journal_line_balanced;
INSERT INTO ledger.journal_entry (posted_on, memo, content_type_id, object_id)
  SELECT date '2024-01-01' + (g % 366), 'Entry ' || g, g % 4, CASE WHEN g % 4 = 0 THEN 0 ELSE g END FROM generate_series(1, ${entries}) g;
INSERT INTO ledger.journal_line (entry_id, account_id, debit, credit)
  SELECT g, 1 + g % 120, ((g * 37) % 100000) / 100.0 + 0.01, 0 FROM generate_series(1, ${entries}) g
  UNION ALL SELECT g, 1 + (g + 7) % 120, 0, ((g * 37) % 100000) / 100.0 + 0.01 FROM generate_series(1, ${entries}) g;
ANALYZE;
`;
}
