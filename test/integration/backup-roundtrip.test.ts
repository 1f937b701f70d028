// The backup category against a real PostgreSQL: a verified round trip of the workload, a tampered restore, a failed restore, archiving.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupChecks } from '../../src/checks/backup/index.js';
import { roundTrip } from '../../src/checks/backup/roundtrip.js';
import { SCRATCH_PREFIX } from '../../src/checks/backup/scratch.js';
import { integrityChecks } from '../../src/checks/integrity/index.js';
import type { Check } from '../../src/checks/types.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { CheckResult, RunResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { fixtureIntegrityConfig, plantDefects, schemaChecksum } from '../helpers/integrity-fixture.js';
import { createTestDatabase, TEST_PG_URL, withDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await plantDefects(db);
});
afterAll(async () => {
  await db?.drop();
});

function runChecks(checks: Check[], extra: Omit<ConfigInput, 'database_url'> = {}): Promise<RunResult> {
  return run({ config: validateConfig({ database_url: db.url, workload: { scale: 0.1 }, ...extra }), checks, signal: new AbortController().signal, log: silentLogger() });
}

const check = (r: RunResult, id: string): CheckResult => r.checks.find((c) => c.id === id)!;
const gauge = (c: CheckResult, name: string) => (c.metrics.find((m) => m.name === name) as { value: number } | undefined)?.value;
const counter = (c: CheckResult, name: string) => (c.metrics.find((m) => m.name === name) as { count: number } | undefined)?.count;
const p50 = (c: CheckResult, name: string) => (c.metrics.find((m) => m.name === name) as { summary: { max: number } } | undefined)?.summary.max;
/** Scratch databases of this server that a check left behind (none may survive a check). */
async function scratchLeft(name: unknown): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    return (await client.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name])).rows.length > 0;
  } finally {
    await client.end();
  }
}

describe('backup.roundtrip', () => {
  it('dumps the workload schema, restores it into a scratch database that is then dropped, and finds it equal', async () => {
    const result = await runChecks(backupChecks.filter((c) => c.id === 'backup.roundtrip'), { backup: { schemas: ['stackprobe'] } });
    const c = check(result, 'backup.roundtrip');
    expect(c.status, c.reason).toBe('pass');
    expect(counter(c, 'restore_mismatches')).toBe(0);
    expect(counter(c, 'tables_compared')).toBeGreaterThanOrEqual(8);
    expect(counter(c, 'rows_compared')).toBeGreaterThan(10_000);
    expect(gauge(c, 'dump_size_bytes')).toBeGreaterThan(100_000);
    expect(gauge(c, 'restore_throughput_mb_s')).toBeGreaterThan(0);
    expect(c.info.pgDump).toMatchObject({ version: expect.stringMatching(/^15\./) });
    expect(String(c.info.scratchDatabase)).toMatch(new RegExp(`^${SCRATCH_PREFIX}`));
    expect(await scratchLeft(c.info.scratchDatabase)).toBe(false);
    console.log(`round trip (scale 0.1): dump ${gauge(c, 'dump_size_bytes')} B in ${p50(c, 'dump_duration')?.toFixed(0)} ms, restore ${p50(c, 'restore_duration')?.toFixed(0)} ms, ${gauge(c, 'restore_throughput_mb_s')?.toFixed(1)} MB/s restore, ${counter(c, 'rows_compared')} rows`);
  }, 60_000);

  it('fails when the restored copy differs from the source', async () => {
    const tampered: Check = {
      ...backupChecks.find((c) => c.id === 'backup.roundtrip')!,
      run: (ctx) => roundTrip(ctx, {
        beforeCompare: async (scratch) => {
          const client = new pg.Client({ connectionString: withDatabase(db.url, scratch) });
          await client.connect();
          await client.query(`UPDATE stackprobe.transactions SET amount = amount + 0.01 WHERE id = 5`).finally(() => client.end());
        },
      }),
    };
    const c = check(await runChecks([tampered], { backup: { schemas: ['stackprobe'] } }), 'backup.roundtrip');
    expect(c.status).toBe('fail');
    expect(counter(c, 'restore_mismatches')).toBe(1);
    expect(c.findings.filter((f) => f.severity === 'error').map((f) => f.title)).toEqual([expect.stringMatching(/^restored table stackprobe\.transactions differs from the source \((\d+) rows → \1, content checksum differs\)$/)]);
    expect(await scratchLeft(c.info.scratchDatabase)).toBe(false);
  }, 60_000);

  it('fails with pg_restore\'s message when the restore breaks, and still drops the scratch database', async () => {
    await db.sql(`CREATE SCHEMA IF NOT EXISTS other; DO $$ BEGIN CREATE TYPE other.mood AS ENUM ('ok', 'sad'); EXCEPTION WHEN duplicate_object THEN NULL; END $$;
      CREATE SCHEMA IF NOT EXISTS feelings; CREATE TABLE IF NOT EXISTS feelings.log (id int PRIMARY KEY, m other.mood)`);
    const c = check(await runChecks(backupChecks, { backup: { schemas: ['feelings', 'no_such_schema'] } }), 'backup.roundtrip');
    expect(c.status).toBe('fail');
    expect(c.reason).toMatch(/^the restore failed: pg_restore exited with 1: .*schema "other" does not exist/);
    expect(c.findings.filter((f) => f.severity !== 'info').map((f) => f.title)).toEqual(['schema "no_such_schema" in config.backup.schemas does not exist; it was not dumped']);
    expect(await scratchLeft(c.info.scratchDatabase)).toBe(false);
  }, 60_000);

  it('is skipped under --read-only; archiving still runs', async () => {
    const result = await runChecks(backupChecks, { read_only: true });
    expect(check(result, 'backup.roundtrip').status).toBe('skip');
    expect(check(result, 'backup.archiving').status).not.toBe('skip');
  });
});

describe('backup.archiving', () => {
  it('reports archive_mode and the age of the latest backup against config.backup.max_age_h', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-backups-'));
    try {
      await writeFile(path.join(dir, 'base.tar'), 'x');
      const fresh = check(await runChecks(backupChecks.filter((c) => c.id === 'backup.archiving'), { backup: { backup_dir: dir } }), 'backup.archiving');
      expect(gauge(fresh, 'latest_backup_age_h')).toBeLessThan(1);
      expect(fresh.info.archiver).toMatchObject({ archive_mode: expect.any(String) });
      expect(fresh.thresholds.find((t) => t.metric === 'latest_backup_age_h')).toMatchObject({ ok: true });
      const old = check(await runChecks(backupChecks.filter((c) => c.id === 'backup.archiving'), { backup: { latest_backup_at: '2020-01-01T00:00:00Z', max_age_h: 24 } }), 'backup.archiving');
      expect(old.status).toBe('fail');
      expect(old.findings.map((f) => f.title)).toEqual(expect.arrayContaining([expect.stringMatching(/^the latest backup is \d+\.\d h old \(limit 24 h\)$/)]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a full integrity + backup run', () => {
  it('writes nothing to the user\'s schema', async () => {
    const before = await schemaChecksum(db, 'app');
    const result = await runChecks([...integrityChecks, ...backupChecks], { integrity: { ...fixtureIntegrityConfig, schemas: ['app'] } });
    // The user's schemas are the default scope now, and this one holds rows that violate a foreign key whose triggers
    // were disabled: its dump cannot be restored, which is what the round trip is for.
    expect(check(result, 'backup.roundtrip').status).toBe('fail');
    expect(check(result, 'backup.roundtrip').reason).toMatch(/^the restore failed: pg_restore exited with 1: .*violates foreign key constraint "payments_user_fk"/);
    expect(check(result, 'integrity.foreign_keys').status).toBe('fail');
    expect(await schemaChecksum(db, 'app')).toBe(before);
    expect((await db.sql(`SELECT 1 FROM pg_namespace WHERE nspname = 'stackprobe'`)).length).toBe(0);
  }, 60_000);
});
