// Attribution under load with Celery: tasks sent to a queue no worker takes pile up and the workers are named; a worker
// of one pool process given 500 ms tasks faster than two a second is saturated and named with its figures; the same
// tasks on workers with processes to spare, or taken as they come, are ruled out with theirs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attribution } from '../../src/checks/load/attribution-judge.js';
import { mixedLoadCheck } from '../../src/checks/load/mixed.js';
import { validateConfig } from '../../src/config/load.js';
import type { CheckResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { startCeleryWorker, uniqueQueue, type CeleryWorker } from '../helpers/celery-worker.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
let worker: CeleryWorker;
/** One pool process: 500 ms tasks saturate it at 2 a second. */
let single: CeleryWorker;
/** Six pool processes: 12 tasks a second of them. */
let wide: CeleryWorker;
beforeAll(async () => {
  [db, worker, single, wide] = await Promise.all([createTestDatabase(), startCeleryWorker(), startCeleryWorker({ concurrency: 1 }), startCeleryWorker({ concurrency: 6 })]);
}, 90_000);
afterAll(async () => {
  await Promise.all([db?.drop(), worker?.stop(), single?.stop(), wide?.stop()]);
});

const STAGES = [{ rate: 10, duration: '2s' }, { rate: 40, duration: '3s' }];
/** 500 ms tasks: at 1 a second a single process keeps up, at 8 it falls behind by 6 a second; six processes carry both. */
const BUSY_STAGES = [{ rate: 1, duration: '2s' }, { rate: 8, duration: '4s' }];

async function runTasks(queue: string, opts: { taskName?: string; stages?: typeof STAGES } = {}): Promise<CheckResult> {
  const config = validateConfig({
    database_url: db.url, celery_broker_url: worker.broker, celery_result_backend: worker.backend, workload: { scale: 0.02 }, tasks: { queue: worker.queue },
    load: {
      // A busy shared host makes the event loop late now and then: these tests judge Celery, not the client.
      stages: opts.stages ?? STAGES, pool_size: 4, generator_max_delay_ms: 1000, task_queue: queue, weights: { financial_read: 0, write: 0, cache_read: 0, task: 1 },
      ...(opts.taskName ? { task_name: opts.taskName } : {}),
    },
  });
  return (await run({ config, checks: [mixedLoadCheck], signal: new AbortController().signal, log: silentLogger() })).checks[0]!;
}
const show = (c: CheckResult) => `${c.status} ${c.reason ?? ''}\n${JSON.stringify(c.info.bottleneck)}\n${JSON.stringify(c.info.attribution)}`;

interface WorkersInfo { consumers: number; concurrency: number; samples: number; utilisation: number | null }
const workersAt = (c: CheckResult, stage: number) =>
  (c.info.attribution as Array<{ stage: number; celery_workers?: WorkersInfo }>).find((s) => s.stage === stage)?.celery_workers;
const utilisationGauge = (c: CheckResult, stage: number) =>
  c.metrics.find((m) => m.name === 'load_celery_utilisation' && m.tags.stage === String(stage));

describe('Celery queue growth and worker utilisation', () => {
  it('names the workers when the tasks pile up in a queue no worker takes', async () => {
    const q = uniqueQueue();
    const c = await runTasks(q);
    const b = c.info.bottleneck as Attribution;
    expect(b?.component, show(c)).toBe('tasks');
    expect(b.evidence).toMatch(/the task queue went from \d+ to \d+ messages while the stage submitted \d+ tasks/);
    expect(b.evidence).toContain(`no live worker consumed queue ${q}`);
  }, 60_000);

  it('does not name them when the worker takes the tasks as they come', async () => {
    const c = await runTasks(worker.queue);
    const b = c.info.bottleneck as Attribution;
    expect(b, show(c)).toBeDefined();
    expect(b.component, show(c)).not.toBe('tasks');
    expect(b.ruledOut.find((r) => r.component === 'tasks'), show(c)).toBeDefined();
  }, 60_000);

  it('names a worker of one pool process saturated by slow tasks first, with its utilisation and queue growth', async () => {
    const c = await runTasks(single.queue, { taskName: 'test.busy', stages: BUSY_STAGES });
    const b = c.info.bottleneck as Attribution;
    expect(b?.component, show(c)).toBe('tasks');
    expect(b.stage, show(c)).toBe(2);
    expect(b.evidence, show(c)).toMatch(new RegExp(`the Celery workers were saturated: the task queue went from \\d+ to \\d+ messages .*; 1 worker of 1 pool process in all on queue ${single.queue} were (8[5-9]|9\\d|100) % busy`));
    console.log(`\nsaturated: ${b.evidence}`);
    const w = workersAt(c, 2)!;
    expect(w, show(c)).toMatchObject({ consumers: 1, concurrency: 1 });
    expect(w.samples).toBeGreaterThanOrEqual(5);
    expect(w.utilisation!).toBeGreaterThanOrEqual(0.85);
    expect(utilisationGauge(c, 2), show(c)).toMatchObject({ type: 'gauge', unit: 'ratio' });
    // PostgreSQL and the pool carried nothing of it.
    expect(b.ruledOut.map((r) => r.component)).toEqual(expect.arrayContaining(['pool', 'lock', 'cpu']));
  }, 90_000);

  it('rules the workers out when they have pool processes to spare for the same tasks', async () => {
    const c = await runTasks(wide.queue, { taskName: 'test.busy', stages: BUSY_STAGES });
    const b = c.info.bottleneck as Attribution;
    expect(b?.component, show(c)).not.toBe('tasks');
    const w = workersAt(c, 2)!;
    expect(w, show(c)).toMatchObject({ consumers: 1, concurrency: 6 });
    // 8 a second of 500 ms tasks keep four of six processes busy on average.
    expect(w.utilisation!, show(c)).toBeLessThan(0.85);
    expect(w.utilisation!, show(c)).toBeGreaterThan(0.2);
    const why = b.ruledOut.find((r) => r.component === 'tasks')?.why ?? '';
    console.log(`\nspare processes, ruled out: ${why}`);
    expect(why, show(c)).toMatch(new RegExp(`1 worker of 6 pool processes in all on queue ${wide.queue} were \\d+ % busy`));
  }, 90_000);
});
