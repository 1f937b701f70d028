// tasks.bullmq against the local Redis: the self-test worker, a user's queue with its own worker, a queue nobody works, Ctrl-C; nothing left behind.
import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullmqCheck } from '../../src/checks/tasks/bullmq.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { CheckResult, SerializedMetric } from '../../src/result/model.js';
import type { RedisTarget } from '../../src/targets/redis/target.js';
import { keysMatching, openTestTarget, rawClient, runCacheCheck, TEST_REDIS_URL } from '../helpers/redis.js';

let target: RedisTarget;
let raw: Redis;
/** The "user's" BullMQ prefix: unique per test file run, obliterated afterwards. */
const userPrefix = `sptest-bull-${randomBytes(4).toString('hex')}`;
/** Queues made on the user's prefix, obliterated (with their connections closed) in afterAll. */
const userQueues: Array<{ queue: Queue; conn: Redis }> = [];

beforeAll(async () => {
  target = await openTestTarget();
  raw = rawClient();
});
afterAll(async () => {
  for (const { queue, conn } of userQueues) {
    await queue.obliterate({ force: true });
    await queue.close();
    conn.disconnect();
  }
  await target?.close();
  if (raw) {
    expect(await keysMatching(raw, `${userPrefix}*`)).toEqual([]);
    await raw.quit();
  }
});

type Bullmq = NonNullable<ConfigInput['tasks']>['bullmq'];
const runBullmq = (bullmq: Bullmq, signal?: AbortSignal) => runCacheCheck(bullmqCheck, target, { tasks: { bullmq } }, signal);

function metric(r: CheckResult, name: string, tags: Record<string, string> = {}): SerializedMetric | undefined {
  return r.metrics.find((m) => m.name === name && Object.entries(tags).every(([k, v]) => m.tags[k] === v));
}
const value = (r: CheckResult, name: string, tags: Record<string, string>) => (metric(r, name, tags) as { value: number } | undefined)?.value;
const pcts = (r: CheckResult, name: string, tags: Record<string, string>) => {
  const m = metric(r, name, tags);
  return m?.type === 'trend' ? m.summary : undefined;
};
const fmt = (s: ReturnType<typeof pcts>) => (s ? `p50 ${s.percentiles.p50?.toFixed(2)} p95 ${s.percentiles.p95?.toFixed(2)} p99 ${s.percentiles.p99?.toFixed(2)} ms (n=${s.count})` : 'none');

/** A connection for the test's own BullMQ objects (blocking commands need maxRetriesPerRequest: null). */
function bullClient(): Redis {
  const c = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  c.on('error', () => undefined);
  return c;
}

/** The probe jobs stackprobe might have left in a user's queue: job hashes and members of its state sets/lists. */
async function probeLeftovers(queue: string): Promise<string[]> {
  const base = `${userPrefix}:${queue}`;
  const hashes = await keysMatching(raw, `${base}:sp-*`);
  const waiting = (await raw.lrange(`${base}:wait`, 0, -1)).filter((id) => id.startsWith('sp-'));
  const done = [...(await raw.zrange(`${base}:completed`, 0, -1)), ...(await raw.zrange(`${base}:failed`, 0, -1))].filter((id) => id.startsWith('sp-'));
  return [...hashes, ...waiting, ...done];
}

/** Connections a check may have left open: its own base connection, and BullMQ's (named after the prefix and queue). */
async function openConnections(prefix: string): Promise<string[]> {
  const list = String(await raw.client('LIST'));
  return list.split('\n').map((l) => /name=(\S*)/.exec(l)?.[1] ?? '').filter((n) => n === 'stackprobe-bullmq' || n.startsWith(prefix));
}

describe('tasks.bullmq', () => {
  it('skips without a queue, and names the field of a bad queue name', async () => {
    const r = await runBullmq({});
    expect(r.status).toBe('skip');
    expect(r.reason).toBe('no BullMQ queue in config.tasks.bullmq.queue');
    expect(() => validateConfig({ tasks: { bullmq: { queue: 'a:b' } } })).toThrow(/config\.tasks\.bullmq\.queue/);
  });

  it('self-test: round trip and throughput of its own worker, then obliterates its queue', async () => {
    const r = await runBullmq({ self_test: true, roundtrip_count: 30, burst: 300, rate: 100, duration_s: 2, concurrency: 4 });
    expect(r.status, `${r.reason ?? ''} ${JSON.stringify(r.findings)}`).toBe('pass');
    const tags = { probe: 'self_test', phase: 'roundtrip' };
    expect(metric(r, 'task_success', tags)).toMatchObject({ hits: 30, total: 30 });
    const e2e = pcts(r, 'task_e2e_duration', tags)!;
    const wait = pcts(r, 'task_queue_wait_duration', { probe: 'self_test' })!;
    const runTime = pcts(r, 'task_run_duration', { probe: 'self_test' })!;
    expect(e2e.count).toBe(30);
    expect(e2e.percentiles.p50).toBeGreaterThan(0);
    expect(e2e.percentiles.p50).toBeLessThan(1000);
    expect(wait.count).toBeGreaterThan(20); // wall clocks: a value outside [0, e2e] is dropped
    expect(runTime.count).toBe(30);
    expect(runTime.percentiles.p50!).toBeLessThanOrEqual(e2e.percentiles.p50!);

    const sent = 300 + 200;
    expect(metric(r, 'task_success', { probe: 'self_test', phase: 'throughput' })).toMatchObject({ hits: sent, total: sent });
    const burstSubmit = value(r, 'task_submit_rate', { probe: 'self_test', phase: 'burst' })!;
    const completion = value(r, 'task_completion_rate', { probe: 'self_test', phase: 'burst' })!;
    const all = value(r, 'task_completion_rate', { probe: 'self_test', phase: 'all' })!;
    expect(completion).toBeGreaterThan(20);
    expect(value(r, 'backlog_drain_duration', { probe: 'self_test' })).toBeGreaterThanOrEqual(0);
    const depth = r.timeSeries.find((s) => s.name === 'queue_depth')!.points;
    expect(depth.length).toBeGreaterThan(3);
    expect(value(r, 'queue_depth_max', { probe: 'self_test' })).toBe(Math.max(...depth.map(([, d]) => d)));
    console.log(`bullmq self-test: round trip e2e ${fmt(e2e)}; queue wait ${fmt(wait)}; run ${fmt(runTime)}; submit ${fmt(pcts(r, 'task_submit_duration', tags))}`);
    console.log(`bullmq self-test: burst add ${burstSubmit}/s, steady add ${value(r, 'task_submit_rate', { probe: 'self_test', phase: 'steady' })}/s, completion burst ${completion}/s, all ${all}/s, drain ${value(r, 'backlog_drain_duration', { probe: 'self_test' })} ms, throughput e2e ${fmt(pcts(r, 'task_e2e_duration', { probe: 'self_test', phase: 'throughput' }))}`);
    expect(await keysMatching(raw, `${target.keyPrefix}*`)).toEqual([]);
    expect(await openConnections(target.keyPrefix)).toEqual([]);
  });

  it("a configured queue: the user's worker runs the probes, and they are removed afterwards", async () => {
    const queue = 'orders';
    const conn = bullClient();
    const seen: string[] = [];
    // Like a real worker: it only knows its own job names, and removes completed jobs itself (stackprobe overrides that).
    const worker = new Worker(queue, async (job) => {
      seen.push(job.name);
      if (job.name !== 'stackprobe.probe' && job.name !== 'order.paid') throw new Error(`unknown job ${job.name}`);
      return { ok: true };
    }, { connection: conn, prefix: userPrefix, concurrency: 2, removeOnComplete: { count: 0 } });
    worker.on('error', () => undefined);
    const userQueue = new Queue(queue, { connection: bullClient(), prefix: userPrefix });
    userQueues.push({ queue: userQueue, conn: userQueue.opts.connection as Redis });
    try {
      await worker.waitUntilReady();
      await userQueue.add('order.paid', { id: 1 }, { removeOnComplete: false }); // a real job that must survive
      const r = await runBullmq({ queue, prefix: userPrefix, roundtrip_count: 10, burst: 50, rate: 50, duration_s: 1 });
      expect(r.status, `${r.reason ?? ''} ${JSON.stringify(r.findings)}`).toBe('pass');
      expect(metric(r, 'task_success', { probe: 'queue', phase: 'roundtrip' })).toMatchObject({ hits: 10, total: 10 });
      expect(metric(r, 'task_success', { probe: 'queue', phase: 'throughput' })).toMatchObject({ hits: 100, total: 100 });
      expect(value(r, 'workers_alive', { probe: 'queue' })).toBe(1);
      expect(pcts(r, 'task_run_duration', { probe: 'queue' })!.count).toBe(10);
      expect(metric(r, 'probe_jobs_left', { probe: 'queue' })).toMatchObject({ count: 0 });
      expect(seen.filter((n) => n === 'stackprobe.probe').length).toBe(110);
      console.log(`bullmq user queue (2 concurrency): round trip e2e ${fmt(pcts(r, 'task_e2e_duration', { probe: 'queue', phase: 'roundtrip' }))}, completion ${value(r, 'task_completion_rate', { probe: 'queue', phase: 'all' })}/s`);
      expect(await probeLeftovers(queue)).toEqual([]);
      expect(await userQueue.getJobCounts('completed')).toEqual({ completed: 1 }); // the real job is untouched
    } finally {
      await worker.close();
      conn.disconnect();
    }
    expect(await openConnections(userPrefix)).toEqual([]);
  });

  it('a queue with no worker: jobs not completed, a clean timeout, no hang, nothing left', async () => {
    const queue = 'nobody';
    const t0 = performance.now();
    const r = await runBullmq({ queue, prefix: userPrefix, roundtrip_count: 10, result_timeout_ms: 800, burst: 50 });
    const ms = performance.now() - t0;
    expect(r.status).toBe('fail');
    expect(ms).toBeLessThan(15_000); // 3 timeouts of 0.8 s, then it gives up; no burst into a dead queue
    expect(metric(r, 'task_timeouts', { probe: 'queue' })).toMatchObject({ count: 3 });
    expect(metric(r, 'task_success', { probe: 'queue' })).toMatchObject({ hits: 0, total: 3 });
    expect(value(r, 'workers_alive', { probe: 'queue' })).toBe(0);
    expect(r.findings.map((f) => f.title).join('\n')).toMatch(/no BullMQ worker is connected[\s\S]*did not finish within 800 ms; stopped after 3 in a row/);
    expect(r.thresholds.find((t) => t.metric === 'task_success{probe:queue}')).toMatchObject({ ok: false });
    expect(await probeLeftovers(queue)).toEqual([]);
    const conn = bullClient();
    userQueues.push({ queue: new Queue(queue, { connection: conn, prefix: userPrefix }), conn });
  });

  it('a paused queue: says so and adds nothing', async () => {
    const conn = bullClient();
    const queue = new Queue('paused', { connection: conn, prefix: userPrefix });
    userQueues.push({ queue, conn });
    await queue.pause();
    const r = await runBullmq({ queue: 'paused', prefix: userPrefix });
    expect(r.status).toBe('fail');
    expect(value(r, 'queue_paused', { probe: 'queue' })).toBe(1);
    expect(r.findings[0]).toMatchObject({ title: 'BullMQ queue "paused" is paused' });
    expect(await queue.count()).toBe(0);
  });

  it('Ctrl-C mid-throughput: stops promptly and still removes the self-test queue', async () => {
    const ac = new AbortController();
    const t0 = performance.now();
    setTimeout(() => ac.abort(), 1500);
    const r = await runBullmq({ self_test: true, roundtrip_count: 5, burst: 2000, rate: 200, duration_s: 30 }, ac.signal);
    expect(performance.now() - t0).toBeLessThan(12_000);
    expect(r.status).toBe('skip');
    expect(await keysMatching(raw, `${target.keyPrefix}*`)).toEqual([]);
    expect(await openConnections(target.keyPrefix)).toEqual([]);
  });
});
