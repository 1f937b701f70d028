// backup.restore_drill with a real pgBackRest (Debian's) and a private archiving PostgreSQL 15: a full backup plus changes restores and passes, a point-in-time drill stops between two changes, bytes written over a repository file fail naming it.
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, open, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsServer, serverUser } from '../../src/checks/backup/drill/server.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createLedgerSql, drillRootsOf } from '../helpers/drill-fixture.js';
import { drillMetric, runDrill, type DrillInfo } from '../helpers/drill-run.js';
import { startArchivingServer, type ArchivingServer } from '../helpers/drill-source.js';

const installed = (() => {
  try {
    execFileSync('pgbackrest', ['version']);
    return true;
  } catch (err) {
    void err;
    return false;
  }
})();

let src: ArchivingServer;
let conf: string;
let repo: string;
let between: string;
const signal = new AbortController().signal;
const pgbackrest = (args: string[]) => runAsServer('/usr/bin/pgbackrest', [`--config=${conf}`, '--stanza=drill', ...args], signal, 120_000);

beforeAll(async () => {
  if (!installed) return;
  src = await startArchivingServer(async (p) => {
    conf = path.join(p.root, 'pgbackrest.conf');
    repo = path.join(p.root, 'repo');
    const ids = serverUser();
    for (const d of [repo, path.join(p.root, 'pbr-log'), path.join(p.root, 'pbr-lock')]) {
      await mkdir(d, { mode: 0o750 });
      if (ids) await chown(d, ids.uid, ids.gid);
    }
    await writeFile(conf, `[global]\nrepo1-path=${repo}\nlog-path=${p.root}/pbr-log\nlock-path=${p.root}/pbr-lock\nlog-level-file=off\nstart-fast=y\n\n[drill]\npg1-path=${p.dataDir}\npg1-socket-path=${p.sockDir}\npg1-port=${p.port}\npg1-user=postgres\n`);
    await chmod(conf, 0o644);
    return `pgbackrest --config=${conf} --stanza=drill archive-push %p`;
  });
  await src.sql(createLedgerSql());
  await pgbackrest(['stanza-create']);
  await pgbackrest(['--type=full', 'backup']);
  await src.sql(`INSERT INTO "Ledger's".journal_entries (memo) VALUES ('first change')`);
  await src.switchAndArchive();
  between = (await src.sql<{ t: string }>(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t`))[0]!.t;
  await src.sql(`SELECT pg_sleep(0.05)`);
  await src.sql(`INSERT INTO "Ledger's".journal_entries (memo) VALUES ('second change')`);
  await src.switchAndArchive();
}, 90_000);
afterAll(async () => {
  await src?.stop();
});

const drill = (backup: ConfigInput['backup']) => runDrill(src.url, backup);
const metric = drillMetric;

describe.skipIf(!installed)('backup.restore_drill: backup.pgbackrest', () => {
  it('restores the latest full backup and the WAL after it, and passes with RTO and recovery point', async () => {
    const c = await drill({ pgbackrest: { stanza: 'drill', config: conf }, max_restore_s: 120 });
    expect(c.status, c.reason).toBe('pass');
    const info = c.info.drill_pgbackrest as DrillInfo;
    expect(info.tool).toMatch(/^pgBackRest 2\.\d+ restore of \d{8}-\d{6}F \(full\)/);
    expect(info.changedSinceBackup).toBe(0);
    expect(metric(c, 'rows_restored')?.count).toBe(40 + 3002 + 6000);
    expect((c.info.wal as { gaps: unknown[] }).gaps).toEqual([]);
    expect(drillRootsOf(process.pid)).toEqual([]);
    console.log(`pgBackRest drill: restore ${info.restoreS} s, recovery ${info.consistencyS} s, RTO ${info.rtoS} s, recovery point ${info.recoveryPoint}`);
  }, 90_000);

  it('stops a point-in-time drill between two known changes', async () => {
    const c = await drill({ pgbackrest: { stanza: 'drill', config: conf }, target_time: between });
    expect(c.status, c.reason).toBe('pass');
    expect(c.info.recovery).toMatchObject({ stoppedAtTarget: true });
    expect(c.findings.map((f) => f.title)).toContainEqual(expect.stringMatching(/^table Ledger's\.journal_entries: 3001 rows restored, 3002 live/));
    const info = c.info.drill_pgbackrest as DrillInfo;
    console.log(`pgBackRest point-in-time drill to ${between}: recovery point ${info.recoveryPoint}, RTO ${info.rtoS} s`);
  }, 90_000);

  it('fails naming the file when bytes were written over it in the repository', async () => {
    const backupDir = path.join(repo, 'backup', 'drill');
    const label = (await readdir(backupDir)).find((n) => /F$/.test(n))!;
    // The biggest file of the backup: the ledger's postings heap.
    const files: { f: string; size: number }[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else files.push({ f: p, size: (await stat(p)).size });
      }
    };
    await walk(path.join(backupDir, label, 'pg_data', 'base'));
    const victim = files.sort((a, b) => b.size - a.size)[0]!;
    const fh = await open(victim.f, 'r+');
    const original = Buffer.alloc(64);
    await fh.read(original, 0, 64, 100);
    await fh.write(Buffer.alloc(64, 0x5a), 0, 64, 100);
    try {
      const c = await drill({ pgbackrest: { stanza: 'drill', config: conf } });
      expect(c.status).toBe('fail');
      const rel = path.relative(path.join(backupDir, label, 'pg_data'), victim.f).replace(/\.(gz|lz4|zst|bz2)$/, '');
      console.log(`corrupted ${rel}: ${c.reason}`);
      expect(c.reason).toContain(rel);
      expect(drillRootsOf(process.pid)).toEqual([]);
    } finally {
      await fh.write(original, 0, 64, 100);
      await fh.close();
    }
  }, 90_000);
});
