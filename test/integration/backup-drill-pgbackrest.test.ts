// backup.restore_drill with a real pgBackRest (Debian's) and a private archiving PostgreSQL 15 with two tablespaces: a full backup plus changes restores and passes without writing outside the drill folder, a point-in-time drill stops between two changes, bytes written over a repository file fail naming it; the same on a repository owned by postgres (0750) with stackprobe as root; a secret file or a FIFO given as the config is refused without a byte of it in any output.
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, open, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, runAsServer, serverUser } from '../../src/checks/backup/drill/server.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createLedgerSql, drillRootsOf } from '../helpers/drill-fixture.js';
import { drillMetric, runDrill, type DrillInfo } from '../helpers/drill-run.js';
import { runCli, runDirOf } from '../helpers/cli.js';
import { startArchivingServer, type ArchivingServer } from '../helpers/drill-source.js';
import { snapshot } from '../helpers/fs-snapshot.js';
import { watchDescendants } from '../helpers/proc-watch.js';

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
let root: string;
/** Tablespace folders: one stays where the backup says it lives (with the live files in it), one is moved away after the backup. */
let tsPresent: string;
let tsAbsent: string;
const signal = new AbortController().signal;
const pgbackrest = (args: string[]) => runAsServer('/usr/bin/pgbackrest', [`--config=${conf}`, '--stanza=drill', ...args], signal, 120_000);

beforeAll(async () => {
  if (!installed) return;
  src = await startArchivingServer(async (p) => {
    conf = path.join(p.root, 'pgbackrest.conf');
    repo = path.join(p.root, 'repo');
    const ids = serverUser();
    root = p.root;
    tsPresent = path.join(p.root, 'ts-present');
    tsAbsent = path.join(p.root, 'ts-absent');
    for (const d of [repo, path.join(p.root, 'pbr-log'), path.join(p.root, 'pbr-lock'), tsPresent, tsAbsent]) {
      await mkdir(d, { mode: 0o750 });
      if (ids) await chown(d, ids.uid, ids.gid);
    }
    await writeFile(conf, `[global]\nrepo1-path=${repo}\nlog-path=${p.root}/pbr-log\nlock-path=${p.root}/pbr-lock\nlog-level-file=off\nstart-fast=y\n\n[drill]\npg1-path=${p.dataDir}\npg1-socket-path=${p.sockDir}\npg1-port=${p.port}\npg1-user=postgres\n`);
    await chmod(conf, 0o644);
    return `pgbackrest --config=${conf} --stanza=drill archive-push %p`;
  });
  await src.sql(createLedgerSql());
  // A tablespace whose name climbs out of any folder it is joined to (pgBackRest's map-all joins names).
  await src.sql(`CREATE TABLESPACE ts_present LOCATION '${tsPresent}'`);
  await src.sql(`CREATE TABLESPACE "../../../drill-ts-escape" LOCATION '${tsAbsent}'`);
  await src.sql(`CREATE TABLE "Ledger's".statements_present (id int PRIMARY KEY, note text NOT NULL) TABLESPACE ts_present;
    INSERT INTO "Ledger's".statements_present SELECT g, 'statement ' || g FROM generate_series(1, 500) g;
    CREATE TABLE "Ledger's".statements_absent (id int PRIMARY KEY, note text NOT NULL) TABLESPACE "../../../drill-ts-escape";
    INSERT INTO "Ledger's".statements_absent SELECT g, 'old statement ' || g FROM generate_series(1, 300) g`);
  // Hint bits and visibility set now, so reading these tables later (the drill's live row counts) writes nothing to them.
  await src.sql(`VACUUM (FREEZE, ANALYZE) "Ledger's".statements_present, "Ledger's".statements_absent`);
  await src.sql('CHECKPOINT');
  await pgbackrest(['stanza-create']);
  await pgbackrest(['--type=full', 'backup']);
  await src.sql(`INSERT INTO "Ledger's".journal_entries (memo) VALUES ('first change')`);
  await src.switchAndArchive();
  between = (await src.sql<{ t: string }>(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t`))[0]!.t;
  await src.sql(`SELECT pg_sleep(0.05)`);
  await src.sql(`INSERT INTO "Ledger's".journal_entries (memo) VALUES ('second change')`);
  await src.switchAndArchive();
  // The second tablespace's folder is moved away (the live server follows its re-pointed link): a restore to the
  // backup's paths would create it again, outside the drill folder.
  const oid = (await src.sql<{ oid: string }>(`SELECT oid::text FROM pg_tablespace WHERE spcname = '../../../drill-ts-escape'`))[0]!.oid;
  const link = path.join(src.dataDir, 'pg_tblspc', oid);
  await rename(tsAbsent, `${tsAbsent}-moved`);
  await symlink(`${tsAbsent}-moved`, `${link}.new`);
  await rename(`${link}.new`, link);
  expect(await readlink(link)).toBe(`${tsAbsent}-moved`);
}, 90_000);
afterAll(async () => {
  await src?.stop();
});

const drill = (backup: ConfigInput['backup']) => runDrill(src.url, backup);
const metric = drillMetric;
const ROWS = 40 + 3002 + 6000 + 500 + 300;

/** What the drill must not change: the tablespaces' paths (present, absent, moved), the repository, pgBackRest's spool folder, the source's folder. */
const outsidePaths = () => [tsPresent, tsAbsent, `${tsAbsent}-moved`, repo, '/var/spool/pgbackrest', path.join(root, 'pbr-lock'), ESCAPE];
/** Where pgBackRest's map-all would put the tablespace named like a path: <map-all>/../../../drill-ts-escape. */
const ESCAPE = path.join(os.tmpdir(), 'drill-ts-escape');

/** Writes bytes over the biggest file of the full backup, runs `fn`, and puts the bytes back. */
async function withDamagedFile(fn: (rel: string) => Promise<void>): Promise<void> {
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
    await fn(path.relative(path.join(backupDir, label, 'pg_data'), victim.f).replace(/\.(gz|lz4|zst|bz2)$/, ''));
  } finally {
    await fh.write(original, 0, 64, 100);
    await fh.close();
  }
}

describe.skipIf(!installed)('backup.restore_drill: backup.pgbackrest', () => {
  it('restores the latest full backup, both tablespaces inside the drill folder, and the WAL after it; passes with RTO and recovery point; writes nothing outside its folder', async () => {
    const before = await snapshot(outsidePaths());
    const watch = watchDescendants();
    const c = await drill({ pgbackrest: { stanza: 'drill', config: conf }, max_restore_s: 120 }).finally(() => watch.stop());
    expect(c.status, c.reason).toBe('pass');
    expect(await snapshot(outsidePaths())).toEqual(before);
    expect(before[tsAbsent]).toBe('absent');
    const info = c.info.drill_pgbackrest as DrillInfo;
    expect(info.tool).toMatch(/^pgBackRest 2\.\d+ restore of \d{8}-\d{6}F \(full\)/);
    expect(info.changedSinceBackup).toBe(0);
    expect(metric(c, 'rows_restored')?.count).toBe(ROWS);
    const spaces = (c.info.pgbackrestBackup as { tablespaces: { name: string; livedAt: string; restoredTo: string }[] }).tablespaces;
    expect(spaces.map((t) => [t.name, t.livedAt]).sort()).toEqual([['../../../drill-ts-escape', tsAbsent], ['ts_present', tsPresent]]);
    for (const t of spaces) expect(t.restoredTo).toMatch(new RegExp(`^${os.tmpdir()}/stackprobe-drill-[^/]+/tblspc/\\d+$`));
    // pgbackrest (restore, and archive-get under the restored server) got no URL and no password either.
    const children = [...watch.seen.values()];
    expect(children.map((p) => p.comm)).toEqual(expect.arrayContaining(['pgbackrest', 'postgres']));
    expect(children.flatMap((p) => p.environ.split('\0').filter((v) => /:\/\/|PASSWORD|_URL=/.test(v)))).toEqual([]);
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
    await withDamagedFile(async (rel) => {
      const c = await drill({ pgbackrest: { stanza: 'drill', config: conf } });
      expect(c.status).toBe('fail');
      console.log(`corrupted ${rel}: ${c.reason}`);
      expect(c.reason).toContain(rel);
      expect(drillRootsOf(process.pid)).toEqual([]);
    });
  }, 90_000);
});

describe.skipIf(!installed)('backup.restore_drill: config files given to pgbackrest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'drill-conf-test-'));
    await chmod(dir, 0o755);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a secret file given as the config, and no byte of it reaches the console, run.json, the reports or the log', async () => {
    const secret = path.join(dir, 'shadow');
    const lines = ['root:$y$j9T$Q7cHbLx1tPq0$Zr9wXKmP3sVd8NfLh2TgYc4BeJ6uAo5iQ1nRkM7Wz0E:19700:0:99999:7:::', 'daemon:*:19700:0:99999:7:::', 'postgres:$6$saltsalt$DeAdBeEfHaSh0123456789abcdef:19700:0:99999:7:::'];
    await writeFile(secret, `${lines.join('\n')}\n`, { mode: 0o600 });
    const cfg = path.join(dir, 'stackprobe.json');
    await writeFile(cfg, JSON.stringify({ backup: { pgbackrest: { stanza: 'drill', config: secret } } }));
    const out = path.join(dir, 'out');
    const r = await runCli(['run', '--only', 'backup.restore_drill', '--config', cfg, '--output', out], { env: { DATABASE_URL: src.url } });
    expect(r.code).toBe(1);
    const files: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(path.join(d, e.name));
        else if (e.isFile()) files.push(path.join(d, e.name));
      }
    };
    await walk(out);
    const texts = [r.stdout, r.stderr, ...(await Promise.all(files.map((f) => readFile(f, 'utf8'))))];
    expect(files.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['run.json', 'report.md', 'report.html', 'stackprobe.log']));
    // Every run of 6 characters of the secret file, save those of the words a message may honestly use.
    const pieces = lines.flatMap((l) => l.split(/[:*]+/)).filter((x) => x.length >= 6 && !/^(daemon|postgres|99999)$/.test(x));
    for (const t of texts) for (const piece of pieces) expect(t.includes(piece), `found ${piece}`).toBe(false);
    const run = JSON.parse(await readFile(path.join(runDirOf(out), 'run.json'), 'utf8')) as { checks: { id: string; reason?: string }[] };
    const reason = run.checks.find((c) => c.id === 'backup.restore_drill')!.reason!;
    console.log(`secret file as config: ${reason}`);
    expect(reason).toBe(`backup.pgbackrest.config ${secret} is not a pgBackRest configuration file: line 1 is neither a [section], a # comment nor a key=value setting`);
  }, 90_000);

  it('keeps the values of a real config out of pgbackrest\'s messages', async () => {
    const file = path.join(dir, 'bad-values.conf');
    await writeFile(file, `[global]\nrepo1-path=${repo}\nrepo1-type=Hunter2-not-a-type\nrepo1-cipher-pass=Cipher-Pass-Value-42\n`, { mode: 0o644 });
    const c = await drill({ pgbackrest: { stanza: 'drill', config: file } });
    expect(c.status).toBe('fail');
    console.log(`bad value in config: ${c.reason}`);
    expect(c.reason).not.toMatch(/Hunter2|Cipher-Pass/);
    expect(c.reason).toContain('<repo1-type of the pgBackRest config>');
  }, 60_000);

  it('refuses a FIFO given as the config at once, instead of waiting for a writer', async () => {
    const fifo = path.join(dir, 'fifo.conf');
    execFileSync('mkfifo', [fifo]);
    const t0 = performance.now();
    const c = await drill({ pgbackrest: { stanza: 'drill', config: fifo } });
    const ms = performance.now() - t0;
    expect(c.status).toBe('fail');
    expect(c.reason).toBe(`backup.pgbackrest.config ${fifo} is a FIFO (named pipe); expected a regular file`);
    expect(ms).toBeLessThan(10_000);
  }, 30_000);
});

// Last: it gives the repository to postgres, after which the source (running as nobody) can no longer archive into it.
describe.skipIf(!installed || !isRoot())('backup.restore_drill: a repository owned by postgres (mode 0750), stackprobe as root', () => {
  beforeAll(async () => {
    execFileSync('chown', ['-R', 'postgres:postgres', repo]);
    execFileSync('find', [repo, '-type', 'd', '-exec', 'chmod', '0750', '{}', '+']);
    execFileSync('find', [repo, '-type', 'f', '-exec', 'chmod', '0640', '{}', '+']);
    // nobody can no longer read it: the set-up that used to fail with "unable to find a valid repository".
    await expect(runAsServer('/usr/bin/ls', [repo], signal, 10_000)).rejects.toThrow(/Permission denied/);
  });

  it('runs the restore and the restored server as postgres, and passes', async () => {
    const before = await snapshot(outsidePaths());
    const c = await drill({ pgbackrest: { stanza: 'drill', config: conf } });
    expect(c.status, c.reason).toBe('pass');
    expect(c.info.drillUser).toMatchObject({ runsAs: expect.stringMatching(/^postgres \(uid \d+\)$/) as unknown });
    expect(metric(c, 'rows_restored')?.count).toBe(ROWS);
    expect(await snapshot(outsidePaths())).toEqual(before);
    expect(drillRootsOf(process.pid)).toEqual([]);
  }, 90_000);

  it('says before restoring anything when the archive is not readable by the repository\'s owner', async () => {
    const archiveDir = path.join(repo, 'archive', 'drill');
    execFileSync('chown', ['root:root', archiveDir]);
    await chmod(archiveDir, 0o700);
    try {
      const c = await drill({ pgbackrest: { stanza: 'drill', config: conf } });
      expect(c.status).toBe('fail');
      console.log(`archive unreadable to postgres: ${c.reason}`);
      expect(c.reason).toMatch(new RegExp(`^pgbackrest repo-ls archive/drill failed: ERROR: \\[053\\]: unable to list file info for path '${archiveDir}': \\[13\\] Permission denied\\. The drill runs pgbackrest restore and the restored server's archive-get as postgres \\(uid \\d+\\) \\(the owner of the repository ${repo}\\); nothing was restored\\. Make the repository ${repo} \\(its archive folder and everything in it\\) and the config ${conf} readable by that user$`));
      expect(c.info.drill_pgbackrest).toBeUndefined();
      expect(drillRootsOf(process.pid)).toEqual([]);
    } finally {
      execFileSync('chown', ['postgres:postgres', archiveDir]);
      await chmod(archiveDir, 0o750);
    }
  }, 60_000);

  it('fails naming the damaged file', async () => {
    await withDamagedFile(async (rel) => {
      const c = await drill({ pgbackrest: { stanza: 'drill', config: conf } });
      expect(c.status).toBe('fail');
      console.log(`postgres-owned repository, corrupted ${rel}: ${c.reason}`);
      expect(c.reason).toContain(rel);
    });
  }, 90_000);
});
