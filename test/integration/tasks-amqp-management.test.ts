// tasks.queues on a private RabbitMQ with its management plugin: the unacknowledged messages a consumer holds, read from
// the management API beside the ready ones of a passive declare; a user the API refuses is said, never a 0.
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../src/exec/timeout.js';
import { runTasksChecks, uniqueQueue } from '../helpers/celery-worker.js';
import { startPrivateRabbit, type PrivateRabbit } from '../helpers/rabbitmq.js';

let rabbit: PrivateRabbit;
beforeAll(async () => {
  rabbit = await startPrivateRabbit();
}, 150_000);
afterAll(async () => {
  await rabbit?.stop();
}, 60_000);

describe('tasks.queues with the RabbitMQ management API', () => {
  it('reads the unacked messages a consumer holds, and says when the API refuses the user', async () => {
    const queue = uniqueQueue();
    const conn = await amqp.connect(rabbit.url);
    const ch = await conn.createChannel();
    try {
      await ch.assertQueue(queue, { durable: false });
      for (let i = 0; i < 6; i++) ch.sendToQueue(queue, Buffer.from(`[[${i}], {}, {}]`), { headers: { id: `m${i}`, task: 'test.add' } });
      // A worker that took 4 (its prefetch) and acknowledges none of them.
      await ch.prefetch(4);
      let held = 0;
      await ch.consume(queue, () => void held++, { noAck: false });
      const deadline = performance.now() + 20_000;
      const stats = () => rabbit.api('GET', `/api/queues/%2F/${queue}`) as Promise<{ messages_unacknowledged?: number; messages_ready?: number }>;
      while (held < 4 || (await stats()).messages_unacknowledged !== 4) {
        if (performance.now() > deadline) throw new Error(`the management API never showed 4 unacked (held ${held})`);
        await sleep(200);
      }
      const [r] = await runTasksChecks({ celery_broker_url: rabbit.url, read_only: true, tasks: { queues: [queue], queue_window_s: 1 } }, ['tasks.queues']);
      console.log(`management: ${JSON.stringify(r!.info.unacked)} ${JSON.stringify(r!.metrics.filter((m) => m.name.startsWith('queue_')).map((m) => [m.name, 'value' in m ? m.value : undefined]))}`);
      const gauge = (name: string) => r!.metrics.find((m) => m.name === name && m.tags.queue === queue);
      expect(gauge('queue_depth')).toMatchObject({ value: 2 }); // ready only
      expect(gauge('queue_consumers')).toMatchObject({ value: 1 });
      expect(gauge('queue_unacked')).toMatchObject({ value: 4 });
      expect(r!.info.unacked).toMatchObject({ from: 'management API at http://127.0.0.1:15672', by_queue: { [queue]: 4 } });
      expect(JSON.stringify(r)).not.toMatch(/guest:guest|Z3Vlc3Q6Z3Vlc3Q/);

      // A user with no management tag: AMQP lets it in, the API refuses it; said, and no unacked figure is made up.
      await rabbit.api('PUT', '/api/users/sp_plain', { password: 'plain-pw', tags: '' });
      await rabbit.api('PUT', '/api/permissions/%2F/sp_plain', { configure: '.*', write: '.*', read: '.*' });
      const plain = rabbit.url.replace('guest:guest', 'sp_plain:plain-pw');
      const [refused] = await runTasksChecks({ celery_broker_url: plain, read_only: true, tasks: { queues: [queue], queue_window_s: 1 } }, ['tasks.queues']);
      expect(refused!.info.unacked).toBe('unavailable: the management API at http://127.0.0.1:15672 refused the broker URL\'s user (HTTP 401): it needs the "monitoring" (or "management") tag');
      expect(refused!.metrics.some((m) => m.name === 'queue_unacked')).toBe(false);
      expect(refused!.metrics.find((m) => m.name === 'queue_depth' && m.tags.queue === queue)).toMatchObject({ value: 2 });
      expect(JSON.stringify(refused)).not.toContain('plain-pw');
    } finally {
      await ch.close().catch(() => undefined);
      await conn.close().catch(() => undefined);
    }
  }, 90_000);
});
