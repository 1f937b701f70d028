// Attack on "credentials never reach output": a run of the CLI against PostgreSQL and Redis URLs that carry passwords,
// with the checks that hand the target on (the load's worker threads get the spec and the Redis measuring path's spec,
// the pool sweep and PgBouncer probe ask the target for facts, the backup round trip starts pg_dump and pg_restore),
// at log level debug. Neither password is in stdout, stderr, any file of the run (run.json, reports, stackprobe.log,
// where the worker threads' messages end), nor in the argv or environment of any process the run started.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/model.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/targets/redis/server.js';
import { runDirOf, startCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { watchDescendants } from '../helpers/proc-watch.js';

const PG_SECRET = `Pg-S3cret-${process.pid}`;
let db: TestDatabase;
let redis: PrivateRedis;
let dir: string;
beforeAll(async () => {
  [db, redis] = await Promise.all([createTestDatabase(), startPrivateRedis()]);
  dir = await mkdtemp(path.join(os.tmpdir(), 'secrets-nowhere-'));
}, 60_000);
afterAll(async () => {
  await Promise.all([db?.drop(), redis?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function filesUnder(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

it('keeps the URLs\' passwords out of output, run files, worker messages and every child\'s argv and environment', async () => {
  const pgUrl = new URL(db.url);
  pgUrl.password = PG_SECRET;
  const redisSecret = decodeURIComponent(new URL(redis.url).password);
  expect(redisSecret.length).toBeGreaterThan(8);
  const config = path.join(dir, 'stackprobe.json');
  await writeFile(config, JSON.stringify({
    database_url: pgUrl.toString(), redis_url: redis.url, log_level: 'debug',
    only: ['load.mixed', 'pool.sizing', 'pool.pgbouncer', 'backup.roundtrip'],
    workload: { scale: 0.1 },
    load: { workers: 2, pool_size: 4, stages: [{ rate: 20, duration: '2s' }] },
    pool: { sweep: { step_duration_s: 0.2, max_size: 4, rounds: 1 } },
  }));
  const out = path.join(dir, 'out');
  const watch = watchDescendants();
  const cli = startCli(['run', '--config', config, '--output', out, '--format', 'json,md,html,junit,prom']);
  // The CLI itself (node, which the watcher passes over): its argv and environment while it runs.
  const cliArgv = await readFile(`/proc/${cli.child.pid}/cmdline`, 'utf8').catch(() => '');
  const cliEnv = await readFile(`/proc/${cli.child.pid}/environ`, 'utf8').catch(() => '');
  const res = await cli.done;
  await watch.stop();
  expect(cliArgv).toContain('--config');
  const secrets = [PG_SECRET, redisSecret];
  const found = (where: string, text: string) => secrets.filter((s) => text.includes(s)).map((s) => `${where} holds ${s === PG_SECRET ? 'the PostgreSQL' : 'the Redis'} password`);

  const runDir = runDirOf(out);
  const result = JSON.parse(await readFile(path.join(runDir, 'run.json'), 'utf8')) as RunResult;
  // What the run did, so the absence below means something: the load ran on two worker threads with Redis, the sweep
  // measured, the round trip dumped and restored (children started), the PgBouncer probe looked and found none.
  const byId = Object.fromEntries(result.checks.map((c) => [c.id, c]));
  expect(byId['load.mixed']?.info.distribution, JSON.stringify(byId['load.mixed']?.reason)).toEqual({ segment: '1/1', workers: 2 });
  expect(byId['load.mixed']?.status).not.toBe('skip');
  expect(byId['pool.sizing']?.status, byId['pool.sizing']?.reason).not.toMatch(/skip|fail/);
  expect(byId['backup.roundtrip']?.status, byId['backup.roundtrip']?.reason).toBe('pass');
  expect(byId['pool.pgbouncer']).toMatchObject({ status: 'skip', reason: expect.stringMatching(/not PgBouncer \(no admin console at 127\.0\.0\.1:5432\)/) });
  const children = [...watch.seen.values()];
  expect(children.map((p) => p.comm)).toEqual(expect.arrayContaining(['pg_dump', 'pg_restore']));

  const files = await filesUnder(out);
  expect(files.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['run.json', 'stackprobe.log']));
  const leaks = [
    ...found('stdout', res.stdout), ...found('stderr', res.stderr), ...found('the CLI\'s argv', cliArgv), ...found('the CLI\'s environment', cliEnv),
    ...(await Promise.all(files.map(async (f) => found(path.relative(out, f), await readFile(f, 'latin1'))))).flat(),
    ...children.flatMap((p) => [...found(`${p.comm}[${p.pid}]'s argv`, p.cmdline), ...found(`${p.comm}[${p.pid}]'s environment`, p.environ)]),
  ];
  expect(leaks).toEqual([]);
  // The log saw the worker threads at debug level: their messages went through it.
  expect(await readFile(path.join(runDir, 'stackprobe.log'), 'utf8')).toMatch(/load\.mixed/);
  console.log(`checked ${files.length} files, ${children.length} child processes (${[...new Set(children.map((p) => p.comm))].join(', ')})`);
}, 240_000);
