// tasks.queues and tasks.runtime over RabbitMQ: depth and consumers from a passive declare, events from a private queue.
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { sleep } from '../../src/exec/timeout.js';
import { openCelery } from '../../src/targets/celery/open.js';
import { silentLogger } from '../../src/util/logger.js';
import { runTasksChecks, startCeleryWorker, TEST_AMQP_BROKER, uniqueQueue, type CeleryWorker } from '../helpers/celery-worker.js';

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

  it('reads a queue of its own without consuming it: depth and no consumer, the age said unreadable, unacked from the management API or said unavailable', async () => {
    const queue = `${uniqueQueue()}-aged`;
    const conn = await amqp.connect(TEST_AMQP_BROKER);
    const ch = await conn.createChannel();
    try {
      await ch.assertQueue(queue, { durable: false, autoDelete: false });
      for (let i = 0; i < 5; i++) ch.sendToQueue(queue, Buffer.from(JSON.stringify([[i], {}, {}])), { contentType: 'application/json', headers: { id: `m${i}`, task: 'test.add' } });
      await ch.checkQueue(queue); // a round trip after the publishes: the broker holds them
      const management = await fetch('http://127.0.0.1:15672/api/overview', { headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` } })
        .then((r) => r.ok, () => false);
      const [r] = await runTasksChecks({ celery_broker_url: TEST_AMQP_BROKER, read_only: true, tasks: { queues: [queue], queue_window_s: 1 } }, ['tasks.queues']);
      const info = r!.info as { queues: { oldest_age: string; depth_from: string }; unacked: unknown };
      console.log(`amqp queue of our own: ${r!.status} ${JSON.stringify(r!.findings.map((f) => f.title))} unacked ${JSON.stringify(info.unacked)}`);
      expect(r!.status).toBe('fail');
      expect(r!.metrics.find((m) => m.name === 'queue_depth' && m.tags.queue === queue)).toMatchObject({ value: 5 });
      expect(r!.metrics.find((m) => m.name === 'queue_consumers' && m.tags.queue === queue)).toMatchObject({ value: 0 });
      // No age is made up: the gauge is absent, and the info and the finding say why.
      expect(r!.metrics.some((m) => m.name === 'queue_oldest_age')).toBe(false);
      expect(info.queues.oldest_age).toMatch(/^not read: RabbitMQ hands a message out only by delivering it/);
      expect(r!.findings.find((f) => f.subject === queue)?.title).toBe(`queue "${queue}": 5 messages waiting and no worker consumes it (RabbitMQ: the age of its oldest message cannot be read without consuming it)`);
      if (management) {
        expect(r!.metrics.find((m) => m.name === 'queue_unacked' && m.tags.queue === queue)).toMatchObject({ value: 0 });
      } else {
        // The plugin is off on this broker: said, and no 0 recorded in place of a figure nobody read.
        expect(info.unacked).toMatch(/^unavailable: no management API at http:\/\/127\.0\.0\.1:15672 \(.+\): enable the rabbitmq_management plugin/);
        expect(r!.metrics.some((m) => m.name === 'queue_unacked')).toBe(false);
      }
      expect(JSON.stringify(r)).not.toMatch(/guest:guest|Z3Vlc3Q6Z3Vlc3Q/);
      // Nothing was consumed: the messages are all there, and the first was never delivered before.
      expect((await ch.checkQueue(queue)).messageCount).toBe(5);
      const first = await ch.get(queue, { noAck: true });
      expect(first && first.fields.redelivered).toBe(false);
    } finally {
      await ch.deleteQueue(queue);
      await conn.close();
    }
  }, 60_000);
});
