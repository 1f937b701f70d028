// backup.restore_drill with a pg_basebackup and a WAL archive from a real archiving PostgreSQL 15: recovery to the end passes, a point-in-time drill stops between two changes, a missing segment fails naming it; a cluster with a tablespace, backed up plain and as tar, drills without writing outside the drill folder.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreDrillCheck } from '../../src/checks/backup/restore-drill.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { createLedgerSql, drillRootsOf } from '../helpers/drill-fixture.js';
import { drillMetric, runDrill, type DrillInfo } from '../helpers/drill-run.js';
import { serverUser } from '../../src/checks/backup/drill/server.js';
import { PG_BIN } from '../helpers/drill-fixture.js';
import { startArchivingServer, type ArchivingServer } from '../helpers/drill-source.js';
import { snapshot } from '../helpers/fs-snapshot.js';

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

const drill = (backup: ConfigInput['backup']) => runDrill(src.url, backup);
const metric = drillMetric;

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
    execFileSync('cp', ['-a', src.archive, holed]); // keeps the archiver's owner and modes
    const missing = segments[segments.length - 2]!;
    await rm(path.join(holed, missing));
    try {
      const c = await drill({ base_backup: base, wal_archive: holed });
      expect(c.status).toBe('fail');
      expect(c.findings.filter((f) => f.severity === 'error').map((f) => f.title)).toContainEqual(expect.stringContaining(`segment ${missing} is missing`));
      expect(metric(c, 'drill_defects')?.count).toBeGreaterThanOrEqual(1);
      // PostgreSQL itself opens the copy, recovered only up to the gap: the silent loss this check exists to catch.
      expect(c.info.drill_base_backup).toMatchObject({ tool: expect.stringMatching(/recovery/) });
      expect(c.findings.map((f) => f.title)).toContainEqual(expect.stringMatching(/^table Ledger's\.accounts: 40 rows restored, 41 live/));
      expect(drillRootsOf(process.pid)).toEqual([]);
    } finally {
      await rm(holed, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('backup.restore_drill: bounded and clean', () => {
  it('fails with the reason when the server\'s user cannot read the archive', async () => {
    const locked = path.join(src.root, 'archive-locked');
    execFileSync('cp', ['-r', src.archive, locked]); // owned by root, 0600 files
    execFileSync('chmod', ['-R', 'go-r', locked]);
    try {
      const c = await drill({ base_backup: base, wal_archive: locked });
      expect(c.status).toBe('fail');
      expect(c.reason).toMatch(/cannot be read by the server's user/);
      expect(drillRootsOf(process.pid)).toEqual([]);
    } finally {
      await rm(locked, { recursive: true, force: true });
    }
  }, 60_000);

  it('ends near its budget when the archive hangs (a FIFO as the next segment), stopping and removing the private server', async () => {
    const frozen = path.join(src.root, 'archive-frozen');
    execFileSync('cp', ['-a', src.archive, frozen]);
    const last = segments[segments.length - 1]!;
    const next = `${last.slice(0, 16)}${(Number.parseInt(last.slice(16), 16) + 1).toString(16).toUpperCase().padStart(8, '0')}`;
    execFileSync('mkfifo', ['-m', '0644', path.join(frozen, next)]);
    try {
      const config = validateConfig({ database_url: src.url, backup: { base_backup: base, wal_archive: frozen }, timeouts: { check_ms: 6000 } });
      const t0 = performance.now();
      const c = (await run({ config, checks: [restoreDrillCheck], signal: new AbortController().signal, log: silentLogger() })).checks[0]!;
      const took = performance.now() - t0;
      expect(c.status).toBe('fail');
      console.log(`frozen archive: ${c.status} after ${Math.round(took)} ms: ${c.reason}`);
      expect(took).toBeLessThan(30_000);
      expect(drillRootsOf(process.pid)).toEqual([]);
      // No process of the drill's server (or its restore_command) survives.
      expect(execFileSync('ps', ['-eo', 'args']).toString().split('\n').filter((l) => l.includes('stackprobe-drill-'))).toEqual([]);
    } finally {
      await rm(frozen, { recursive: true, force: true });
    }
  }, 60_000);

  it('stops at Ctrl-C (the run signal aborted) during recovery, leaving nothing behind', async () => {
    const frozen = path.join(src.root, 'archive-frozen-ctrlc');
    execFileSync('cp', ['-a', src.archive, frozen]);
    const last = segments[segments.length - 1]!;
    const next = `${last.slice(0, 16)}${(Number.parseInt(last.slice(16), 16) + 1).toString(16).toUpperCase().padStart(8, '0')}`;
    execFileSync('mkfifo', ['-m', '0644', path.join(frozen, next)]);
    const ac = new AbortController();
    try {
      const config = validateConfig({ database_url: src.url, backup: { base_backup: base, wal_archive: frozen } });
      const t0 = performance.now();
      const running = run({ config, checks: [restoreDrillCheck], signal: ac.signal, log: silentLogger() });
      // Ctrl-C once the private server is recovering (its postmaster.pid exists).
      while (!drillRootsOf(process.pid).some((d) => existsSync(path.join(d, 'data', 'postmaster.pid'))) && performance.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 50));
      ac.abort(new Error('interrupted (Ctrl-C)'));
      const c = (await running).checks[0]!;
      expect(c.status).not.toBe('pass');
      expect(performance.now() - t0).toBeLessThan(30_000);
      expect(drillRootsOf(process.pid)).toEqual([]);
      expect(execFileSync('ps', ['-eo', 'args']).toString().split('\n').filter((l) => l.includes('stackprobe-drill-'))).toEqual([]);
    } finally {
      await rm(frozen, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('backup.restore_drill: a base backup of a cluster with a tablespace', () => {
  let s2: ArchivingServer;
  let live: string;
  let plain: string;
  let plainTs: string;
  let tarDir: string;
  beforeAll(async () => {
    s2 = await startArchivingServer();
    live = path.join(s2.root, 'ts-live');
    await mkdir(live, { mode: 0o700 });
    const ids = serverUser();
    if (ids) await chown(live, ids.uid, ids.gid);
    await s2.sql(createLedgerSql());
    await s2.sql(`CREATE TABLESPACE live_ts LOCATION '${live}'`);
    await s2.sql(`CREATE TABLE receipts (id int PRIMARY KEY, amount numeric(12,2) NOT NULL) TABLESPACE live_ts;
      INSERT INTO receipts SELECT g, g * 0.25 FROM generate_series(1, 400) g`);
    // Hint bits set now: the drill's live row counts then write nothing into the live tablespace.
    await s2.sql('VACUUM (FREEZE, ANALYZE) receipts');
    await s2.sql('CHECKPOINT');
    plain = path.join(s2.root, 'base-plain');
    plainTs = path.join(s2.root, 'base-plain-ts');
    tarDir = path.join(s2.root, 'base-tar');
    const bb = (args: string[]) => execFileSync(path.join(PG_BIN, 'pg_basebackup'), ['-h', s2.sockDir, '-p', String(s2.port), '-U', 'postgres', '-X', 'none', '-c', 'fast', '--no-sync', ...args], { timeout: 60_000 });
    bb(['-D', plain, '-T', `${live}=${plainTs}`]);
    bb(['-D', tarDir, '-Ft']);
    // A change after the backups, in the tablespace: replaying it writes into wherever the copy's tablespace points.
    await s2.sql('INSERT INTO receipts VALUES (401, 100.25)');
    await s2.sql('VACUUM (FREEZE) receipts');
    await s2.sql('CHECKPOINT');
    await s2.switchAndArchive();
  }, 90_000);
  afterAll(async () => {
    await s2?.stop();
  });

  /** The live tablespace, the backups and the backup's tablespace copy: none may change. */
  const watched = () => [live, plain, plainTs, tarDir, s2.archive];

  it('plain format: the tablespace is copied into the drill folder; the live tablespace and the backup are untouched', async () => {
    const before = await snapshot(watched());
    const c = await drill2({ base_backup: plain, wal_archive: s2.archive });
    expect(c.status, c.reason).toBe('pass');
    expect(metric(c, 'rows_restored')?.count).toBe(40 + 3000 + 6000 + 401);
    expect(c.info.movedIn).toEqual([expect.objectContaining({ backupPointedTo: plainTs, restoredTo: expect.stringMatching(/\/stackprobe-drill-[^/]+\/tblspc\/\d+$/) as unknown })]);
    expect(await snapshot(watched())).toEqual(before);
    expect(drillRootsOf(process.pid)).toEqual([]);
  }, 90_000);

  it('ignores settings of the backup\'s own postgresql.conf that act outside the drill folder (a standby\'s archive_cleanup_command, recovery_end_command, external_pid_file, data_directory)', async () => {
    const copy = path.join(s2.root, 'base-hostile');
    execFileSync('cp', ['-a', '--', plain, copy]);
    // Where the server's user could write (a folder it owns), so only the settings being ignored keeps the markers away.
    const markers = path.join(s2.root, 'hostile');
    await mkdir(markers, { mode: 0o777 });
    await chmod(markers, 0o777);
    const marker = path.join(markers, 'marker');
    const conf = ['', `archive_cleanup_command = 'touch ${marker}-cleanup'`, `recovery_end_command = 'touch ${marker}-end'`,
      `external_pid_file = '${marker}.pid'`, `data_directory = '${s2.dataDir}'`, ''].join('\n');
    execFileSync('sh', ['-c', `cat >> '${path.join(copy, 'postgresql.conf')}'`], { input: conf });
    try {
      const before = await snapshot(watched());
      const livePid = readFileSync(path.join(s2.dataDir, 'postmaster.pid'), 'utf8');
      const c = await drill2({ base_backup: copy, wal_archive: s2.archive });
      expect(c.status, c.reason).toBe('pass');
      expect(metric(c, 'rows_restored')?.count).toBe(40 + 3000 + 6000 + 401);
      for (const f of [`${marker}-cleanup`, `${marker}-end`, `${marker}.pid`]) expect(existsSync(f), f).toBe(false);
      expect(await snapshot(watched())).toEqual(before);
      // The live data directory is not compared file by file (its server writes to it): it still belongs to its server.
      expect(readFileSync(path.join(s2.dataDir, 'postmaster.pid'), 'utf8')).toBe(livePid);
      expect(await s2.sql('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await rm(copy, { recursive: true, force: true });
      await rm(markers, { recursive: true, force: true });
    }
  }, 90_000);

  it('tar format: <oid>.tar is extracted into the drill folder instead of PostgreSQL linking the live path from tablespace_map', async () => {
    const before = await snapshot(watched());
    const c = await drill2({ base_backup: tarDir, wal_archive: s2.archive });
    expect(c.status, c.reason).toBe('pass');
    expect(metric(c, 'rows_restored')?.count).toBe(40 + 3000 + 6000 + 401);
    expect(c.info.movedIn).toEqual([expect.objectContaining({ backupPointedTo: live })]);
    expect(await snapshot(watched())).toEqual(before);
  }, 90_000);

  it('tar format without the tablespace\'s tar: refused naming it, the live tablespace untouched', async () => {
    const tsTar = (await readdir(tarDir)).find((n) => /^\d+\.tar$/.test(n))!;
    await rename(path.join(tarDir, tsTar), path.join(s2.root, tsTar));
    try {
      const before = await snapshot(watched());
      const c = await drill2({ base_backup: tarDir, wal_archive: s2.archive });
      expect(c.status).toBe('fail');
      expect(c.reason).toBe(`the base backup has tablespace ${tsTar.replace('.tar', '')} (at ${live}) but no ${tsTar} beside base.tar: the drill restores a tablespace only from the backup, never from its live folder`);
      expect(await snapshot(watched())).toEqual(before);
    } finally {
      await rename(path.join(s2.root, tsTar), path.join(tarDir, tsTar));
    }
  }, 60_000);

  const drill2 = (backup: ConfigInput['backup']) => runDrill(s2.url, backup);
});
