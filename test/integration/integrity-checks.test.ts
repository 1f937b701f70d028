// The integrity category against a real PostgreSQL: a schema with planted defects reported one by one, a clean twin with none, bad input.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrityChecks } from '../../src/checks/integrity/index.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { CheckResult, RunResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { createClean, fixtureIntegrityConfig, plantDefects, schemaChecksum, tryRecommendations } from '../helpers/integrity-fixture.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let defects: TestDatabase;
let clean: TestDatabase;
beforeAll(async () => {
  [defects, clean] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  await Promise.all([plantDefects(defects), createClean(clean)]);
});
afterAll(async () => {
  await Promise.all([defects?.drop(), clean?.drop()]);
});

function runIntegrity(url: string, extra: Omit<ConfigInput, 'database_url'> = {}): Promise<RunResult> {
  return run({
    config: validateConfig({ database_url: url, ...extra, integrity: { ...fixtureIntegrityConfig, amcheck: { create_extension: true }, ...extra.integrity } }),
    checks: integrityChecks, signal: new AbortController().signal, log: silentLogger(),
  });
}

const check = (r: RunResult, id: string): CheckResult => r.checks.find((c) => c.id === id)!;
const titles = (c: CheckResult, severity?: string) => c.findings.filter((f) => !severity || f.severity === severity).map((f) => f.title);
const counter = (c: CheckResult, name: string) => c.metrics.filter((m) => m.name === name).reduce((s, m) => s + (m.type === 'counter' ? m.count : 0), 0);

describe('planted defects', () => {
  let result: RunResult;
  let before: string;
  beforeAll(async () => {
    before = await schemaChecksum(defects, 'app');
    result = await runIntegrity(defects.url);
    console.log(`integrity checks on the defect fixture: ${result.checks.map((c) => `${c.id} ${Math.round(c.durationMs)} ms`).join(', ')}`);
  }, 60_000);

  it('finds orphans behind the NOT VALID foreign key, the disabled one, and an unconstrained *_id column', () => {
    const c = check(result, 'integrity.foreign_keys');
    expect(c.status).toBe('fail');
    expect(counter(c, 'fk_orphan_rows')).toBe(3);
    expect(titles(c, 'error')).toEqual(expect.arrayContaining([
      expect.stringMatching(/^2 orphaned row\(s\) in app\.transactions \(account_id\) → app\.accounts \(id\), constraint transactions_account_fk/),
      expect.stringMatching(/^1 orphaned row\(s\) in app\.payments .*payments_user_fk/),
    ]));
    const notValid = c.findings.find((f) => f.title.includes('transactions_account_fk'))!;
    expect(notValid.detail).toMatch(/NOT VALID.*Example keys: 99[89]; 99[89]/);
    expect(c.findings.find((f) => f.title.includes('payments_user_fk'))!.detail).toMatch(/triggers are disabled/);
    expect(counter(c, 'implicit_fk_orphan_rows')).toBe(1);
    expect(titles(c, 'warn')).toEqual([expect.stringMatching(/^app\.journal_lines\.account_id looks like a reference to accounts\.id but has no foreign key; 1 row\(s\) point nowhere/)]);
  });

  it('finds the violated NOT VALID check, NULLs in a declared not-null column and a duplicate in a declared unique one', () => {
    const c = check(result, 'integrity.constraints');
    expect(c.status).toBe('fail');
    expect(counter(c, 'check_violation_rows')).toBe(1);
    expect(counter(c, 'declared_not_null_violations')).toBe(3);
    expect(counter(c, 'declared_unique_duplicates')).toBe(1);
    expect(titles(c, 'error')).toEqual([
      expect.stringMatching(/^1 row\(s\) of app\.transactions violate the NOT VALID check constraint transactions_amount_nonzero/),
      '3 NULL(s) in app.accounts.currency, declared not-null in config.integrity.not_null[0]',
      expect.stringMatching(/^1 value\(s\) of \(iban\) in app\.accounts occur more than once/),
    ]);
  });

  it('finds money in double precision and a naive timestamp next to it', () => {
    const c = check(result, 'integrity.types');
    expect(c.status).toBe('fail');
    expect(titles(c, 'error')).toEqual(['money column app.transactions.amount is double precision']);
    expect(titles(c, 'warn')).toEqual(['app.transactions.booked_at is timestamp without time zone in a table holding money']);
  });

  it('finds the unbalanced journal entry with a sample, and passes the invariant that holds', () => {
    const c = check(result, 'integrity.invariants');
    expect(c.status).toBe('fail');
    expect(titles(c)).toEqual(['invariant "journal_balances" is broken: 1 offending row(s)']);
    expect(c.findings[0]!.data).toMatchObject({ violations: 1, sample: [{ entry_id: 7, debits: '90.0000', credits: '100.0000' }] });
    expect(c.metrics.find((m) => m.name === 'invariant_violation_rows' && m.tags.invariant === 'no_negative_balances')).toMatchObject({ count: 0 });
  });

  it('finds the invalid index, the duplicate index and the sequence near overflow', () => {
    const c = check(result, 'integrity.catalog');
    expect(c.status).toBe('fail');
    expect(titles(c)).toEqual(expect.arrayContaining([
      'index app.accounts_iban_unique on accounts is invalid',
      'app.payments has identical indexes: payments_amount_a, payments_amount_b',
      expect.stringMatching(/^sequence app\.counters_id_seq feeding app\.counters\.id \(integer\) has used 93\.1% of its range/),
    ]));
    expect(c.metrics.find((m) => m.name === 'sequence_max_used_share')).toMatchObject({ value: expect.closeTo(0.931, 3) });
  });

  it('verifies every btree index and table with amcheck (created for the run, dropped after)', async () => {
    const c = check(result, 'integrity.corruption');
    expect(c.status, c.reason).toBe('pass');
    expect(counter(c, 'amcheck_relations_checked')).toBeGreaterThanOrEqual(12);
    expect(await defects.sql(`SELECT 1 FROM pg_extension WHERE extname = 'amcheck'`)).toEqual([]);
  });

  it('scores the defects as damaged, below 0.5', () => {
    const c = check(result, 'integrity.score');
    expect(c.status).toBe('fail');
    expect(c.info.state).toBe('damaged');
    const score = c.metrics.find((m) => m.name === 'integrity_score');
    expect(score).toMatchObject({ type: 'gauge' });
    expect((score as { value: number }).value).toBeLessThan(0.5);
  });

  it('recommends statements that run as written (in a transaction rolled back; DROP INDEX CONCURRENTLY as its plain form)', async () => {
    const all = result.checks.flatMap((c) => c.findings);
    const broken = all.filter((f) => f.severity === 'error').map((f) => f.title);
    const tried = await tryRecommendations(defects, all);
    expect(tried.length).toBeGreaterThanOrEqual(8);
    // Only a constraint validated over rows that still break it may be refused, and by the data (23xxx).
    const refused = tried.filter((t) => t.error && !(/^23/.test(t.error) && /VALIDATE CONSTRAINT|SET NOT NULL/.test(t.statement) && broken.length > 0));
    expect(refused).toEqual([]);
  });

  it('wrote nothing to the schema it checked', async () => {
    expect(await schemaChecksum(defects, 'app')).toBe(before);
  });
});

describe('clean schema', () => {
  it('reports no defect: every check passes, no warning or error finding, score 1', async () => {
    const before = await schemaChecksum(clean, 'app');
    const result = await runIntegrity(clean.url);
    for (const c of result.checks) {
      expect({ id: c.id, status: c.status, reason: c.reason }).toEqual({ id: c.id, status: 'pass', reason: undefined });
      expect(c.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    }
    expect(check(result, 'integrity.score').metrics.find((m) => m.name === 'integrity_score')).toMatchObject({ value: 1 });
    expect(await schemaChecksum(clean, 'app')).toBe(before);
  }, 60_000);
});

describe('bad input', () => {
  it('a missing schema, a broken invariant and an unreadable table are findings; the other checks go on', async () => {
    const role = `stackprobe_ro_${randomBytes(4).toString('hex')}`;
    await clean.sql(`CREATE ROLE ${role} LOGIN; GRANT USAGE ON SCHEMA app TO ${role}; GRANT SELECT ON ALL TABLES IN SCHEMA app TO ${role}; REVOKE SELECT ON app.payments FROM ${role}`);
    try {
      const url = new URL(clean.url);
      url.username = role;
      const result = await runIntegrity(url.toString(), {
        integrity: { schemas: ['app', 'no_such_schema'], invariants: [{ name: 'broken', sql: 'SELECT nope FROM app.accounts' }, fixtureIntegrityConfig.invariants[0]!] },
      });
      const fk = check(result, 'integrity.foreign_keys');
      expect(fk.status).toBe('warn');
      expect(titles(fk, 'warn')).toEqual(expect.arrayContaining(['schema "no_such_schema" does not exist', 'could not check foreign key payments_user_fk']));
      expect(fk.findings.find((f) => f.title === 'could not check foreign key payments_user_fk')!.detail).toMatch(/permission denied for table payments \(42501\)/);
      const inv = check(result, 'integrity.invariants');
      expect(inv.status).toBe('warn');
      expect(titles(inv)).toEqual([expect.stringMatching(/^invariant "broken" could not be evaluated: column "nope" does not exist/)]);
      expect(check(result, 'integrity.types').status).toBe('warn');
      expect(check(result, 'integrity.corruption')).toMatchObject({ status: 'skip', reason: expect.stringMatching(/amcheck is not installed in database ".*" and could not be created .*; enable it with: CREATE EXTENSION amcheck;/) });
      // Nothing verified is damaged, but corruption and two objects were not verified: incomplete, shown as a warning.
      const score = check(result, 'integrity.score');
      expect(score.status).toBe('warn');
      expect(score.info.state).toBe('incomplete');
    } finally {
      await clean.sql(`REVOKE ALL ON ALL TABLES IN SCHEMA app FROM ${role}; REVOKE USAGE ON SCHEMA app FROM ${role}; DROP ROLE ${role}`);
    }
  }, 60_000);
});
