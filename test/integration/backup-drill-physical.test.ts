// backup.restore_drill with a pg_basebackup and a WAL archive from a real archiving PostgreSQL 15: recovery to the end passes, a point-in-time drill stops between two changes, a missing segment fails naming it.
import { cp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreDrillCheck } from '../../src/checks/backup/restore-drill.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { CheckResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { BALANCED_INVARIANT, createLedgerSql, drillRootsOf } from '../helpers/drill-fixture.js';
import { startArchivingServer, type ArchivingServer } from '../helpers/drill-source.js';

let src: ArchivingServer;
let base: string;
let between: string;
let segments: string[];
beforeAll(async () => {
  src = await startArchivingServer();
  await src.sql(createLedgerSql());
  base = await src.baseBackup();
  // Two known changes after the backup, on either side of a known time, each in its own archived segment.
  await src.sql(`INSERT INTO "Ledger's".journal_entries (memo) VALUES ('first change')`);
  await src.switchAndArchive();
  between = (await src.sql<{ t: string }>(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t`))[0]!.t;
  // The second commit must carry a later timestamp than `between`, whatever the clock's resolution.
  await src.sql(`SELECT pg_sleep(0.05)`);
  await src.sql(`INSERT INTO "Ledger's".journal_entries (memo) VALUES ('second change')`);
  await src.switchAndArchive();
  await src.sql(`INSERT INTO "Ledger's".accounts (name, kind) VALUES ('third change', 'asset')`);
  await src.switchAndArchive();
  segments = (await readdir(src.archive)).filter((n) => /^[0-9A-F]{24}$/.test(n)).sort();
}, 90_000);
afterAll(async () => {
  await src?.stop();
});

async function drill(backup: ConfigInput['backup']): Promise<CheckResult> {
  const config = validateConfig({ database_url: src.url, backup, integrity: { invariants: [BALANCED_INVARIANT] } });
  return (await run({ config, checks: [restoreDrillCheck], signal: new AbortController().signal, log: silentLogger() })).checks[0]!;
}
const metric = (c: CheckResult, name: string) => c.metrics.find((m) => m.name === name) as { summary?: { max: number }; count?: number; value?: number } | undefined;
type DrillInfo = { tool: string; restoreS: number; consistencyS: number; rtoS: number; recoveryPoint?: string; changedSinceBackup: number };

describe('backup.restore_drill: backup.base_backup + backup.wal_archive', () => {
  it('recovers to the end of the archive, opens, verifies, and leaves the archive untouched', async () => {
    const c = await drill({ base_backup: base, wal_archive: src.archive, max_restore_s: 120 });
    expect(c.status, c.reason).toBe('pass');
    expect(metric(c, 'drill_defects')?.count).toBe(0);
    const info = c.info.drill_base_backup as DrillInfo;
    expect(info.tool).toMatch(/^PostgreSQL 15\.\d+ recovery/);
    expect(info.changedSinceBackup).toBe(0); // every change replayed: counts equal the live ones
    expect(metric(c, 'rows_restored')?.count).toBe(41 + 3002 + 6000);
    expect(info.recoveryPoint).toBeDefined();
    expect(metric(c, 'recovery_point_age_s')?.value).toBeLessThan(600);
    expect((c.info.wal as { gaps: unknown[] }).gaps).toEqual([]);
    // The promoted copy runs with archive_mode=off: nothing of it reaches the team's archive.
    expect((await readdir(src.archive)).filter((n) => /^[0-9A-F]{24}$/.test(n)).sort()).toEqual(segments);
    expect((await readdir(src.archive)).some((n) => n.endsWith('.history'))).toBe(false);
    expect(drillRootsOf(process.pid)).toEqual([]);
    console.log(`base backup drill: copy ${info.restoreS} s, recovery to consistency and promotion ${info.consistencyS} s, RTO ${info.rtoS} s, recovery point ${info.recoveryPoint}, ${segments.length} segments`);
  }, 90_000);

  it('stops a point-in-time drill between two known changes: the first present, the second absent', async () => {
    const c = await drill({ base_backup: base, wal_archive: src.archive, target_time: between });
    expect(c.status, c.reason).toBe('pass');
    expect(c.info.recovery).toMatchObject({ stoppedAtTarget: true });
    const titles = c.findings.map((f) => f.title);
    // 3000 + the first change restored; the live table also has the second.
    expect(titles).toContainEqual(expect.stringMatching(/^table Ledger's\.journal_entries: 3001 rows restored, 3002 live/));
    expect(titles).toContainEqual(expect.stringMatching(/^table Ledger's\.accounts: 40 rows restored, 41 live/));
    const info = c.info.drill_base_backup as DrillInfo;
    console.log(`point-in-time drill to ${between}: recovery point ${info.recoveryPoint}, RTO ${info.rtoS} s`);
    expect(new Date(info.recoveryPoint!).getTime()).toBeLessThanOrEqual(new Date(between).getTime());
  }, 90_000);

  it('fails naming the gap when one WAL segment is missing from the archive', async () => {
    const holed = path.join(src.root, 'archive-holed');
    await cp(src.archive, holed, { recursive: true });
    const missing = segments[segments.length - 2]!;
    await rm(path.join(holed, missing));
    try {
      const c = await drill({ base_backup: base, wal_archive: holed });
      expect(c.status).toBe('fail');
      expect(c.findings.filter((f) => f.severity === 'error').map((f) => f.title)).toContainEqual(expect.stringContaining(`segment ${missing} is missing`));
      expect(metric(c, 'drill_defects')?.count).toBeGreaterThanOrEqual(1);
      expect(drillRootsOf(process.pid)).toEqual([]);
    } finally {
      await rm(holed, { recursive: true, force: true });
    }
  }, 90_000);
});
