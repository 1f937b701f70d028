// `promtool check metrics` on the Prometheus output of real runs beyond the quick one (prom-every-service.test.ts): a
// full run in which every built-in check runs (a private PostgreSQL with pg_stat_statements and an app's statements for
// load.replay, Redis, Celery, BullMQ's self-test; every duration cut to the least that still measures), two load runs
// as the segments of one run, and their merge. Every check that ran recorded only metrics it declares.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinChecks } from '../../src/checks/index.js';
import { locateRunJson } from '../../src/compare/locate.js';
import type { RunResult } from '../../src/result/model.js';
import { PYTHON, startCeleryWorker, TEST_REDIS_BROKER, type CeleryWorker } from '../helpers/celery-worker.js';
import { runCli } from '../helpers/cli.js';
import { expectOnlyDeclared } from '../helpers/declared-run.js';
import { createLedger, dumpDatabase } from '../helpers/drill-fixture.js';
import { startPrivateServer, type PrivateServer } from '../helpers/health-server.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { startPgBouncer, type TestPgBouncer } from '../helpers/pgbouncer.js';
import { expectPromtoolClean } from '../helpers/promtool.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis.js';
import { createApp, driveApp } from './load-replay-fixture.js';

const DB = 'prom_runs';
/** The app's own queue, which a producer feeds while the full run lasts: tasks.runtime reads its workers' events. */
const APP_QUEUE = `prom_runs_app_${process.pid}`;
const PRODUCER = `
import sys, time
from celery import Celery
app = Celery(broker=sys.argv[1])
while True:
    app.send_task('celery.accumulate', args=[1], queue=sys.argv[2], ignore_result=True)
    time.sleep(0.2)
`;
let server: PrivateServer;
let redis: PrivateRedis;
let worker: CeleryWorker;
let bouncer: TestPgBouncer;
let ledger: TestDatabase;
let dir: string;
beforeAll(async () => {
  [server, redis, worker, ledger, dir] = await Promise.all([startPrivateServer(), startPrivateRedis(), startCeleryWorker({ moreQueues: [APP_QUEUE] }), createTestDatabase(), mkdtemp(path.join(os.tmpdir(), 'stackprobe-prom-runs-'))]);
  bouncer = await startPgBouncer({ serverPort: server.port });
  await createApp(server, DB);
  await driveApp(server, DB, 4, 2);
  // A team's backup for backup.restore_drill: a small ledger's pg_dump -Fc.
  await createLedger(ledger);
  await dumpDatabase(ledger, path.join(dir, 'ledger.pgdump'));
}, 120_000);
afterAll(async () => {
  await Promise.all([server?.stop(), redis?.stop(), worker?.stop(), bouncer?.stop(), ledger?.drop(), dir && rm(dir, { recursive: true, force: true })]);
  // The app's queue is this file's: what the producer left in it goes with it.
  const broker = new Redis(TEST_REDIS_BROKER, { maxRetriesPerRequest: 1 });
  await broker.del(APP_QUEUE, `_kombu.binding.${APP_QUEUE}`).finally(() => broker.disconnect());
});

const readRun = async (out: string): Promise<RunResult> => JSON.parse(await readFile(await locateRunJson(out), 'utf8')) as RunResult;

async function config(name: string, more: Record<string, unknown>): Promise<string> {
  const file = path.join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify({
    database_url: server.url(DB), redis_url: redis.url, celery_broker_url: worker.broker, celery_result_backend: worker.backend,
    // The app's statements ran as the private server's superuser: load.replay runs them as that role only when asked.
    allow_privileged_role: true,
    ...more,
  }));
  return file;
}

describe('the Prometheus output of real runs passes promtool', () => {
  it('a full run in which every check runs', async () => {
    const file = await config('full', {
      workload: { scale: 0.01 },
      queries: { duration_s: 0.2, explain_slowest: 1, custom: [{ name: 'plans_by_country', sql: 'SELECT plan, count(*) FROM users WHERE country = $1 GROUP BY plan', params: ['de'] }] },
      pool: { sweep: { step_duration_s: 0.2, rounds: 2 }, acquire_samples: 10, duration_s: 0.5, pgbouncer_admin_url: bouncer.adminUrl() },
      cache: { server: { window_s: 0.5 }, duration_s: 0.2, hit_rate_duration_s: 0.5, step_duration_s: 0.2, stampede: { expiries: 2 } },
      integrity: {
        invariants: [{ name: 'accounts_have_users', sql: 'SELECT a.id FROM accounts a LEFT JOIN users u ON u.id = a.user_id WHERE u.id IS NULL' }],
        amcheck: { create_extension: true },
      },
      backup: { dump_file: path.join(dir, 'ledger.pgdump') },
      tasks: {
        queue: worker.queue, roundtrip_count: 3, burst: 5, rate: 10, duration_s: 1, runtime_window_s: 6, enable_events: true, queue_window_s: 0.5, drain_timeout_s: 20,
        failing_task: 'test.always_fails', retrying_task: 'test.retries_then_succeeds', error_count: 1,
        bullmq: { self_test: true, roundtrip_count: 3, burst: 5, rate: 10, duration_s: 1, drain_timeout_s: 20 },
      },
      load: { stages: [{ rate: 10, duration: '1s' }, { rate: 20, duration: '1s' }], pool_size: 4, replay: { top: 10, min_call_share: 0.005 } },
    });
    const out = path.join(dir, 'full');
    const producer = spawn(PYTHON, ['-c', PRODUCER, worker.broker, APP_QUEUE], { stdio: 'ignore' });
    let r;
    try {
      r = await runCli(['run', '--full', '--config', file, '--output', out, '--format', 'json']);
    } finally {
      producer.kill('SIGKILL');
    }
    expect([0, 1], r.stderr).toContain(r.code);
    const result = await readRun(out);
    expect(result.mode).toBe('full');
    const skipped = result.checks.filter((c) => c.status === 'skip').map((c) => `${c.id}: ${c.reason}`);
    expect(skipped).toEqual([]);
    expect(result.checks.map((c) => c.id).sort()).toEqual(builtinChecks.map((c) => c.id).sort());
    expectPromtoolClean(result);
    expectOnlyDeclared(result);
  }, 600_000);

  it('two load runs as the segments of one run, and their merge', async () => {
    const file = await config('load', { workload: { scale: 0.01 }, tasks: { queue: worker.queue }, load: { stages: [{ rate: 20, duration: '2s' }, { rate: 40, duration: '2s' }], pool_size: 4, start_timeout_ms: 60_000 } });
    const outs = [1, 2].map((i) => path.join(dir, `segment-${i}`));
    const runs = await Promise.all(outs.map((out, i) => runCli(['run', '--load-test', '--only', 'load.mixed', '--segment', `${i + 1}/2`, '--config', file, '--output', out, '--format', 'json'])));
    runs.forEach((r, i) => expect([0, 1], `segment ${i + 1}: ${r.stderr}`).toContain(r.code));
    for (const out of outs) {
      const result = await readRun(out);
      expect(result.checks.map((c) => [c.id, c.reason])).toEqual([['load.mixed', undefined]]);
      expectPromtoolClean(result);
      expectOnlyDeclared(result);
    }
    const merged = path.join(dir, 'merged');
    const m = await runCli(['merge', ...outs, '--output', merged, '--format', 'json']);
    expect([0, 1], m.stderr).toContain(m.code);
    const result = await readRun(merged);
    expect(result.checks.find((c) => c.id === 'load.mixed')?.info.distribution).toMatchObject({ partial: false });
    expectPromtoolClean(result);
    expectOnlyDeclared(result);
  }, 300_000);
});
