// The Redis target at its edge, against real private redis-servers: a wrong password is called one, a database index
// the server refuses fails the target with the reason and nothing is written (MONITOR), and the private redis-server of
// a stackprobe killed with SIGKILL is reaped by the next start.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/exec/timeout.js';
import { runKeyPrefix } from '../../src/targets/redis/keys.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/targets/redis/server.js';
import { openRedisTarget } from '../../src/targets/redis/target.js';
import { alive } from '../../src/targets/embedded/reap.js';
import { runCli, runDirOf, startCli } from '../helpers/cli.js';
import { monitorRedis } from '../helpers/redis-monitor.js';
import type { RunResult } from '../../src/result/model.js';

const SERVER_SRC = path.resolve(import.meta.dirname, '../../src/targets/redis/server.ts');
/** Redis commands that change data: none may reach the server when the target is refused. */
const WRITES = new Set(['set', 'setex', 'psetex', 'mset', 'del', 'unlink', 'expire', 'pexpire', 'incr', 'incrby', 'hset', 'lpush', 'rpush', 'sadd', 'zadd', 'xadd', 'publish', 'flushdb', 'flushall', 'eval', 'evalsha']);


let server: PrivateRedis;
let dir: string;
beforeAll(async () => {
  server = await startPrivateRedis();
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-redis-edge-'));
});
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

function withPassword(password: string, db = 0, user = ''): string {
  const u = new URL(server.url);
  u.username = user;
  u.password = password;
  u.pathname = `/${db}`;
  return u.toString();
}

describe('connecting', () => {
  it('a wrong password (with or without a user name) is reported as a wrong password', async () => {
    for (const url of [withPassword('wrong'), withPassword('wrong', 0, 'default'), withPassword('wrong', 3)]) {
      await expect(openRedisTarget(url, { connectMs: 3000, commandMs: 2000, keyPrefix: runKeyPrefix('stackprobe:test-') })).rejects.toThrow(
        /cannot log in to Redis at redis:\/\/(default)?:\*\*\*@127\.0\.0\.1:\d+\/\d: wrong user name or password \(WRONGPASS\)$/,
      );
    }
    const none = new URL(server.url);
    none.password = '';
    await expect(openRedisTarget(none.toString(), { connectMs: 3000, commandMs: 2000, keyPrefix: 'stackprobe:x:' })).rejects.toThrow(/the URL has none \(NOAUTH\)/);
  });

  it('a database index the server refuses fails the target with the reason, and nothing is written anywhere', async () => {
    const monitor = await monitorRedis(server.url);
    try {
      const r = await runCli(['run', '--only', 'cache', '--output', path.join(dir, 'db99')], {
        env: { REDIS_URL: withPassword(new URL(server.url).password, 99), DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' },
      });
      expect(r.stdout + r.stderr).toContain('the server refuses database 99 of the URL: ERR DB index is out of range');
      expect(r.code).not.toBe(0);
      const result = JSON.parse(await readFile(path.join(runDirOf(path.join(dir, 'db99')), 'run.json'), 'utf8')) as RunResult;
      // The target that could not be opened says why once; its checks point at it.
      expect(result.environment.unopened?.redis).toContain('refuses database 99');
      const latency = result.checks.find((c) => c.id === 'cache.latency')!;
      expect(latency).toMatchObject({ status: 'skip', reason: expect.stringContaining('Redis could not be opened') });
      expect(result.checks.every((c) => c.status !== 'pass')).toBe(true);
      // The attempt itself did reach the server (AUTH, SELECT, PING …); none of it wrote.
      await waitFor(() => monitor.seen.length > 0, 5000, 'MONITOR to see the attempt');
      const writes = monitor.seen.filter((c) => WRITES.has(c.name)).map((c) => `db${c.db}: ${[c.name, ...c.args].join(' ').slice(0, 80)}`);
      expect(writes).toEqual([]);
      const check = new Redis(server.url);
      try {
        expect(await check.dbsize()).toBe(0);
      } finally {
        check.disconnect();
      }
    } finally {
      await monitor.stop();
    }
  }, 120_000);
});

/** The private redis-server directory owned by `pid`, once it has started its server. */
function ownedDir(pid: number): string | undefined {
  for (const name of readdirSync(os.tmpdir())) {
    if (!name.startsWith('stackprobe-redis-')) continue;
    const d = path.join(os.tmpdir(), name);
    const owner = existsSync(path.join(d, 'owner.pid')) ? readFileSync(path.join(d, 'owner.pid'), 'utf8').trim() : '';
    if (owner === String(pid) && existsSync(path.join(d, 'redis.pid'))) return d;
  }
  return undefined;
}

describe('crash cleanup', () => {
  it('a `stackprobe run` killed with SIGKILL leaves its redis-server; the next run reaps it', async () => {
    const env = { REDIS_URL: '', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' };
    const first = startCli(['run', '--only', 'cache.latency', '--output', path.join(dir, 'killed')], { env });
    let ownDir: string | undefined;
    await waitFor(() => (ownDir = ownedDir(first.child.pid!)) !== undefined, 60_000, 'the run to start its private redis-server');
    // The directory exists before the server has written its pid file: wait for a pid, not for the file.
    let serverPid = 0;
    await waitFor(() => {
      try {
        serverPid = Number(readFileSync(path.join(ownDir!, 'redis.pid'), 'utf8'));
      } catch {
        serverPid = 0;
      }
      return serverPid > 0;
    }, 10_000, 'the private redis-server to write its pid');
    await waitFor(() => readFileSync(`/proc/${serverPid}/cmdline`, 'utf8').includes(ownDir!), 10_000, 'the server to name its directory');
    first.child.kill('SIGKILL');
    await first.done;
    expect(alive(serverPid)).toBe(true); // orphaned: nobody stopped it

    const second = await runCli(['run', '--only', 'cache.latency', '--output', path.join(dir, 'next')], { env });
    expect(second.stderr).not.toMatch(/unexpected error/);
    expect(alive(serverPid)).toBe(false);
    expect(existsSync(ownDir!)).toBe(false);
  }, 120_000);


  it('reaps the private redis-server of a process that was SIGKILLed', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
      `const { startPrivateRedis } = await import(${JSON.stringify(SERVER_SRC)}); const r = await startPrivateRedis(); console.log(r.port); setInterval(() => {}, 1000);`,
    ], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('\n'), 30_000, 'the child to start its redis-server');
    const port = Number(out.trim());
    // Its directory is the one whose config file names the port.
    const dirs = readdirSync(os.tmpdir()).filter((n) => n.startsWith('stackprobe-redis-')).map((n) => path.join(os.tmpdir(), n));
    const ownDir = dirs.find((d) => existsSync(path.join(d, 'redis.conf')) && readFileSync(path.join(d, 'redis.conf'), 'utf8').includes(`port ${port}\n`))!;
    expect(ownDir).toBeDefined();
    expect(readFileSync(path.join(ownDir, 'owner.pid'), 'utf8').trim()).toBe(String(child.pid));
    const serverPid = Number(readFileSync(path.join(ownDir, 'redis.pid'), 'utf8'));
    // The password is in a 0600 file, never on the server's command line.
    expect(readFileSync(`/proc/${serverPid}/cmdline`, 'utf8')).not.toContain('requirepass');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(alive(serverPid)).toBe(true); // orphaned: nobody stopped it

    const next = await startPrivateRedis();
    try {
      await waitFor(() => !alive(serverPid), 10_000, 'the orphaned redis-server to stop');
      expect(existsSync(ownDir)).toBe(false);
    } finally {
      await next.stop();
    }
  }, 60_000);
});
