// Attacks on the tasks category's promises, each against real servers: a frozen broker (Redis SIGSTOPped, RabbitMQ
// behind a paused proxy) under a 5 s check budget, --read-only watched with MONITOR, and publishes that time out. The
// budgets are timings; a run killed mid-way and brokers lost mid-check are tasks-lost-broker's (outcomes only).
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { waitFor } from '../../src/exec/timeout.js';
import type { CheckResult } from '../../src/result/model.js';
import { runTasksChecks, startCeleryWorker, TEST_AMQP_BROKER, TEST_BACKEND, uniqueQueue } from '../helpers/celery-worker.js';
import { startPausableProxy } from '../helpers/pausable-proxy.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis.js';
import { monitorRedis } from '../helpers/redis-monitor.js';

const CELERY_CHECKS = ['tasks.workers', 'tasks.roundtrip', 'tasks.throughput', 'tasks.errors'];
const BUDGET_MS = 5000;
const CONNECT_MS = 1500;

function client(url: string): Redis {
  const c = new Redis(url, { maxRetriesPerRequest: 1 });
  c.on('error', () => undefined); // the tests freeze and stop these servers on purpose
  return c;
}

async function pidOf(server: PrivateRedis): Promise<number> {
  const c = client(server.url);
  try {
    return Number(/process_id:(\d+)/.exec(await c.info('server'))![1]);
  } finally {
    c.disconnect();
  }
}

async function runCelery(config: ConfigInput, onCheckStart?: () => void): Promise<{ checks: CheckResult[] }> {
  return { checks: await runTasksChecks(config, CELERY_CHECKS, onCheckStart) };
}

/** Every Celery check ran into the frozen broker: failed with a reason, within its budget plus the bounded clean-up. */
function expectBounded(result: { checks: CheckResult[] }): void {
  for (const c of result.checks) {
    expect(c.status, `${c.id}: ${c.reason}`).toBe('fail');
    expect(c.reason, c.id).toMatch(/time budget of 5000 ms/);
    // The budget, then clean-up bounded by connect_ms, plus slack for a loaded 2-core host.
    expect(c.durationMs, c.id).toBeLessThan(BUDGET_MS + CONNECT_MS + 3000);
  }
}

const frozenConfig = (broker: string, backend: string, queue: string): ConfigInput => ({
  celery_broker_url: broker, celery_result_backend: backend,
  timeouts: { check_ms: BUDGET_MS, connect_ms: CONNECT_MS },
  tasks: { queue, failing_task: 'test.always_fails', burst: 50, rate: 20, duration_s: 2 },
});

// The two brokers freeze side by side: each case is four 5 s budgets of waiting on its own private broker or proxy.
describe.concurrent('a frozen broker', () => {
  it('Redis SIGSTOPped: every tasks check ends near its 5 s budget and fails with the reason', async () => {
    const server = await startPrivateRedis();
    const pid = await pidOf(server);
    let frozen = false;
    try {
      const t0 = performance.now();
      const result = await runCelery(frozenConfig(server.url, server.url, uniqueQueue()), () => {
        if (frozen) return;
        frozen = true;
        process.kill(pid, 'SIGSTOP'); // after the targets opened: the broker freezes under a running check
      });
      const wall = performance.now() - t0;
      console.log(`frozen redis: ${result.checks.map((c) => `${c.id} ${c.status} ${Math.round(c.durationMs)} ms`).join(', ')}; whole run ${Math.round(wall)} ms`);
      expectBounded(result);
    } finally {
      if (frozen) process.kill(pid, 'SIGCONT');
      await server.stop();
    }
  });

  it('RabbitMQ behind a paused proxy: every tasks check ends near its 5 s budget and fails with the reason', async () => {
    const proxy = await startPausableProxy(TEST_AMQP_BROKER);
    try {
      const t0 = performance.now();
      const result = await runCelery(frozenConfig(proxy.url, TEST_BACKEND, uniqueQueue()), () => proxy.pause());
      const wall = performance.now() - t0;
      console.log(`frozen amqp: ${result.checks.map((c) => `${c.id} ${c.status} ${Math.round(c.durationMs)} ms`).join(', ')}; whole run ${Math.round(wall)} ms`);
      expectBounded(result);
    } finally {
      await proxy.close();
    }
  });
});

/** Commands that change nothing in the keyspace, the pub/sub state of others, or the server. */
const READ_COMMANDS = new Set(['auth', 'hello', 'ping', 'info', 'select', 'client', 'command', 'quit', 'echo', 'llen', 'get', 'mget', 'exists', 'scan', 'sscan', 'lrange', 'subscribe', 'unsubscribe']);

describe('--read-only', () => {
  it('sends no write command to the broker or the result backend (MONITOR), and says why the checks skip', async () => {
    const server = await startPrivateRedis();
    const monitor = await monitorRedis(server.url);
    try {
      const result = await runCelery({ ...frozenConfig(server.url, server.url, uniqueQueue()), read_only: true, timeouts: {} });
      const workers = result.checks.find((c) => c.id === 'tasks.workers')!;
      expect(workers).toMatchObject({ status: 'skip', reason: expect.stringMatching(/^--read-only: asking the workers .* writes to the broker/) });
      for (const c of result.checks.filter((x) => x.id !== 'tasks.workers')) expect(c).toMatchObject({ status: 'skip', reason: '--read-only: this check writes' });
      await monitor.stop();
      const seen = monitor.seen.map((c) => c.name);
      const writes = seen.filter((cmd) => !READ_COMMANDS.has(cmd));
      console.log(`read-only: ${seen.length} commands seen: ${[...new Set(seen)].join(', ')}`);
      expect(seen.length).toBeGreaterThan(0); // MONITOR saw stackprobe's connections
      expect(writes).toEqual([]);
      const c = client(server.url);
      expect(await c.dbsize()).toBe(0);
      c.disconnect();
    } finally {
      await monitor.stop();
      await server.stop();
    }
  });
});

describe('publishes that time out', () => {
  it('fail tasks.throughput on its submit-error threshold, counted over attempts', async () => {
    const server = await startPrivateRedis();
    const pid = await pidOf(server);
    const worker = await startCeleryWorker({ broker: server.url, backend: server.url });
    let frozen = false;
    try {
      // Frozen for 1.5 s once the burst is done: the steady phase's publishes meet a broker that does not answer.
      const stall = waitFor(() => (worker.log().match(/succeeded in/g) ?? []).length >= 50, 60_000, 'the burst').then(async () => {
        frozen = true;
        process.kill(pid, 'SIGSTOP');
        await new Promise((r) => setTimeout(r, 1500));
        process.kill(pid, 'SIGCONT');
        frozen = false;
      });
      const [tp] = await runTasksChecks({
        celery_broker_url: server.url, celery_result_backend: server.url, timeouts: { operation_ms: 500, connect_ms: CONNECT_MS },
        tasks: { queue: worker.queue, burst: 50, rate: 50, duration_s: 4, drain_timeout_s: 5 },
      }, ['tasks.throughput']);
      await stall;
      const errors = tp!.metrics.find((m) => m.name === 'task_submit_errors') as { hits: number; total: number };
      const success = tp!.metrics.find((m) => m.name === 'task_success') as { hits: number; total: number };
      console.log(`stalled publishes: ${errors.hits} of ${errors.total} failed; success ${success.hits}/${success.total}; ${tp!.findings.map((f) => f.title).join(' | ')}`);
      expect(tp!.status).toBe('fail');
      expect(errors.hits).toBeGreaterThan(10);
      expect(tp!.thresholds.find((t) => t.metric === 'task_submit_errors')).toMatchObject({ ok: false });
      expect(tp!.findings.map((f) => f.title).join('\n')).toMatch(/\d+ of \d+ publishes failed or timed out/);
      // Not blamed on the workers: they kept up with what arrived.
      expect(tp!.findings.map((f) => f.title).join('\n')).not.toMatch(/the backlog grows/);
      // Every attempt is in the success share's denominator, the failed publishes too.
      expect(success.total).toBe(50 + 200);
    } finally {
      if (frozen) process.kill(pid, 'SIGCONT');
      await worker.stop(3000);
      await server.stop();
    }
  });
});
