// The tasks category against a real Celery worker over RabbitMQ (AMQP), results in Redis: the same checks, a second transport.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tasksChecks } from '../../src/checks/tasks/index.js';
import { validateConfig } from '../../src/config/load.js';
import { waitFor } from '../../src/exec/timeout.js';
import type { CheckResult, RunResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { openCelery } from '../../src/targets/celery/open.js';
import { silentLogger } from '../../src/util/logger.js';
import { startCeleryWorker, TEST_AMQP_BROKER, type CeleryWorker } from '../helpers/celery-worker.js';

/** The checks that send probes; those that read the application's own queues, settings and events have tasks-app.test.ts. */
const PROBE_CHECKS = tasksChecks.filter((c) => !['tasks.config', 'tasks.queues', 'tasks.runtime'].includes(c.id));

let worker: CeleryWorker;
beforeAll(async () => {
  worker = await startCeleryWorker({ broker: TEST_AMQP_BROKER });
});
afterAll(async () => {
  await worker?.stop();
});

const check = (r: RunResult, id: string): CheckResult => r.checks.find((c) => c.id === id)!;
const metric = (c: CheckResult, name: string, tags: Record<string, string> = {}) =>
  c.metrics.find((m) => m.name === name && Object.entries(tags).every(([k, v]) => m.tags[k] === v));

describe('tasks over AMQP', () => {
  it('measures workers, round trip, throughput and errors against a 2-process worker', async () => {
    const result = await run({
      config: validateConfig({
        celery_broker_url: worker.broker, celery_result_backend: worker.backend,
        tasks: { queue: worker.queue, roundtrip_count: 10, burst: 200, rate: 50, duration_s: 2, failing_task: 'test.always_fails', retrying_task: 'test.retries_then_succeeds', error_count: 3 },
      }),
      checks: PROBE_CHECKS,
      signal: new AbortController().signal,
      log: silentLogger(),
    });
    // tasks.bullmq has its own test file; with no BullMQ queue configured it skips, and says why.
    expect(check(result, 'tasks.bullmq')).toMatchObject({ status: 'skip', reason: 'no BullMQ queue in config.tasks.bullmq.queue' });
    for (const c of result.checks.filter((x) => x.id !== 'tasks.bullmq')) expect(c.status, `${c.id}: ${c.reason ?? ''} ${JSON.stringify(c.findings)}`).toBe('pass');
    expect(check(result, 'tasks.workers').info.workers).toEqual([expect.objectContaining({ worker: worker.name, concurrency: 2, queues: [worker.queue] })]);
    expect(metric(check(result, 'tasks.roundtrip'), 'task_success')).toMatchObject({ hits: 10, total: 10 });
    const tp = check(result, 'tasks.throughput');
    expect(metric(tp, 'task_success')).toMatchObject({ hits: 300, total: 300 });
    const value = (name: string, tags: Record<string, string>) => (metric(tp, name, tags) as { value: number }).value;
    expect(value('task_keep_up', {})).toBeGreaterThan(0.95);
    console.log(`amqp: burst submission ${value('task_submit_rate', { phase: 'burst' })}/s, steady ${value('task_submit_rate', { phase: 'steady' })}/s, capacity ${value('task_capacity', {})}/s, keep-up ${value('task_keep_up', {})}`);
    expect(metric(check(result, 'tasks.errors'), 'task_retries', { kind: 'retrying' })).toMatchObject({ count: 6 });
    await waitFor(() => /Task celery\.accumulate\[[0-9a-f-]+\] succeeded in [\d.e-]+s: \(0,\)/.test(worker.log()), 5000, 'the probe in the worker log');
    // Nothing waits in the probe queue afterwards.
    const opened = await openCelery(validateConfig({ celery_broker_url: worker.broker }), silentLogger(), () => undefined);
    try {
      expect(await opened.target!.queueDepth(worker.queue)).toBe(0);
    } finally {
      await opened.target!.close();
    }
  });

  it('an unreachable AMQP broker is a clear, redacted failure', async () => {
    const opened = await openCelery(validateConfig({ celery_broker_url: 'amqp://guest:s3cret@127.0.0.1:1//', timeouts: { connect_ms: 1000 } }), silentLogger(), () => undefined);
    expect(opened).toMatchObject({ broken: true, reason: expect.stringMatching(/^Celery broker amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1\/\/ unreachable: .*ECONNREFUSED/) });
    expect(opened.reason).not.toContain('s3cret');
  });
});
