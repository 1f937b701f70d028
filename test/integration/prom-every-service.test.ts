// The Prometheus output of a real quick run with every service (PostgreSQL, Redis, Celery) passes `promtool check
// metrics`, and every check that ran recorded only metrics it declares. A full run, load runs and their merge are judged
// the same way in prom-runs.test.ts.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateRunJson } from '../../src/compare/locate.js';
import type { RunResult } from '../../src/result/model.js';
import { startCeleryWorker, type CeleryWorker } from '../helpers/celery-worker.js';
import { runCli } from '../helpers/cli.js';
import { expectOnlyDeclared } from '../helpers/declared-run.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { expectPromtoolClean } from '../helpers/promtool.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis.js';

let db: TestDatabase;
let redis: PrivateRedis;
let worker: CeleryWorker;
let dir: string;
beforeAll(async () => {
  [db, redis, worker, dir] = await Promise.all([createTestDatabase(), startPrivateRedis(), startCeleryWorker(), mkdtemp(path.join(os.tmpdir(), 'stackprobe-prom-'))]);
}, 60_000);
afterAll(async () => {
  await Promise.all([db?.drop(), redis?.stop(), worker?.stop(), dir && rm(dir, { recursive: true, force: true })]);
});

describe('a quick run with every service', () => {
  it('exports metrics promtool accepts, each declared by the check that recorded it', async () => {
    const config = path.join(dir, 'config.json');
    await writeFile(config, JSON.stringify({
      database_url: db.url, redis_url: redis.url, celery_broker_url: worker.broker, celery_result_backend: worker.backend,
      workload: { scale: 0.02 }, tasks: { queue: worker.queue },
    }));
    const out = path.join(dir, 'out');
    // Load is the load-stages test's; backup needs its own tools and scratch databases and is judged there.
    const r = await runCli(['run', '--quick', '--only', 'pool,queries,cache,tasks,integrity,health', '--config', config, '--output', out, '--format', 'json']);
    expect([0, 1], r.stderr).toContain(r.code);
    const result = JSON.parse(await readFile(await locateRunJson(out), 'utf8')) as RunResult;
    const services = new Set(result.checks.filter((c) => c.status !== 'skip').map((c) => c.category));
    expect([...services]).toEqual(expect.arrayContaining(['pool', 'queries', 'cache', 'tasks', 'integrity', 'health']));
    expectPromtoolClean(result);
    expectOnlyDeclared(result);
  }, 120_000);
});
