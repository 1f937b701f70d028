// tasks.queues and tasks.runtime over RabbitMQ: depth and consumers from a passive declare, events from a private queue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { sleep } from '../../src/exec/timeout.js';
import { openCelery } from '../../src/targets/celery/open.js';
import { silentLogger } from '../../src/util/logger.js';
import { runTasksChecks, startCeleryWorker, TEST_AMQP_BROKER, type CeleryWorker } from '../helpers/celery-worker.js';

let worker: CeleryWorker;
beforeAll(async () => {
  worker = await startCeleryWorker({ broker: TEST_AMQP_BROKER, args: ['-E'] });
}, 60_000);
afterAll(async () => {
  await worker?.stop();
});

describe('the application checks over AMQP', () => {
  it('reads the queue\'s depth and consumers, and the tasks the worker runs from its events', async () => {
    const opened = await openCelery(validateConfig({ celery_broker_url: worker.broker, celery_result_backend: worker.backend }), silentLogger(), () => undefined);
    const celery = opened.target!;
    let sending = true;
    // Traffic while the checks watch: short tasks, and a slower one, on the worker's queue.
    const traffic = (async () => {
      for (let n = 0; sending; n++) {
        await celery.send(n % 5 === 0 ? 'test.slow' : 'test.add', n % 5 === 0 ? [200] : [n, 1], { queue: worker.queue });
        await sleep(100);
      }
    })();
    try {
      const results = await runTasksChecks({ celery_broker_url: worker.broker, tasks: { queues: [worker.queue], queue_window_s: 2, runtime_window_s: 6 } }, ['tasks.queues', 'tasks.runtime']);
      const [queues, runtime] = ['tasks.queues', 'tasks.runtime'].map((id) => results.find((c) => c.id === id)!);
      console.log(`amqp: queues ${queues!.status} ${JSON.stringify(queues!.findings)}; runtime ${runtime!.status} ${runtime!.reason ?? ''} ${JSON.stringify(runtime!.info.slowest)}`);
      expect(queues!.status).toBe('pass');
      expect(queues!.metrics.find((m) => m.name === 'queue_consumers' && m.tags.queue === worker.queue)).toMatchObject({ value: 1 });
      expect(queues!.metrics.find((m) => m.name === 'queue_depth' && m.tags.queue === worker.queue)).toBeDefined();
      expect(runtime!.status).toBe('pass');
      const slowest = runtime!.info.slowest as Array<{ task: string; p50_ms: number }>;
      expect(slowest[0]).toMatchObject({ task: 'test.slow' });
      expect(slowest[0]!.p50_ms).toBeGreaterThan(150);
      expect(slowest.map((s) => s.task)).toContain('test.add');
      // Under --read-only the passive declare still reads the queue; listening to events would declare one: refused.
      const ro = await runTasksChecks({ celery_broker_url: worker.broker, read_only: true, tasks: { queues: [worker.queue], queue_window_s: 1 } }, ['tasks.queues', 'tasks.runtime']);
      expect(ro.find((c) => c.id === 'tasks.queues')!.metrics.find((m) => m.name === 'queue_consumers')).toMatchObject({ value: 1 });
      expect(ro.find((c) => c.id === 'tasks.runtime')).toMatchObject({ status: 'skip', reason: expect.stringMatching(/^--read-only: receiving Celery events over AMQP declares a queue/) });
    } finally {
      sending = false;
      await traffic;
      await celery.close();
    }
  }, 60_000);
});
