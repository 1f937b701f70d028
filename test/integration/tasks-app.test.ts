// tasks.config, tasks.queues and tasks.runtime against the shop app's real worker (events on, beat inside): the flawed
// deployment's problems named, the clean one not flagged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/result/model.js';
import { runTasksChecks } from '../helpers/celery-worker.js';
import { monitorRedis } from '../helpers/redis-monitor.js';
import { startShop, type Shop } from '../helpers/shop-app.js';

let flawed: Shop;
let clean: Shop;
beforeAll(async () => {
  [flawed, clean] = await Promise.all([startShop('flawed'), startShop('clean')]);
  // The web app's traffic, with its 2-hour invoice reminder.
  await Promise.all([flawed.drive(80), clean.drive(80)]);
}, 90_000);
afterAll(async () => {
  await Promise.all([flawed?.stop(), clean?.stop()]);
});

const countOf = (c: CheckResult, name: string) => (c.metrics.find((m) => m.name === name) as { count?: number } | undefined)?.count;

async function configOf(shop: Shop): Promise<CheckResult> {
  const [result] = await runTasksChecks({ celery_broker_url: shop.redis.url, tasks: { control_timeout_ms: 3000, utilisation_samples: 3 } }, ['tasks.config']);
  return result!;
}

describe('tasks.config', () => {
  it('names acks_late with prefetch 4, a 1-hour visibility_timeout under a 2-hour countdown, and results that never expire', async () => {
    const c = await configOf(flawed);
    const titles = c.findings.map((f) => f.title);
    console.log(`flawed: ${c.status}; ${titles.join(' | ')}`);
    expect(c.status).toBe('fail');
    expect(titles).toEqual(expect.arrayContaining([
      expect.stringMatching(/task_acks_late with worker_prefetch_multiplier 4/),
      expect.stringMatching(/duplicate execution risk: visibility_timeout 3600 s is shorter than an ETA\/countdown 7\d{3} s away/),
      expect.stringMatching(/results never expire/),
    ]));
    expect(countOf(c, 'task_duplicate_execution_risks')).toBe(1);
    expect(countOf(c, 'task_config_hazards')).toBeGreaterThanOrEqual(3);
    const horizon = c.metrics.find((m) => m.name === 'task_eta_horizon') as { value: number };
    expect(horizon.value).toBeGreaterThan(7000);
    expect(c.metrics.find((m) => m.name === 'worker_pool_utilisation')).toBeDefined();
  }, 60_000);

  it('does not flag the clean deployment (prefetch 1 with acks_late, visibility_timeout above the countdown, results expire)', async () => {
    const c = await configOf(clean);
    console.log(`clean: ${c.status}; ${c.findings.map((f) => f.title).join(' | ')}`);
    expect(c.findings).toEqual([]);
    expect(c.status).toBe('pass');
    expect(countOf(c, 'task_config_hazards')).toBe(0);
    // The same 2-hour reminder is waiting: it is the setting that differs, not the traffic.
    expect((c.metrics.find((m) => m.name === 'task_eta_horizon') as { value: number }).value).toBeGreaterThan(7000);
    expect((c.metrics.find((m) => m.name === 'broker_visibility_timeout') as { value: number }).value).toBe(14400);
  }, 60_000);
});

async function queuesOf(shop: Shop, extra: Record<string, unknown> = {}): Promise<CheckResult> {
  const [result] = await runTasksChecks({ celery_broker_url: shop.redis.url, tasks: { control_timeout_ms: 3000, queue_window_s: 3 }, ...extra }, ['tasks.queues']);
  return result!;
}

const gauge = (c: CheckResult, name: string, queue: string) => (c.metrics.find((m) => m.name === name && m.tags.queue === queue) as { value: number } | undefined)?.value;

describe('tasks.queues', () => {
  it('names the exports backlog nobody consumes, with the age of its oldest message', async () => {
    const c = await queuesOf(flawed);
    console.log(`flawed: ${c.status}; ${c.findings.map((f) => f.title).join(' | ')}`);
    expect(c.status).toBe('fail');
    const exports = c.findings.find((f) => f.subject === 'exports')!;
    expect(exports.title).toMatch(/^queue "exports": 12 messages waiting and no worker consumes it; the oldest message has waited at least \d+ s$/);
    // Sent when the traffic started, before the check: at least the check's own 3 s window, read from the broker.
    expect(gauge(c, 'queue_oldest_age', 'exports')).toBeGreaterThanOrEqual(3);
    expect(gauge(c, 'queue_depth', 'exports')).toBe(12);
    expect(gauge(c, 'queue_consumers', 'exports')).toBe(0);
    expect(gauge(c, 'queue_consumers', 'reports')).toBe(1);
    // The 2-hour reminder waits in the worker, unacknowledged, on the default queue.
    expect(gauge(c, 'queue_unacked', 'default')).toBeGreaterThanOrEqual(1);
    expect(c.findings.filter((f) => f.subject !== 'exports')).toEqual([]);
  }, 60_000);

  it('does not flag the clean deployment, whose workers consume every queue', async () => {
    const c = await queuesOf(clean);
    console.log(`clean: ${c.status}; ${c.findings.map((f) => f.title).join(' | ')}`);
    expect(c.findings).toEqual([]);
    expect(c.status).toBe('pass');
    expect(gauge(c, 'queue_consumers', 'exports')).toBe(1);
    expect(c.metrics.filter((m) => m.name === 'queue_depth').map((m) => m.tags.queue)).toEqual(expect.arrayContaining(['default', 'emails', 'reports', 'exports']));
  }, 60_000);
});

async function runtimeOf(shop: Shop, extra: Record<string, unknown> = {}): Promise<CheckResult> {
  const [result] = await runTasksChecks({ celery_broker_url: shop.redis.url, tasks: { runtime_window_s: 12 }, ...extra }, ['tasks.runtime']);
  return result!;
}

const serious = (c: CheckResult) => c.findings.filter((f) => f.severity !== 'info');

describe('tasks.runtime', () => {
  it('names the slow report first by p95 and the flaky partner call by its retries; the clean deployment is not flagged', async () => {
    // The clean worker runs without -E: the check turns its task events on for the window.
    const [bad, good] = await Promise.all([runtimeOf(flawed), runtimeOf(clean, { tasks: { runtime_window_s: 12, enable_events: true } })]);
    for (const [label, c] of [['flawed', bad], ['clean', good]] as const) {
      console.log(`${label}: ${c.status}; ${c.findings.map((f) => f.title).join(' | ')}; slowest ${JSON.stringify((c.info.slowest as unknown[]).slice(0, 3))}`);
    }
    const slowest = bad.info.slowest as Array<{ task: string; p95_ms: number }>;
    expect(slowest[0]!.task).toBe('shop.reports.generate_sales_report');
    expect(slowest[0]!.p95_ms).toBeGreaterThan(700);
    expect(bad.findings.find((f) => f.severity === 'info' && f.title.startsWith('slowest tasks by p95: shop.reports.generate_sales_report'))).toBeDefined();
    // The flaky call is named by its retries; a run whose retries ran out is also named by its failures (random).
    const flaky = serious(bad).filter((f) => f.subject === 'shop.integrations.sync_inventory').map((f) => f.title);
    expect(flaky).toEqual(expect.arrayContaining([expect.stringMatching(/^shop\.integrations\.sync_inventory: \d+ retries in \d+ executions/)]));
    expect((bad.info.failing as Array<{ task: string }>)[0]!.task).toBe('shop.integrations.sync_inventory');
    expect(bad.thresholds.find((t) => t.metric === 'task_retry_share')).toMatchObject({ ok: false, level: 'warn' });
    expect(['warn', 'fail']).toContain(bad.status);
    // Queue waits measured from the producer's task-sent events, per task, beside the run times.
    expect(slowest[0]).toMatchObject({ wait_p95_ms: expect.any(Number) });
    expect(bad.metrics.find((m) => m.name === 'task_queue_wait' && m.tags.task === 'shop.emails.send_order_confirmation')).toMatchObject({ summary: { count: expect.any(Number) } });

    expect(good.findings[0]!.title).toBe('task events turned on for the window on 1 worker(s) (enable_events), off again afterwards');
    expect(serious(good)).toEqual([]);
    expect(good.status).toBe('pass');
    expect((good.info.slowest as Array<{ task: string }>)[0]!.task).toBe('shop.reports.generate_sales_report');
    const goodFailing = good.info.failing as unknown[];
    expect(goodFailing).toEqual([]);
  }, 60_000);
});

/** Commands that read: what stackprobe's own connections may send under --read-only. */
const READS = new Set(['auth', 'hello', 'ping', 'info', 'select', 'client', 'quit', 'scan', 'srandmember', 'llen', 'lindex', 'object', 'hlen', 'hscan', 'zrange', 'psubscribe', 'punsubscribe']);

describe('--read-only', () => {
  it('writes nothing to the broker: settings refused with the reason, queues and events read', async () => {
    const monitor = await monitorRedis(flawed.redis.url);
    let results: CheckResult[];
    try {
      results = await runTasksChecks({ celery_broker_url: flawed.redis.url, read_only: true, tasks: { queue_window_s: 2, runtime_window_s: 4 } }, ['tasks.config', 'tasks.queues', 'tasks.runtime']);
    } finally {
      await monitor.stop();
    }
    const [config, queues, runtime] = ['tasks.config', 'tasks.queues', 'tasks.runtime'].map((id) => results.find((c) => c.id === id)!);
    expect(config).toMatchObject({ status: 'skip', reason: expect.stringMatching(/^--read-only: reading the workers' settings .* is a broadcast, which writes to the broker/) });
    // Consumers are unknown without asking the workers; the message next in line that never moves is still a backlog.
    expect(queues!.findings.find((f) => f.subject === 'exports')?.title).toMatch(/^queue "exports": backlog of 12 messages; the oldest message has waited at least \d+ s$/);
    expect(runtime!.status, runtime!.reason).not.toBe('skip');
    expect((runtime!.info.slowest as Array<{ task: string }>)[0]!.task).toBe('shop.reports.generate_sales_report');
    // stackprobe's connections: those that sent its reads (the worker, its beat and the traffic never SCAN or PSUBSCRIBE celeryev).
    const ours = new Set(monitor.seen.filter((c) => c.name === 'scan' || c.name === 'hlen' || (c.name === 'psubscribe' && c.args[0]!.includes('celeryev'))).map((c) => c.source));
    expect(ours.size).toBeGreaterThanOrEqual(2);
    const sent = monitor.seen.filter((c) => ours.has(c.source));
    console.log(`read-only: ${sent.length} commands from ${ours.size} connections: ${[...new Set(sent.map((c) => c.name))].join(', ')}`);
    expect(sent.filter((c) => !READS.has(c.name))).toEqual([]);
    // And from anyone: no control message (a broadcast is a PUBLISH on the pidbox channel and a reply binding).
    expect(monitor.seen.filter((c) => (c.name === 'publish' && c.args[0]!.includes('celery.pidbox')) || (c.name === 'sadd' && c.args[0]!.includes('reply.celery.pidbox')))).toEqual([]);
  }, 60_000);

  it('refuses to turn task events on under --read-only (the clean worker runs without -E; the window above turned them off again)', async () => {
    const [refused] = await runTasksChecks({ celery_broker_url: clean.redis.url, read_only: true, tasks: { runtime_window_s: 4, enable_events: true } }, ['tasks.runtime']);
    expect(refused).toMatchObject({
      status: 'skip',
      reason: expect.stringMatching(/^no task event from a worker in 3 s \(1 worker\(s\) heard by heartbeat\): the workers are idle or send no task events .*; turning them on \(enable_events\) is a broadcast .* refused under --read-only$/),
    });
  }, 30_000);
});
