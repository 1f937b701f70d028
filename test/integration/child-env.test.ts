// Attack on "children get a built environment, never an inherited one": with DATABASE_URL, REDIS_URL, CELERY_* and PGPASSWORD set to markers here, every child the product starts (pg_dump, pg_restore, initdb, postgres, redis-server) is read from /proc/<pid>/environ while it runs, and none holds a URL, a password or a marker.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsServer, serverUser } from '../../src/checks/backup/drill/server.js';
import { backupChecks } from '../../src/checks/backup/index.js';
import { roundTrip } from '../../src/checks/backup/roundtrip.js';
import { PASSFILE_FD } from '../../src/checks/backup/spawn.js';
import { validateConfig } from '../../src/config/load.js';
import { run } from '../../src/run/runner.js';
import { startEmbeddedPostgres } from '../../src/targets/embedded/embedded-pg.js';
import { startPrivateRedis } from '../../src/targets/redis/server.js';
import { childEnv } from '../../src/util/child.js';
import { silentLogger } from '../../src/util/logger.js';
import { PG_BIN, createLedger, dumpDatabase } from '../helpers/drill-fixture.js';
import { runDrill } from '../helpers/drill-run.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { leaks, setMarkers, watchDescendants, type SeenProcess } from '../helpers/proc-watch.js';

const { Client } = pg;
const SECRET = 'Sekr3t-child-env';
let db: TestDatabase;
let dir: string;
let restoreEnv: () => void;
beforeAll(async () => {
  db = await createTestDatabase();
  await createLedger(db);
  dir = await mkdtemp(path.join(os.tmpdir(), 'child-env-test-'));
  restoreEnv = setMarkers();
}, 60_000);
afterAll(async () => {
  restoreEnv?.();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs `fn` while watching our children; returns what was seen. */
async function watching(fn: () => Promise<void>): Promise<SeenProcess[]> {
  const w = watchDescendants();
  try {
    await fn();
  } finally {
    await w.stop();
  }
  return [...w.seen.values()];
}

const comms = (seen: SeenProcess[]) => [...new Set(seen.map((p) => p.comm))].sort();
const withPassword = (url: string) => { const u = new URL(url); u.password = SECRET; return u.toString(); };

describe('child environments', () => {
  it('builds an allow-listed environment and refuses to hand over a URL or a password', () => {
    const env = childEnv({ PGHOST: '/tmp/sock', PGPASSFILE: '/dev/fd/3' }, {}, { PATH: '/bin', LC_ALL: 'C', HOME: '/root', DATABASE_URL: 'postgres://u:p@h/d', PGPASSWORD: 'x', AWS_SECRET_ACCESS_KEY: 'y' });
    expect(env).toEqual({ PATH: '/bin', LC_ALL: 'C', PGHOST: '/tmp/sock', PGPASSFILE: '/dev/fd/3' });
    expect(() => childEnv({ PGPASSWORD: 'x' })).toThrow(/PGPASSWORD/);
    expect(() => childEnv({ PGSERVICE: 'postgres://u:secret@h/d' })).toThrow(/PGSERVICE/);
  });

  it('pg_dump and pg_restore of the round trip get no URL and no password; the password reaches them as /dev/fd/3, not a file on disk', async () => {
    const roundtrip = backupChecks.find((c) => c.id === 'backup.roundtrip')!;
    let status = '';
    const seen = await watching(async () => {
      const r = await run({ config: validateConfig({ database_url: withPassword(db.url) }), checks: [roundtrip], signal: new AbortController().signal, log: silentLogger() });
      status = `${r.checks[0]!.status} ${r.checks[0]!.reason ?? ''}`;
    });
    expect(status).toMatch(/^pass/);
    expect(comms(seen)).toEqual(expect.arrayContaining(['pg_dump', 'pg_restore']));
    expect(seen.flatMap((p) => leaks(p, [SECRET]))).toEqual([]);
    const dumps = seen.filter((p) => p.comm === 'pg_dump' && p.environ.includes('PGSERVICEFILE='));
    expect(dumps.length).toBeGreaterThan(0);
    for (const p of dumps) expect(p.environ.split('\0')).toContain('PGPASSFILE=/dev/fd/3');
    console.log(`round trip children: ${comms(seen).join(', ')} (${seen.length} processes)`);
  }, 120_000);

  it('initdb, postgres and pg_restore of a dump drill get no URL and no password', async () => {
    const dump = path.join(dir, 'ledger.pgdump');
    await dumpDatabase(db, dump);
    let status = '';
    const seen = await watching(async () => {
      const c = await runDrill(withPassword(db.url), { dump_file: dump });
      status = `${c.status} ${c.reason ?? ''}`;
    });
    expect(status).toMatch(/^pass/);
    expect(comms(seen)).toEqual(expect.arrayContaining(['initdb', 'postgres', 'pg_restore']));
    expect(seen.flatMap((p) => leaks(p, [SECRET]))).toEqual([]);
    console.log(`dump drill children: ${comms(seen).join(', ')} (${seen.length} processes)`);
  }, 120_000);

  it('the private redis-server and the embedded PostgreSQL get no URL and no password; pg_dump authenticates (SCRAM) through the passfile on /dev/fd/3', async () => {
    const roundtrip = backupChecks.find((c) => c.id === 'backup.roundtrip')!;
    let status = '';
    let password = '';
    // A temp folder of its own: the build's template data directory (initdb once) is made here, under watch, rather
    // than copied from one an earlier test made.
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-childenv-'));
    await chmod(tmp, 0o755);
    const tmpBefore = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    const seen = await watching(async () => {
      const redis = await startPrivateRedis();
      const pg = await startEmbeddedPostgres();
      try {
        password = decodeURIComponent(new URL(pg.url).password);
        const c = new Client({ connectionString: pg.url });
        await c.connect();
        await c.query('CREATE TABLE accounts (id bigint PRIMARY KEY, balance numeric(14,2) NOT NULL); INSERT INTO accounts SELECT g, g * 1.5 FROM generate_series(1, 500) g');
        await c.end();
        const r = await run({ config: validateConfig({ database_url: pg.url }), checks: [roundtrip], signal: new AbortController().signal, log: silentLogger() });
        status = `${r.checks[0]!.status} ${r.checks[0]!.reason ?? ''}`;
      } finally {
        await redis.stop();
        await pg.stop();
      }
    }).finally(async () => {
      if (tmpBefore === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmpBefore;
      await rm(tmp, { recursive: true, force: true });
    });
    expect(status).toMatch(/^pass/);
    expect(comms(seen)).toEqual(expect.arrayContaining(['redis-server', 'initdb', 'postgres', 'pg_dump', 'pg_restore']));
    expect(seen.flatMap((p) => leaks(p, [password]))).toEqual([]);
    console.log(`private servers and a round trip with a password: ${comms(seen).join(', ')} (${seen.length} processes)`);
  }, 120_000);

  it('a URL without a password and PGPASSWORD set (as node-postgres reads it): pg_dump gets the password through the passfile, not PGPASSWORD', async () => {
    const roundtrip = backupChecks.find((c) => c.id === 'backup.roundtrip')!;
    const pg = await startEmbeddedPostgres();
    const marker = process.env.PGPASSWORD;
    let status = '';
    let seen: SeenProcess[] = [];
    try {
      const u = new URL(pg.url);
      process.env.PGPASSWORD = decodeURIComponent(u.password);
      u.password = '';
      const c = new Client({ connectionString: u.toString() });
      await c.connect();
      await c.query('CREATE TABLE budgets (id bigint PRIMARY KEY, amount numeric(14,2) NOT NULL); INSERT INTO budgets SELECT g, g FROM generate_series(1, 100) g');
      await c.end();
      seen = await watching(async () => {
        const r = await run({ config: validateConfig({ database_url: u.toString() }), checks: [roundtrip], signal: new AbortController().signal, log: silentLogger() });
        status = `${r.checks[0]!.status} ${r.checks[0]!.reason ?? ''}`;
      });
      expect(status).toMatch(/^pass/);
      expect(seen.flatMap((p) => leaks(p, [process.env.PGPASSWORD!]))).toEqual([]);
      expect(seen.filter((p) => p.comm === 'pg_dump' && p.environ.includes('PGPASSFILE=/dev/fd/3')).length).toBeGreaterThan(0);
    } finally {
      process.env.PGPASSWORD = marker;
      await pg.stop();
    }
  }, 120_000);

  it('the passfile a tool holds open cannot be read by the user the drill\'s server runs as, only by stackprobe\'s own', async () => {
    // A pg_dump that waits a moment before running, holding the passfile it was handed (descriptors survive exec).
    const wrap = await mkdtemp(path.join(os.tmpdir(), 'child-env-wrap-'));
    try {
      for (const tool of ['pg_dump', 'pg_restore']) {
        await writeFile(path.join(wrap, tool), `#!/bin/sh\n[ "$1" = --version ] || sleep 1\nexec ${PG_BIN}/${tool} "$@"\n`, { mode: 0o755 });
      }
      const roundtrip = backupChecks.find((c) => c.id === 'backup.roundtrip')!;
      const reads: { asServer: string; asUs: string }[] = [];
      const check = { ...roundtrip, run: (ctx: Parameters<typeof roundtrip.run>[0]) => roundTrip(ctx, {
        onSpawn: (pid) => {
          reads.push({ asServer: '', asUs: '' });
          const r = reads[reads.length - 1]!;
          const fd = `/proc/${pid}/fd/${PASSFILE_FD}`;
          void runAsServer('/bin/cat', [fd], new AbortController().signal, 5000).then((t) => { r.asServer = `read: ${t}`; }, (err: Error) => { r.asServer = err.message; });
          void readFile(fd, 'utf8').then((t) => { r.asUs = t; }, (err: Error) => { r.asUs = err.message; });
        },
      }) };
      const r = await run({ config: validateConfig({ database_url: withPassword(db.url), backup: { pg_dump_path: wrap } }), checks: [check], signal: new AbortController().signal, log: silentLogger() });
      expect(r.checks[0]!.status, r.checks[0]!.reason).toBe('pass');
      expect(reads.length).toBe(2);
      for (const x of reads) {
        expect(x.asUs).toContain(SECRET);
        if (serverUser()) expect(x.asServer).toMatch(/Permission denied/);
        expect(x.asServer).not.toContain(SECRET);
      }
    } finally {
      await rm(wrap, { recursive: true, force: true });
    }
  }, 120_000);

  it('(control) the watcher sees an inherited environment when a child gets one', async () => {
    const seen = await watching(async () => {
      const child = spawn('sleep', ['0.3'], { env: process.env });
      await new Promise((r) => child.once('exit', r));
    });
    expect(seen.filter((p) => p.comm === 'sleep').flatMap((p) => leaks(p))).toEqual(expect.arrayContaining(['DATABASE_URL', 'PGPASSWORD', 'REDIS_URL', 'CELERY_BROKER_URL'].map((k) => expect.stringContaining(k))));
  });
});
