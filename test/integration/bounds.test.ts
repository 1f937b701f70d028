// "Bounded everything", attacked through the built CLI and against real services: files that are not regular files,
// a zlib-bomb run.json, a 50,000-deep config, __proto__, a Celery broker that never answers, a full disk, terminated
// backends, and the environment against the config file. Each ends within its budget with a clear message.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { renderJson } from '../../src/report/json.js';
import type { RunResult } from '../../src/result/model.js';
import { openCelery } from '../../src/targets/celery/open.js';
import { waitFor } from '../../src/exec/timeout.js';
import { silentLogger } from '../../src/util/logger.js';
import { fullRunResult } from '../fixtures/run-result.js';
import { CLI, runCli, runDirOf, startCli, type CliRun } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { startPrivateServer } from '../helpers/health-server.js';

let dir: string;
let db: TestDatabase;
const fixtures = path.join(import.meta.dirname, 'plugin-fixtures');
const STACK_TRACE = /\n\s+at .+:\d+:\d+|Unhandled 'error' event|unexpected error/;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-bounds-'));
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

function exit2(r: CliRun, expected: string): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain(expected);
  expect(r.stderr).not.toMatch(STACK_TRACE);
}

async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await p;
  return [v, performance.now() - t0];
}

describe('files that are not regular files', () => {
  it('a FIFO given to report, compare or --config exits 2 at once (they used to block forever)', async () => {
    const fifo = path.join(dir, 'run.json.fifo');
    execFileSync('mkfifo', [fifo]);
    const [runs, ms] = await timed(Promise.all([
      runCli(['report', fifo, '--format', 'console']),
      runCli(['compare', fifo, fifo]),
      runCli(['config', 'validate', fifo]),
      runCli(['run', '--config', fifo, '--output', path.join(dir, 'never')]),
    ]));
    for (const r of runs) exit2(r, 'cannot read it (it is a FIFO (named pipe), not a regular file)');
    expect(ms).toBeLessThan(15_000);
  });

  it('compare /dev/urandom exits 2 before reading a byte (it read 1.18 GB)', async () => {
    const baseline = path.join(dir, 'baseline.json');
    await writeFile(baseline, renderJson(fullRunResult()));
    exit2(await runCli(['compare', baseline, '/dev/urandom']), '/dev/urandom: cannot read it (it is a character device, not a regular file)');
  });
});

describe('a zlib-bomb run.json', () => {
  it('report refuses it in bounded time and memory (it took 47 s and 1.77 GB)', async () => {
    const result: RunResult = fullRunResult();
    const trend = result.checks.flatMap((c) => c.metrics).find((m) => m.type === 'trend')!;
    // A valid V2 header claiming 64 MiB of counts, deflated to ~65 KB; 30 of them make a ~2.6 MB file.
    const header = Buffer.alloc(40);
    header.writeInt32BE(0x1c849313, 0);
    header.writeInt32BE(64 * 1024 * 1024, 4);
    header.writeInt32BE(3, 12);
    header.writeBigInt64BE(1n, 16);
    header.writeBigInt64BE(3_600_000_000n, 24);
    const body = deflateSync(Buffer.concat([header, Buffer.alloc(64 * 1024 * 1024)]), { level: 9 });
    const head = Buffer.alloc(8);
    head.writeInt32BE(0x1c849314, 0);
    head.writeInt32BE(body.length, 4);
    const bomb = Buffer.concat([head, body]).toString('base64');
    result.checks[0]!.metrics.push(...Array.from({ length: 30 }, (_, i) => ({ ...trend, name: `bomb_${i}`, histogram: bomb })));
    const file = path.join(dir, 'bomb.json');
    await writeFile(file, renderJson(result));
    // GNU time reports the child's peak resident memory (KiB) on stderr's last line.
    const t0 = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, CLI, 'report', file, '--format', 'console'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const ms = performance.now() - t0;
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${file}: not a valid stackprobe result: a histogram inflates to more than 1048576 bytes`);
    const rssKb = Number(/maxrss_kb=(\d+)/.exec(r.stderr)![1]);
    expect(rssKb).toBeLessThan(400 * 1024);
    expect(ms).toBeLessThan(15_000);
  });
});

describe('config shape', () => {
  it('a config nested 50,000 deep exits 2 naming the depth (it was a stack overflow)', async () => {
    const file = path.join(dir, 'deep.json');
    await writeFile(file, `{"thresholds":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`);
    exit2(await runCli(['config', 'validate', file]), 'nested deeper than 32 levels');
  });

  it('__proto__ in a config exits 2 naming it (it was accepted as a key)', async () => {
    const file = path.join(dir, 'proto.json');
    await writeFile(file, '{"queries": {"__proto__": {"concurrency": 1000}}}');
    exit2(await runCli(['config', 'validate', file]), 'config.queries.__proto__: the key "__proto__" is not allowed');
  });
});

describe('a Celery broker that accepts and never answers', () => {
  it('Celery over Redis gives up within connect_ms with the reason (it took 63 s)', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => void sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const config = validateConfig({ celery_broker_url: `redis://:hunter2@127.0.0.1:${port}/0`, timeouts: { connect_ms: 1500 } });
      const [opened, ms] = await timed(openCelery(config, silentLogger(), () => undefined));
      expect(sockets.size).toBeGreaterThan(0);
      expect(opened.reason).toMatch(/^Celery broker redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 unreachable: no Redis answer within connect_ms \(1500 ms\)/);
      expect(opened.reason).not.toContain('hunter2');
      expect(ms).toBeGreaterThan(1400);
      expect(ms).toBeLessThan(1500 + 700);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});

describe('a full disk', () => {
  it('--output on a full file system: the summary is printed, the message names the directory, no run.json or temporary file is left', async () => {
    const mnt = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=200k', 'tmpfs', mnt]);
    try {
      // Leave a few KiB: the directory, the probe and the first log lines fit; run.json (~4 KiB) does not.
      await writeFile(path.join(mnt, 'filler'), Buffer.alloc(200 * 1024 - 8 * 1024));
      const config = path.join(dir, 'passing.json');
      await writeFile(config, JSON.stringify({ plugins: [path.join(fixtures, 'passing.js')], only: ['fixture.passing'] }));
      const out = path.join(mnt, 'results');
      const r = await runCli(['run', '--config', config, '--output', out], { env: { DATABASE_URL: db.url } });
      expect(r.stdout + r.stderr).not.toMatch(STACK_TRACE);
      expect(r.code, r.stderr).toBe(1);
      const runDir = runDirOf(out);
      expect(r.stderr).toContain(`stackprobe: cannot write run.json in ${runDir}: no space left on the device (ENOSPC)`);
      // The console summary is still there: the results are not lost with the files.
      expect(r.stdout).toContain('PASS · 1 check: 1 passed');
      const left = await readdir(runDir);
      expect(left).not.toContain('run.json');
      expect(left.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(await readdir(out)).not.toContain('latest.json');
      // `report` likewise: the summary first, then the error; nothing partial in the directory.
      const source = path.join(dir, 'full-source.json');
      await writeFile(source, renderJson(fullRunResult()));
      const rep = path.join(mnt, 'rebuilt');
      const rebuilt = await runCli(['report', source, '--output', rep, '--format', 'json,console']);
      expect(rebuilt.code, rebuilt.stderr).toBe(1);
      expect(rebuilt.stderr).toContain(`stackprobe: cannot write run.json in ${rep}: no space left on the device (ENOSPC)`);
      expect(rebuilt.stdout).toContain('stackprobe');
      expect(rebuilt.stderr).not.toMatch(STACK_TRACE);
      expect(await readdir(rep)).toEqual([]);
    } finally {
      execFileSync('umount', [mnt]);
      await rm(mnt, { recursive: true, force: true });
    }
  });
});

describe('a disk with no space at all', () => {
  it('the log cannot be written either: still the summary and one line each, never "unexpected error: ENOSPC"', async () => {
    const mnt = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-full0-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=100k', 'tmpfs', mnt]);
    try {
      // Fill every block: writing stops at ENOSPC, which is the point.
      spawnSync('sh', ['-c', `head -c 204800 /dev/zero > ${path.join(mnt, 'filler')}`]);
      const config = path.join(dir, 'passing0.json');
      await writeFile(config, JSON.stringify({ plugins: [path.join(fixtures, 'passing.js')], only: ['fixture.passing'] }));
      const out = path.join(mnt, 'results');
      const r = await runCli(['run', '--config', config, '--output', out], { env: { DATABASE_URL: db.url } });
      expect(r.stdout + r.stderr).not.toMatch(STACK_TRACE);
      expect(r.code, r.stderr).toBe(1);
      const runDir = runDirOf(out);
      expect(r.stdout).toContain('PASS · 1 check: 1 passed');
      expect(r.stderr).toContain(`stackprobe: cannot write run.json in ${runDir}: no space left on the device (ENOSPC)`);
      expect(r.stderr).toContain(`stackprobe: ${path.join(runDir, 'stackprobe.log')} is incomplete: ENOSPC`);
      expect((await readdir(runDir)).filter((f) => f !== 'stackprobe.log')).toEqual([]);
    } finally {
      execFileSync('umount', [mnt]);
      await rm(mnt, { recursive: true, force: true });
    }
  });
});

describe('a lost session fails the check that owned it', () => {
  it("stackprobe's backend terminated mid-check: the check that caught the error still ends FAIL naming the session; the run goes on", async () => {
    const config = path.join(dir, 'swallow.json');
    await writeFile(config, JSON.stringify({ plugins: [path.join(fixtures, 'swallowing.js'), path.join(fixtures, 'passing.js')], only: ['fixture.swallowing', 'fixture.passing'] }));
    const out = path.join(dir, 'swallow-out');
    const cli = startCli(['run', '--config', config, '--output', out], { env: { DATABASE_URL: db.url } });
    // Only this check's own session, by its application_name, on this test's database.
    const victim = `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'stackprobe-swallowing' AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()`;
    await waitFor(async () => (await db.sql(victim, [db.name])).length > 0, 30_000, 'the check to be sleeping');
    const pid = (await db.sql<{ pid: number }>(victim, [db.name]))[0]!.pid;
    await db.sql('SELECT pg_terminate_backend($1)', [pid]);
    const r = await cli.done;
    expect(r.stdout + r.stderr).not.toMatch(STACK_TRACE);
    expect(r.code).toBe(1);
    const result = JSON.parse(await readFile(path.join(runDirOf(out), 'run.json'), 'utf8')) as RunResult;
    const byId = Object.fromEntries(result.checks.map((c) => [c.id, c]));
    expect(byId['fixture.swallowing']).toMatchObject({ status: 'fail' });
    expect(byId['fixture.swallowing']!.reason).toMatch(new RegExp(`^a session was lost: stackprobe-swallowing \\(pid ${pid}\\) ended under the check: terminating connection due to administrator command \\(57P01\\)`));
    expect(byId['fixture.passing']).toMatchObject({ status: 'pass' });
  });
});

describe('a server shut down mid-check (the first half of a restart)', () => {
  it('the check that caught the error ends FAIL naming the session; the next check still gets its own verdict', async () => {
    const server = await startPrivateServer();
    try {
      const config = path.join(dir, 'swallow-restart.json');
      await writeFile(config, JSON.stringify({ plugins: [path.join(fixtures, 'swallowing.js'), path.join(fixtures, 'passing.js')], only: ['fixture.swallowing', 'fixture.passing'], timeouts: { connect_ms: 2000 } }));
      const out = path.join(dir, 'restart-out');
      const cli = startCli(['run', '--config', config, '--output', out], { env: { DATABASE_URL: server.url() } });
      await waitFor(async () => (await server.sql(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'stackprobe-swallowing' AND query LIKE '%pg_sleep(30)%'`)).length > 0, 30_000, 'the check to be sleeping');
      // A fast shutdown, as `pg_ctl restart -m fast` begins: every backend gets 57P01.
      await server.stop();
      const r = await cli.done;
      expect(r.stdout + r.stderr).not.toMatch(STACK_TRACE);
      expect(r.code).toBe(1);
      const result = JSON.parse(await readFile(path.join(runDirOf(out), 'run.json'), 'utf8')) as RunResult;
      const byId = Object.fromEntries(result.checks.map((c) => [c.id, c]));
      expect(byId['fixture.swallowing']).toMatchObject({ status: 'fail' });
      expect(byId['fixture.swallowing']!.reason).toMatch(/^a session was lost: stackprobe-swallowing \(pid \d+\) ended under the check: terminating connection due to administrator command \(57P01\)/);
      // The run went on: the next check ran and failed with its own reason (the server is gone), not a crash.
      expect(byId['fixture.passing']).toMatchObject({ status: 'fail' });
      expect(byId['fixture.passing']!.reason).toBeTruthy();
    } finally {
      await server.stop();
    }
  });
});

describe('precedence: flags > environment > config file', () => {
  it('DATABASE_URL beats the file, and the first line says which was used, redacted', async () => {
    const config = path.join(dir, 'wrong-db.json');
    await writeFile(config, JSON.stringify({ database_url: 'postgres://postgres:filesecret@127.0.0.1:5432/test', plugins: [path.join(fixtures, 'passing.js')], only: ['fixture.passing'] }));
    const out = path.join(dir, 'precedence-out');
    const r = await runCli(['run', '--config', config, '--output', out], { env: { DATABASE_URL: db.url } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`Using DATABASE_URL from the environment (${db.url}), not ${config}'s database_url (postgres://postgres:***@127.0.0.1:5432/test): flags > environment > config file`);
    expect(r.stdout + r.stderr).not.toContain('filesecret');
    const result = JSON.parse(await readFile(path.join(runDirOf(out), 'run.json'), 'utf8')) as RunResult;
    expect(JSON.stringify(result.environment)).toContain(`/${db.name}`);
    const validate = await runCli(['config', 'validate', config], { env: { DATABASE_URL: db.url } });
    expect(validate.code).toBe(0);
    expect(validate.stderr).toContain(`database_url: ${db.url} from the environment (DATABASE_URL); overrides ${config} database_url (postgres://postgres:***@127.0.0.1:5432/test)`);
    expect((JSON.parse(validate.stdout) as { database_url: string }).database_url).toBe(db.url);
  });
});
