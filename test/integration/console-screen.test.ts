// The summary a user reads at the end of a run against their own PostgreSQL, Redis and Celery fits one 80×24 screen
// with the verdict on it, and each FAIL or WARN line names the threshold, the figure measured and the limit. Off a
// terminal (CI logs, `| tee`) it takes its size from COLUMNS and LINES, else 80×24.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/model.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/targets/redis/server.js';
import { startCeleryWorker, type CeleryWorker } from '../helpers/celery-worker.js';
import { runCli, runDirOf } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
let redis: PrivateRedis;
let worker: CeleryWorker;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-screen-'));
  db = await createTestDatabase();
  // A cache as a user should run one (a memory limit and an eviction policy, no broker keys in it without a TTL), so the
  // clean run has nothing to warn about; the worker uses the test broker.
  redis = await startPrivateRedis({ args: ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru'] });
  worker = await startCeleryWorker();
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await redis?.stop();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

async function quickRun(name: string, config: object, screen: { COLUMNS: string; LINES: string }): Promise<{ code: number | null; stdout: string; result: RunResult }> {
  const file = path.join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify({ ...config, tasks: { queue: worker.queue } }));
  const out = path.join(dir, name);
  const r = await runCli(['run', '--quick', '--only', 'queries.basic,cache.server,cache.latency,tasks.workers,tasks.roundtrip', '--config', file, '--output', out], {
    env: { DATABASE_URL: db.url, REDIS_URL: redis.url, CELERY_BROKER_URL: worker.broker, CELERY_RESULT_BACKEND: worker.backend, ...screen },
  });
  const result = JSON.parse(await readFile(path.join(runDirOf(out), 'run.json'), 'utf8')) as RunResult;
  return { code: r.code, stdout: r.stdout, result };
}

/** What every screen must hold: at most `rows - 1` lines (the prompt follows), none wider than `columns`, the verdict. */
function expectFits(stdout: string, columns: number, rows: number): string[] {
  const lines = stdout.trimEnd().split('\n');
  expect(lines.length, stdout).toBeLessThanOrEqual(rows - 1);
  for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(columns);
  expect(lines[1]).toMatch(/^(PASS|PASS with warnings|FAIL|UNTRUSTED) · \d+ checks: /);
  // Nothing cut: every line is whole, so no sentence ends in an ellipsis or mid-list.
  expect(stdout).not.toMatch(/…\n|,\n\n/);
  return lines;
}

/** FAIL/WARN lines with their continuation lines, as one text each. */
function problems(lines: string[]): string[] {
  const out: string[] = [];
  let open = false;
  for (const l of lines) {
    if (/^ {2}(FAIL|WARN|UNTRUSTED)\s/.test(l)) {
      out.push(l);
      open = true;
    } else if (open && /^ {6,}\S/.test(l)) out[out.length - 1] += ` ${l.trim()}`;
    else open = false;
  }
  return out;
}

describe('the end-of-run summary on an 80×24 screen', () => {
  it('a planted failure: FAIL on the screen with its threshold, measured value and limit; whose figures; what was written', async () => {
    // A miss on a loaded host is UNTRUSTED (exit 3) unless saturation counts as failure: planted, it must fail.
    const planted = { fail_when_saturated: true, checks: { 'queries.basic': { thresholds: { query_duration: ['p(95)<0.001'] } } } };
    const { code, stdout, result } = await quickRun('planted', planted, { COLUMNS: '80', LINES: '24' });
    expect(code).toBe(1);
    const lines = expectFits(stdout, 80, 24);
    expect(lines[1]).toMatch(/^FAIL · /);
    const said = problems(lines);
    expect(said.find((p) => p.includes('queries.basic'))).toMatch(/FAIL +queries\.basic +query_duration p\(95\)<0\.001 → measured [\d.,]+ ms, limit 0\.001 ms/);
    for (const p of said) expect(p).toMatch(/ → (measured .+, limit \S+|not recorded, limit \S+)/);
    expect(said.length).toBe(result.checks.filter((c) => ['fail', 'warn', 'untrusted'].includes(c.status)).length);
    // Whose figures: the queries measured stackprobe's own schema, which the run made in this database and dropped. (The
    // screen wraps words where it must: the sentences are read with their line breaks as spaces.)
    const flat = stdout.replace(/\s+/g, ' ');
    expect(flat).toMatch(/Figures queries measured stackprobe's synthetic workload, not your tables\./);
    expect(flat).toMatch(new RegExp(`Wrote schema stackprobe in database ${db.name} \\([\\d,]+ rows\\), [\\d,]+ Redis keys: all removed; [\\d,]+ probe tasks to your Celery workers`));
    expect(stdout).toMatch(/celery +redis:\/\/127\.0\.0\.1:6379\/7/);
    expect(stdout).toMatch(/Reports {2}/);
  }, 120_000);

  it('a clean run off a terminal with no size given: 80×24, PASS, no FAIL or WARN line', async () => {
    // Limits far above what a loaded test host measures: the direction tested is the screen, not the host's speed.
    const roomy = { thresholds: { query_time_ms: 5000, cache_latency_ms: 5000 } };
    const { code, stdout, result } = await quickRun('clean', roomy, { COLUMNS: '', LINES: '' });
    const lines = expectFits(stdout, 80, 24);
    const notPassed = result.checks.filter((c) => c.status !== 'pass' && c.status !== 'skip');
    expect(notPassed.map((c) => `${c.id}: ${c.status} ${JSON.stringify(c.thresholds.filter((t) => !t.ok))}`)).toEqual([]);
    expect(code).toBe(0);
    expect(lines[1]).toMatch(/^PASS · /);
    expect(problems(lines)).toEqual([]);
    expect(stdout).not.toContain('Failures and warnings');
    expect(stdout).toMatch(/Latency p95 {2}queries [\d.]+ ms/);
  }, 120_000);
});
