// `stackprobe compare` of two runs of the application's own figures through the built CLI: a baseline, then the same
// app changed (one task slower, a new key family without a TTL); the per-task runtime row and the per-pattern memory
// row appear with their change.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { sleep } from '../../src/exec/timeout.js';
import type { RunResult } from '../../src/result/model.js';
import { openCelery } from '../../src/targets/celery/open.js';
import type { CeleryTarget } from '../../src/targets/celery/target.js';
import { silentLogger } from '../../src/util/logger.js';
import { runCli, runDirOf } from '../helpers/cli.js';
import { startCeleryWorker, type CeleryWorker } from '../helpers/celery-worker.js';
import { rawClient, startPrivateRedis, type PrivateRedis } from '../helpers/redis.js';

let dir: string;
let redis: PrivateRedis;
let raw: Redis;
let worker: CeleryWorker;
let celery: CeleryTarget;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-compare-app-'));
  redis = await startPrivateRedis();
  raw = rawClient(redis.url);
  worker = await startCeleryWorker({ args: ['-E'], concurrency: 4 });
  const opened = await openCelery(validateConfig({ celery_broker_url: worker.broker, celery_result_backend: worker.backend }), silentLogger(), () => undefined);
  celery = opened.target!;
  // The app's key space: sessions with a TTL.
  const pipe = raw.pipeline();
  for (let i = 0; i < 3000; i++) pipe.set(`session:${10_000 + i}`, 's'.repeat(300), 'EX', 3600);
  await pipe.exec();
}, 60_000);

afterAll(async () => {
  await celery?.close();
  await worker?.stop();
  raw?.disconnect();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
}, 30_000);

/** One `stackprobe run` of tasks.runtime and cache.keyspace while the app sends `test.slow` taking `slowMs`; its run.json. */
async function appRun(name: string, slowMs: number): Promise<string> {
  const config = path.join(dir, `${name}.config.json`);
  await writeFile(config, JSON.stringify({
    redis_url: redis.url, celery_broker_url: worker.broker, celery_result_backend: worker.backend,
    tasks: { queues: [worker.queue], runtime_window_s: 8 },
  }));
  let sending = true;
  const traffic = (async () => {
    for (let n = 0; sending; n++) {
      await celery.send(n % 2 === 0 ? 'test.slow' : 'test.add', n % 2 === 0 ? [slowMs] : [n, 1], { queue: worker.queue });
      await sleep(60);
    }
  })();
  try {
    const out = path.join(dir, name);
    const r = await runCli(['run', '-c', config, '--only', 'tasks.runtime,cache.keyspace', '--format', 'json', '--output', out, '--no-color']);
    expect(r.code, r.stderr).toBeLessThanOrEqual(1);
    return path.join(runDirOf(out), 'run.json');
  } finally {
    sending = false;
    await traffic;
  }
}

describe('compare: the application\'s tasks and key space against a baseline', () => {
  it('shows the slower task\'s runtime and the new no-TTL pattern\'s memory, each with its change', async () => {
    const base = await appRun('base', 40);
    // The changed app: test.slow takes 6x as long, twice the sessions, and profiles written without a TTL.
    const pipe = raw.pipeline();
    for (let i = 0; i < 3000; i++) pipe.set(`session:${20_000 + i}`, 's'.repeat(300), 'EX', 3600);
    for (let i = 0; i < 4000; i++) pipe.hset(`profile:${20_000 + i}`, { name: `user ${i}`, bio: 'b'.repeat(500) });
    await pipe.exec();
    const current = await appRun('current', 250);
    const runs = await Promise.all([base, current].map(async (f) => JSON.parse(await readFile(f, 'utf8')) as RunResult));
    for (const run of runs) {
      expect(run.checks.find((c) => c.id === 'tasks.runtime')?.status).not.toMatch(/skip|error/);
      expect(run.checks.find((c) => c.id === 'cache.keyspace')?.status).not.toMatch(/skip|error/);
    }
    const r = await runCli(['compare', base, current, '--no-color']);
    const all = await runCli(['compare', base, current, '--no-color', '--all']);
    console.log(`${r.stdout}\n--all:\n${all.stdout}`);
    // The slower task: a judged latency, so its row is in the default output, as a regression, and the run exits 1.
    const runtime = r.stdout.split('\n').find((l) => /^tasks\.runtime\s+task_runtime\{task:test\.slow\}\s+p50\s/.test(l));
    expect(runtime, r.stdout).toMatch(/\s+regression$/);
    const [baseMs, currentMs] = [...runtime!.matchAll(/([\d.,]+) ms/g)].map((m) => Number(m[1]!.replace(/,/g, '')));
    expect(baseMs).toBeLessThan(120);
    expect(currentMs).toBeGreaterThan(200);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('tasks.runtime task_runtime{task:test.slow} p50');
    // The faster task did not move: no row of its runtime among the regressions.
    expect(r.stdout).not.toMatch(/task_runtime\{task:test\.add\}.*regression/);
    // A pattern's memory is a size (no better direction): shown with --all, with its change; the sessions doubled.
    const sessions = all.stdout.split('\n').find((l) => /^cache\.keyspace\s+cache_keyspace_pattern_memory_mb\{pattern:sessio/.test(l));
    expect(sessions, all.stdout).toMatch(/\+(9\d|1[01]\d)(\.\d+)?%/);
    // The new no-TTL pattern: named among the figures only in the current run, and its finding turns the check to warn.
    expect(r.stdout).toMatch(/Only in the current run: .*cache\.keyspace: cache_keyspace_pattern_memory_mb\{pattern:profile:\{id\}\}/);
    expect(r.stdout).toMatch(/cache\.keyspace: pass → warn/);
    // Under --all the new pattern is a row of its own: no baseline ("—"), its memory now, "new", never judged.
    const profile = all.stdout.split('\n').find((l) => /^cache\.keyspace\s+cache_keyspace_pattern_memory\S*\{pattern:profile:\{id\}\}\s+value\s+—\s+[\d.,]+ \S+\s+new\b/.test(l));
    expect(profile, all.stdout).toBeDefined();
    expect(profile).toMatch(/not judged: only in the current run$/);
  }, 180_000);
});
