// Attacks on the integrity checks' promises, against a real PostgreSQL: hostile invariants write nothing (refused at config
// time with exit 2, and refused again at run time if they get past it), and a terminated session fails the check with its reason.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrityChecks } from '../../src/checks/integrity/index.js';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { RunResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { runCli } from '../helpers/cli.js';
import { createClean, databaseChecksum } from '../helpers/integrity-fixture.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const HOSTILE = [
  'SELECT 1) v; COMMIT; DELETE FROM app.accounts; SELECT (1',
  "COPY app.accounts TO '/tmp/stackprobe-integrity-attack.csv'",
  'SET TRANSACTION READ WRITE',
];

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase();
  await createClean(db);
  // A function that writes, which a SELECT can call: the catalog check, then the READ ONLY transaction, must stop it.
  await db.sql(`CREATE TABLE app.audit (n int); CREATE FUNCTION app.sneaky() RETURNS int LANGUAGE sql AS 'INSERT INTO app.audit VALUES (1) RETURNING n'`);
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-integrity-attack-'));
});
afterAll(async () => {
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function runInvariants(config: Config): Promise<RunResult> {
  return run({ config, checks: integrityChecks.filter((c) => c.id === 'integrity.invariants' || c.id === 'integrity.score'), signal: new AbortController().signal, log: silentLogger() });
}

describe('hostile invariants', () => {
  it.each(HOSTILE.map((sql, i) => [i, sql] as const))('refuses #%i at config time: exit 2, one line naming the config path, nothing written', async (_i, sql) => {
    const before = await databaseChecksum(db);
    const file = path.join(dir, `c${_i}.json`);
    await writeFile(file, JSON.stringify({ database_url: db.url, read_only: true, integrity: { invariants: [{ name: 'hostile', sql }] } }));
    const r = await runCli(['run', '--only', 'integrity', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').filter((l) => l.includes('config.integrity.invariants[0].sql'))).toHaveLength(1);
    expect(r.stderr).toMatch(/config\.integrity\.invariants\[0\]\.sql: expected one read statement/);
    expect(r.stderr).not.toMatch(/TypeError|\n\s+at /);
    expect(await databaseChecksum(db)).toBe(before);
  }, 60_000);

  it('refuses them again at run time when they get past the config (a plugin or a hand-made config), and a writing function is stopped: one line each, nothing written', async () => {
    const before = await databaseChecksum(db);
    // The test database's role is a superuser: accepted under --read-only only by the loud opt-in.
    const config = validateConfig({ database_url: db.url, read_only: true, allow_privileged_role: true, integrity: { invariants: [{ name: 'placeholder', sql: 'SELECT 1' }] } });
    // Bypass validation the way a programmatic caller could.
    const invariants = [...HOSTILE, 'SELECT app.sneaky()'].map((sql, i) => ({ name: `hostile${i}`, sql }));
    const result = await runInvariants({ ...config, integrity: { ...config.integrity, invariants } });
    const inv = result.checks.find((c) => c.id === 'integrity.invariants')!;
    expect(inv.status, inv.reason).toBe('warn');
    const titles = inv.findings.filter((f) => f.subject !== 'read-only').map((f) => f.title);
    expect(titles).toHaveLength(4);
    for (const t of titles) expect(t).not.toMatch(/\n|TypeError/);
    expect(titles.slice(0, 3)).toEqual([
      expect.stringMatching(/^invariant "hostile0" could not be evaluated: not run: /),
      expect.stringMatching(/^invariant "hostile1" could not be evaluated: not run: it is COPY/),
      expect.stringMatching(/^invariant "hostile2" could not be evaluated: not run: it is SET/),
    ]);
    // The writing function is refused from the catalog before the statement is sent (the READ ONLY transaction behind it).
    expect(titles[3]).toMatch(/^invariant "hostile3" could not be evaluated: not run: it may run app\.sneaky\(\): VOLATILE/);
    expect(result.checks.find((c) => c.id === 'integrity.score')).toMatchObject({ status: 'warn', info: { state: 'incomplete' } });
    expect(await databaseChecksum(db)).toBe(before);
  }, 60_000);
});

describe('lost session', () => {
  it('a terminated integrity backend fails the check with the reason; the run goes on and the score says incomplete', async () => {
    const config = validateConfig({ database_url: db.url, integrity: { invariants: [{ name: 'slow', sql: 'SELECT 1 AS x FROM pg_sleep(20)' }] } });
    const pending = runInvariants(config);
    // Wait (bounded) for the invariant's session to be running, then terminate it.
    let terminated = false;
    for (let i = 0; i < 100 && !terminated; i++) {
      const rows = await db.sql<{ t: boolean }>(`SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'stackprobe-integrity' AND query LIKE '%pg_sleep%' AND state = 'active'`);
      terminated = rows.some((r) => r.t);
      if (!terminated) await new Promise((r) => setTimeout(r, 100));
    }
    expect(terminated).toBe(true);
    const result = await pending;
    const inv = result.checks.find((c) => c.id === 'integrity.invariants')!;
    expect(inv.status).toBe('fail');
    expect(inv.reason).toMatch(/^the integrity session was lost: .*(terminat|57P01)/);
    expect(inv.reason).not.toMatch(/\n/);
    expect(result.checks.find((c) => c.id === 'integrity.score')).toMatchObject({ status: 'warn', info: { state: 'incomplete' } });
  }, 60_000);
});
