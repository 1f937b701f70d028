// Attribution under load with Celery: tasks sent to a queue no worker takes pile up and the workers are named; the same
// tasks on the worker's own queue are taken as they come and the workers are not named.
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
beforeAll(async () => {
  [db, worker] = await Promise.all([createTestDatabase(), startCeleryWorker()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([db?.drop(), worker?.stop()]);
});

async function runTasks(queue: string): Promise<CheckResult> {
  const config = validateConfig({
    database_url: db.url, celery_broker_url: worker.broker, celery_result_backend: worker.backend, workload: { scale: 0.02 }, tasks: { queue: worker.queue },
    load: { stages: [{ rate: 10, duration: '2s' }, { rate: 40, duration: '3s' }], pool_size: 4, task_queue: queue, weights: { financial_read: 0, write: 0, cache_read: 0, task: 1 } },
  });
  return (await run({ config, checks: [mixedLoadCheck], signal: new AbortController().signal, log: silentLogger() })).checks[0]!;
}
const show = (c: CheckResult) => `${c.status} ${c.reason ?? ''}\n${JSON.stringify(c.info.bottleneck)}\n${JSON.stringify(c.info.attribution)}`;

describe('Celery queue growth', () => {
  it('names the workers when the tasks pile up in a queue no worker takes', async () => {
    const c = await runTasks(uniqueQueue());
    const b = c.info.bottleneck as Attribution;
    expect(b?.component, show(c)).toBe('tasks');
    expect(b.evidence).toMatch(/the task queue went from \d+ to \d+ messages while the stage submitted \d+ tasks/);
  }, 60_000);

  it('does not name them when the worker takes the tasks as they come', async () => {
    const c = await runTasks(worker.queue);
    const b = c.info.bottleneck as Attribution;
    expect(b, show(c)).toBeDefined();
    expect(b.component, show(c)).not.toBe('tasks');
    expect(b.ruledOut.find((r) => r.component === 'tasks'), show(c)).toBeDefined();
  }, 60_000);
});
