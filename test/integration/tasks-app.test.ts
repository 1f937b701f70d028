// tasks.config, tasks.queues and tasks.runtime against the shop app's real worker (events on, beat inside): the flawed
// deployment's problems named, the clean one not flagged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/result/model.js';
import { runTasksChecks } from '../helpers/celery-worker.js';
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
