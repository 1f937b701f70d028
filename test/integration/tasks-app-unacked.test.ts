// tasks.queues on kombu's unacked hash: an ETA message delivered two hours ago is past the visibility timeout; one just
// delivered is not. Planted in a private redis-server in kombu's own layout, with no worker to restore it meanwhile.
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/result/model.js';
import { bindingKey, bindingMember, encodeTaskEnvelope, UNACKED_INDEX_KEY, UNACKED_KEY } from '../../src/targets/celery/kombu-redis.js';
import { buildTaskMessage } from '../../src/targets/celery/protocol.js';
import { runTasksChecks } from '../helpers/celery-worker.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis.js';

let server: PrivateRedis;
let redis: Redis;
beforeAll(async () => {
  server = await startPrivateRedis();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

/** One message as kombu's QoS keeps it while a worker holds it: `[envelope, exchange, routing_key]`, indexed by delivery time. */
async function plantUnacked(queue: string, deliveredAgoS: number): Promise<void> {
  const msg = buildTaskMessage('shop.billing.send_invoice_reminder', [1]);
  msg.headers.eta = new Date(new Date().getTime() + 7200_000).toISOString();
  const envelope = JSON.parse(encodeTaskEnvelope(msg, '', queue)) as { properties: { delivery_tag: string } };
  const tag = envelope.properties.delivery_tag;
  await redis.multi()
    .sadd(bindingKey(queue), bindingMember(queue, queue))
    .hset(UNACKED_KEY, tag, JSON.stringify([envelope, '', queue]))
    .zadd(UNACKED_INDEX_KEY, new Date().getTime() / 1000 - deliveredAgoS, tag)
    .exec();
}

async function queuesCheck(): Promise<CheckResult> {
  const [c] = await runTasksChecks({ celery_broker_url: server.url, read_only: true, tasks: { queue_window_s: 1 } }, ['tasks.queues']);
  return c!;
}

describe('tasks.queues: unacked messages', () => {
  it('counts a message held just now, and flags one delivered longer ago than the visibility timeout', async () => {
    const queue = `billing_${randomUUID().slice(0, 8)}`;
    await plantUnacked(queue, 5);
    const fresh = await queuesCheck();
    expect(fresh.metrics.find((m) => m.name === 'queue_unacked' && m.tags.queue === queue)).toMatchObject({ value: 1 });
    expect(fresh.metrics.find((m) => m.name === 'unacked_past_visibility')).toMatchObject({ count: 0 });
    expect(fresh.findings).toEqual([]);
    expect(fresh.status).toBe('pass');

    await plantUnacked(queue, 7200);
    const stale = await queuesCheck();
    console.log(`unacked: ${stale.status}; ${stale.findings.map((f) => f.title).join(' | ')}`);
    expect(stale.metrics.find((m) => m.name === 'queue_unacked' && m.tags.queue === queue)).toMatchObject({ value: 2 });
    expect(stale.metrics.find((m) => m.name === 'unacked_past_visibility')).toMatchObject({ count: 1 });
    expect(stale.findings.map((f) => f.title)).toEqual(['1 unacked message(s) delivered more than the visibility timeout (3600 s) ago']);
    expect(stale.status).toBe('warn');
  }, 30_000);
});
