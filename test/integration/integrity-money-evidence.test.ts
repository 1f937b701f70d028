// integrity.types against a real server: money decided by declarations and sampled values in every spelling the server
// accepts (domains, comments, quoted names, the money type, NaN and Infinity among the values), never by a name alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typesCheck } from '../../src/checks/integrity/types.js';
import { validateConfig } from '../../src/config/load.js';
import type { CheckResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
let types: CheckResult;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql(`
    CREATE SCHEMA shop;
    CREATE DOMAIN shop.eur AS double precision;
    COMMENT ON DOMAIN shop.eur IS 'an amount in euros';
    -- Money by its values, whatever the name: quoted, mixed case, a name with no money word.
    CREATE TABLE shop."Ledger" ("Wert" double precision, "unitPrice" real, booked_at timestamp);
    INSERT INTO shop."Ledger" SELECT ((g * 7919) % 100000) / 100.0, 0.99 + (g % 50), '2025-01-01'::timestamp + g * interval '1 hour' FROM generate_series(1, 3000) g;
    -- NaN and Infinity among amounts do not break the sample.
    INSERT INTO shop."Ledger" VALUES ('NaN', 'Infinity', now()::timestamp), ('-Infinity', 'NaN', now()::timestamp);
    -- Money by declaration: a domain whose comment says so, a column comment, the money type; all empty or integral.
    CREATE TABLE shop.fees (price_x shop.eur, y double precision, z money, at timestamptz);
    COMMENT ON COLUMN shop.fees.y IS 'Fee charged in cents of USD';
    INSERT INTO shop.fees VALUES (10, 20, 30, now());
    -- Not money: fractions, a rate, integral quantities named like money, measurements with many decimals, text.
    CREATE TABLE shop.lines (discount real, interest_rate numeric(5,2), amount double precision, fee double precision, amount_label varchar, created_at timestamp);
    INSERT INTO shop.lines SELECT (g % 5) * 0.05, (g % 25) + 0.99, g % 40, sqrt(g)::numeric(20,8)::float8 + 1, 'Amount', now()::timestamp FROM generate_series(1, 2000) g;
    ANALYZE;`);
  const result = await run({ config: validateConfig({ database_url: db.url }), checks: [typesCheck], signal: new AbortController().signal, log: silentLogger() });
  types = result.checks[0]!;
}, 60_000);

afterAll(async () => {
  await db?.drop();
});

const bySubject = (s: string) => types.findings.find((f) => f.subject === s);

describe('integrity.types judging money from evidence', () => {
  it('fails naming exactly the columns the evidence makes money', () => {
    expect(types.status).toBe('fail');
    expect(types.findings.filter((f) => f.severity === 'error').map((f) => f.subject).sort()).toEqual(
      ['shop.Ledger.Wert', 'shop.Ledger.unitPrice', 'shop.fees.price_x', 'shop.fees.y', 'shop.fees.z']);
  });

  it('says why each was judged money', () => {
    expect(bySubject('shop.Ledger.Wert')!.detail).toMatch(/^Judged money because: \d+ of \d+ sampled values have cents, the largest [\d.]+\./);
    expect(bySubject('shop.Ledger.unitPrice')!.detail).toMatch(/sampled values have cents.*; its name\./);
    expect(bySubject('shop.fees.price_x')!.detail).toMatch(/^Judged money because: declared through domain shop\.eur/);
    expect(bySubject('shop.fees.y')!.detail).toMatch(/^Judged money because: its comment says "Fee charged in cents of USD"/);
    expect((bySubject('shop.fees.z')!.data as { signals: string[] }).signals).toEqual(['declared with the money type']);
  });

  it('warns about the naive timestamp of the table holding money, not of the one holding fractions and rates', () => {
    expect(types.findings.filter((f) => f.severity === 'warn').map((f) => f.subject)).toEqual(['shop.Ledger.booked_at']);
    expect(types.findings.map((f) => f.subject).join(' ')).not.toMatch(/shop\.lines/);
  });
});
