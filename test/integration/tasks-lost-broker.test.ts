// Attacks on "a lost broker fails a check, never the run", each against real servers: a run killed mid-way leaves
// result keys the next run reaps, and killed mid-broadcast a reply binding a later run removes; a Redis broker stopped
// or an AMQP connection cut mid-check fails the check with the connection's reason while the run goes on. Outcomes are
// asserted, not timings: this file runs in the shared lane (the frozen brokers' budgets are tasks-safety's).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { waitFor } from '../../src/exec/timeout.js';
import type { CheckResult } from '../../src/result/model.js';
import { LostReason } from '../../src/targets/celery/bounded.js';
import { bindingKey, bindingMember, fanoutChannel, SEP } from '../../src/targets/celery/kombu-redis.js';
import { openCelery } from '../../src/targets/celery/open.js';
import { LEASE_PREFIX, META_PREFIX, OWNED_PREFIX } from '../../src/targets/celery/redis-backend.js';
import { connectRedis, RedisTransport } from '../../src/targets/celery/redis-transport.js';
import { ABANDONED_AFTER_MS } from '../../src/targets/celery/reply-key.js';
import { PIDBOX_EXCHANGE, REPLY_EXCHANGE } from '../../src/targets/celery/transport.js';
import { silentLogger } from '../../src/util/logger.js';
import { runTasksChecks, startCeleryWorker, TEST_AMQP_BROKER, TEST_BACKEND } from '../helpers/celery-worker.js';
import { startPausableProxy } from '../helpers/pausable-proxy.js';
import { keysMatching, startPrivateRedis } from '../helpers/redis.js';

const CONNECT_MS = 1500;

function client(url: string): Redis {
  const c = new Redis(url, { maxRetriesPerRequest: 1 });
  c.on('error', () => undefined); // the tests stop these servers on purpose
  return c;
}

describe('a run killed mid-way', () => {
  it('leaves result keys that the next run reaps', async () => {
    const server = await startPrivateRedis();
    const worker = await startCeleryWorker({ broker: server.url, backend: server.url, concurrency: 2 });
    const c = client(server.url);
    try {
      const config = { celery_broker_url: server.url, celery_result_backend: server.url, tasks: { queue: worker.queue, burst: 300, rate: 50, duration_s: 20 } };
      // One process (tsx as a loader, not its CLI, which would leave a grandchild running after the kill).
      const child = spawn(process.execPath, ['--import', 'tsx', resolve('test/celery/run-tasks-child.ts'), JSON.stringify({ config, checks: ['tasks.throughput'] })], { stdio: ['ignore', 'ignore', 'inherit'] });
      const exited = new Promise((r) => child.once('exit', r));
      // Killed once a good number of results exist: what a Ctrl-C-less death (OOM, kill -9) leaves.
      await waitFor(async () => (await keysMatching(c, `${META_PREFIX}*`)).length >= 100, 60_000, '100 result keys');
      child.kill('SIGKILL');
      await exited;
      await worker.stop(); // nothing consumes the dead run's queued probes any more
      const left = (await keysMatching(c, `${META_PREFIX}*`)).length;
      const lists = await keysMatching(c, `${OWNED_PREFIX}*`);
      expect(lists).toHaveLength(1);
      expect(left).toBeGreaterThanOrEqual(100);
      expect(await c.ttl(lists[0]!)).toBeGreaterThan(0); // the list itself expires even if no run ever comes
      // The next run (opening the target is enough) reaps them: the dead run's lease names a process that is gone.
      const opened = await openCelery(validateConfig({ celery_broker_url: server.url, celery_result_backend: server.url }), silentLogger(), () => undefined);
      await opened.close?.();
      const after = await keysMatching(c, `${META_PREFIX}*`);
      console.log(`killed run: ${left} result keys left behind; after the next run: ${after.length}`);
      expect(after).toEqual([]);
      expect(await keysMatching(c, `${OWNED_PREFIX}*`)).toEqual([]);
      expect(await keysMatching(c, `${LEASE_PREFIX}*`)).toEqual([]);
    } finally {
      c.disconnect();
      await worker.stop();
      await server.stop();
    }
  });
});

describe('a run killed mid-broadcast', () => {
  it('leaves a reply binding and queue that a later run takes away once the broadcast is long over, and nothing else', async () => {
    const server = await startPrivateRedis();
    const c = client(server.url);
    // A silent pidbox listener: the broadcast counts one receiver and waits its whole control timeout for a reply.
    const silent = client(server.url);
    const replies = bindingKey(REPLY_EXCHANGE);
    try {
      await silent.subscribe(fanoutChannel(0, PIDBOX_EXCHANGE));
      // A binding of a Celery client of the application's own (a bare uuid routing key) is not ours to touch.
      const foreign = bindingMember('3f1c1f5e-0c7e-4a53-9a57-2c1b7d2b9e10', '3f1c1f5e-0c7e-4a53-9a57-2c1b7d2b9e10.reply.celery.pidbox');
      await c.sadd(replies, foreign);
      const config = { celery_broker_url: server.url, tasks: { control_timeout_ms: 60_000 } };
      const child = spawn(process.execPath, ['--import', 'tsx', resolve('test/celery/run-tasks-child.ts'), JSON.stringify({ config, checks: ['tasks.workers'] })], { stdio: ['ignore', 'ignore', 'inherit'] });
      const exited = new Promise((r) => child.once('exit', r));
      await waitFor(async () => (await c.scard(replies)) === 2, 60_000, 'the broadcast to bind its reply queue');
      const ours = (await c.smembers(replies)).find((m) => m !== foreign)!;
      const [replyKey, , replyQueue] = ours.split(SEP);
      child.kill('SIGKILL');
      await exited;
      // A worker's reply that arrives after the kill lands in the dead run's queue (before it, the run would pop it).
      await c.lpush(replyQueue!, 'a late reply');
      expect(await c.sismember(replies, ours)).toBe(1);

      const t = { connectMs: 2000, commandMs: 2000 };
      const transport = new RedisTransport(await connectRedis(server.url, t), 0, t, new LostReason());
      try {
        // While another run might still be mid-broadcast (its end plus the grace not yet past), nothing goes.
        expect(await transport.reapAbandonedReplies(5000)).toBe(0);
        expect(await c.exists(replyQueue!)).toBe(1);
        // Long after the broadcast's end (the key names it): the dead run's binding and queue go, the app's binding stays.
        const end = Number(/^stackprobe-reply-(\d+)-/.exec(replyKey!)![1]);
        expect(await transport.reapAbandonedReplies(5000, end + ABANDONED_AFTER_MS + 1)).toBe(1);
        expect(await c.smembers(replies)).toEqual([foreign]);
        expect(await c.exists(replyQueue!)).toBe(0);
      } finally {
        await transport.close();
      }
    } finally {
      silent.disconnect();
      c.disconnect();
      await server.stop();
    }
  });
});

describe('a broker lost mid-check', () => {
  it('fails the check with the connection\'s reason, and the run goes on', async () => {
    const server = await startPrivateRedis();
    const worker = await startCeleryWorker({ broker: server.url, backend: server.url });
    let stopped = false;
    try {
      const config: ConfigInput = {
        celery_broker_url: server.url, celery_result_backend: server.url, timeouts: { connect_ms: CONNECT_MS, operation_ms: 3000 },
        tasks: { queue: worker.queue, roundtrip_count: 100000, result_timeout_ms: 2000, failing_task: 'test.always_fails' },
      };
      // The broker goes away once the round trip is well under way: a restart or failover, as the application sees it.
      const stopping = waitFor(() => (worker.log().match(/succeeded in/g) ?? []).length >= 20, 60_000, '20 probes').then(async () => {
        stopped = true;
        await server.stop();
      });
      const checks = await runTasksChecks(config, ['tasks.roundtrip', 'tasks.errors']);
      await stopping;
      const [rt, errors] = checks;
      const said = (c: CheckResult) => `${c.reason ?? ''} ${c.findings.map((f) => f.title).join(' | ')}`;
      console.log(`lost broker: ${checks.map((c) => `${c.id} ${c.status} ${Math.round(c.durationMs)} ms: ${said(c)}`).join('\n  ')}`);
      expect(rt!.status).toBe('fail');
      expect(said(rt!)).toMatch(/ECONNREFUSED|Connection is closed|connection/i);
      // The next check ran and failed on its own, with a reason, instead of the run crashing.
      expect(errors!.status).toBe('fail');
      expect(said(errors!)).toMatch(/ECONNREFUSED|Connection is closed|connection/i);
    } finally {
      await worker.stop(3000);
      if (!stopped) await server.stop();
    }
  });
});

describe('an AMQP connection lost mid-check', () => {
  it('fails the check with the reason, and the run goes on', async () => {
    const worker = await startCeleryWorker({ broker: TEST_AMQP_BROKER });
    const proxy = await startPausableProxy(TEST_AMQP_BROKER);
    try {
      const cutting = waitFor(() => (worker.log().match(/succeeded in/g) ?? []).length >= 20, 60_000, '20 probes').then(() => proxy.cut());
      const checks = await runTasksChecks({
        celery_broker_url: proxy.url, celery_result_backend: TEST_BACKEND, timeouts: { connect_ms: CONNECT_MS, operation_ms: 3000 },
        tasks: { queue: worker.queue, roundtrip_count: 100000, result_timeout_ms: 2000, failing_task: 'test.always_fails' },
      }, ['tasks.roundtrip', 'tasks.errors']);
      await cutting;
      const said = (c: CheckResult) => `${c.reason ?? ''} ${c.findings.map((f) => f.title).join(' | ')}`;
      console.log(`lost amqp: ${checks.map((c) => `${c.id} ${c.status} ${Math.round(c.durationMs)} ms: ${said(c)}`).join('\n  ')}`);
      for (const c of checks) {
        expect(c.status, c.id).toBe('fail');
        expect(said(c), c.id).toMatch(/clos|ECONNRESET|connection/i);
      }
    } finally {
      await proxy.close();
      await worker.stop(3000);
    }
  });
});
