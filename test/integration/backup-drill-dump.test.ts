// backup.restore_drill with a pg_dump archive against real PostgreSQL 15: a clean dump passes with RTO figures, a truncated one fails, a newer archive format is refused, a dump missing rows fails, a SIGKILLed drill is reaped.
import { execFileSync, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, open, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { createLedger, drillRootsOf, dumpDatabase } from '../helpers/drill-fixture.js';
import { drillMetric, runDrill } from '../helpers/drill-run.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
let dir: string;
let dump: string;
beforeAll(async () => {
  db = await createTestDatabase();
  await createLedger(db);
  dir = await mkdtemp(path.join(os.tmpdir(), 'drill-test-'));
  dump = path.join(dir, 'ledger.pgdump');
  await dumpDatabase(db, dump);
}, 60_000);
afterAll(async () => {
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const drill = (backup: ConfigInput['backup'], extra: Omit<ConfigInput, 'database_url' | 'backup'> = {}, url = db.url) => runDrill(url, backup, extra);
const metric = drillMetric;

describe('backup.restore_drill: backup.dump_file', () => {
  it('restores a pg_dump -Fc into a private server, verifies it, and says which tables changed since', async () => {
    await db.sql(`INSERT INTO "Ledger's".journal_entries (memo) VALUES ('after the dump'), ('after the dump too')`);
    const c = await drill({ dump_file: dump, max_restore_s: 120 });
    expect(c.status, c.reason).toBe('pass');
    expect(metric(c, 'drill_defects')?.count).toBe(0);
    expect(metric(c, 'rto_s')?.summary?.max).toBeGreaterThan(0);
    expect(metric(c, 'tables_restored')?.count).toBe(3);
    expect(metric(c, 'rows_restored')?.count).toBe(40 + 3000 + 6000);
    expect(metric(c, 'relations_amchecked')?.count).toBeGreaterThanOrEqual(3 + 6);
    expect(metric(c, 'invariants_checked')?.count).toBe(1);
    expect(metric(c, 'recovery_point_age_s')?.value).toBeLessThan(600);
    const info = c.info.drill_dump_file as { tool: string; restoreS: number; consistencyS: number; rtoS: number; changedSinceBackup: number };
    expect(info.tool).toMatch(/^pg_restore 15\./);
    expect(info.changedSinceBackup).toBe(1);
    expect(c.findings.map((f) => f.title)).toContainEqual(expect.stringMatching(/^table Ledger's\.journal_entries: 3000 rows restored, 3002 live/));
    expect(drillRootsOf(process.pid)).toEqual([]);
    console.log(`dump drill: restore ${info.restoreS} s, server start ${info.consistencyS} s, RTO ${info.rtoS} s, ${(await stat(dump)).size} B archive`);
  }, 90_000);

  it('fails with the reason when the archive is truncated', async () => {
    const cut = path.join(dir, 'cut.pgdump');
    await copyFile(dump, cut);
    await truncate(cut, Math.floor((await stat(cut)).size * 0.6));
    const c = await drill({ dump_file: cut });
    console.log(`truncated: ${c.reason}`);
    expect(c.status).toBe('fail');
    expect(c.reason).toMatch(/the restore of .*cut\.pgdump failed: pg_restore exited with 1: .*(end of file|could not read|unexpected)/i);
    expect(metric(c, 'drill_defects')?.count).toBe(1);
    expect(drillRootsOf(process.pid)).toEqual([]);
  }, 60_000);

  it('refuses a FIFO, a device, an empty file and a directory dump whose table of contents is a FIFO, at once, naming the path and the problem', async () => {
    const fifo = path.join(dir, 'dump.fifo');
    execFileSync('mkfifo', [fifo]);
    const empty = path.join(dir, 'empty.pgdump');
    await writeFile(empty, '');
    const dirDump = path.join(dir, 'dir-with-fifo');
    await mkdir(dirDump);
    execFileSync('mkfifo', [path.join(dirDump, 'toc.dat')]);
    const cases: [string, string][] = [
      [fifo, `backup.dump_file ${fifo} is a FIFO (named pipe); expected a regular file or a directory`],
      ['/dev/zero', 'backup.dump_file /dev/zero is a device; expected a regular file or a directory'],
      [empty, `backup.dump_file ${empty} is empty`],
      [dirDump, `backup.dump_file (a directory-format dump's table of contents) ${path.join(dirDump, 'toc.dat')} is a FIFO (named pipe); expected a regular file`],
    ];
    for (const [file, reason] of cases) {
      const t0 = performance.now();
      const c = await drill({ dump_file: file });
      expect(c.status).toBe('fail');
      expect(c.reason).toBe(reason);
      expect(performance.now() - t0).toBeLessThan(10_000);
    }
    expect(drillRootsOf(process.pid)).toEqual([]);
  }, 60_000);

  it('refuses an archive of a newer pg_dump, naming the pg_restore it needs', async () => {
    const newer = path.join(dir, 'newer.pgdump');
    await copyFile(dump, newer);
    const fh = await open(newer, 'r+');
    await fh.write(Buffer.from([1, 16]), 0, 2, 5); // archive format 1.16: what pg_dump 17 writes
    await fh.close();
    const c = await drill({ dump_file: newer });
    console.log(`newer format: ${c.reason}`);
    expect(c.status).toBe('skip');
    expect(c.reason).toMatch(/format 1\.16.*PostgreSQL 17/);
    expect(drillRootsOf(process.pid)).toEqual([]);
  }, 30_000);

  it('fails when a table came back with rows the live statistics cannot explain', async () => {
    const other = await createTestDatabase();
    try {
      await createLedger(other);
      // Counters reset: the live database shows no change since, so a table restored empty is a defect, not a change.
      await other.sql('SELECT pg_stat_reset()');
      const partial = path.join(dir, 'partial.pgdump');
      const u = new URL(other.url);
      const { execFile } = await import('node:child_process');
      await new Promise<void>((res, rej) => execFile('/usr/lib/postgresql/15/bin/pg_dump', ['-Fc', '-f', partial, `--exclude-table-data="Ledger's".postings`, '-h', u.hostname, '-U', 'postgres', other.name], (err) => (err ? rej(err) : res())));
      const c = await drill({ dump_file: partial }, {}, other.url);
      expect(c.status).toBe('fail');
      expect(c.findings.filter((f) => f.severity === 'error').map((f) => f.title)).toEqual([
        expect.stringMatching(/^table Ledger's\.postings: 0 rows restored, 6000 live, and the live statistics \(0 rows inserted or deleted\) cannot explain the difference of 6000$/),
      ]);
    } finally {
      await other.drop();
    }
  }, 90_000);

  it('skips with the reason when no backup is configured', async () => {
    const c = await drill({});
    expect(c.status).toBe('skip');
    expect(c.reason).toMatch(/no backup to drill: set backup\.dump_file/);
  });

  it('reaps the private server of a drill that was SIGKILLed', async () => {
    const SRC = path.resolve(import.meta.dirname, '../../src/checks/backup/drill/server.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
      `const s = await import(${JSON.stringify(SRC)}); const b = await s.findServerBinaries(15, true); const r = await s.makeRoot(); await s.initdb(b, r, new AbortController().signal, 60000);
       const srv = await s.startServer(b, r, []); await srv.waitFor(/ready to accept connections/, 30000, 'start'); console.log(r.root); setInterval(() => {}, 1000);`,
    ], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = performance.now() + 60_000;
    while (!out.includes('\n') && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const root = out.trim();
    expect(root).toMatch(/stackprobe-drill-/);
    const serverPid = Number(readFileSync(path.join(root, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(() => process.kill(serverPid, 0)).not.toThrow(); // orphaned: nobody stopped it

    const c = await drill({ dump_file: dump });
    expect(c.status, c.reason).toBe('pass');
    expect(c.info.reaped).toContain(root);
    expect(existsSync(root)).toBe(false);
    const stopBy = performance.now() + 10_000;
    while (performance.now() < stopBy && (await readFile(`/proc/${serverPid}/stat`, 'utf8').then((s) => !/\) Z /.test(s), () => false))) await new Promise((r) => setTimeout(r, 100));
    expect(await readFile(`/proc/${serverPid}/stat`, 'utf8').then((s) => !/\) Z /.test(s), () => false)).toBe(false);
  }, 90_000);
});
