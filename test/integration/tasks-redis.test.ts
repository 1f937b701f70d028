// The tasks category against a real Celery worker (Debian's python3-celery) over Redis: results, errors, cleanup, a stopped worker.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tasksChecks } from '../../src/checks/tasks/index.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { CheckResult, RunResult } from '../../src/result/model.js';
import { waitFor } from '../../src/exec/timeout.js';
import { run } from '../../src/run/runner.js';
import { openCelery } from '../../src/targets/celery/open.js';
import { silentLogger } from '../../src/util/logger.js';
import { startCeleryWorker, TEST_BACKEND, TEST_REDIS_BROKER, uniqueQueue, type CeleryWorker } from '../helpers/celery-worker.js';

/** The checks that send probes; those that read the application's own queues, settings and events have tasks-app.test.ts. */
const PROBE_CHECKS = tasksChecks.filter((c) => !['tasks.config', 'tasks.queues', 'tasks.runtime'].includes(c.id));

let worker: CeleryWorker;
let redis: Redis;
/**
 * Results in a database of this file's own: it counts result keys before and after a run, and other files' runs on the
 * shared test broker write and delete theirs meanwhile.
 */
const OWN_BACKEND = process.env.STACKPROBE_TEST_CELERY_OWN_BACKEND ?? 'redis://127.0.0.1:6379/8';
let backend: Redis;
beforeAll(async () => {
  redis = new Redis(TEST_REDIS_BROKER);
  backend = new Redis(OWN_BACKEND);
  worker = await startCeleryWorker({ backend: OWN_BACKEND });
});
afterAll(async () => {
  await worker?.stop();
  redis?.disconnect();
  backend?.disconnect();
});

function runTasks(tasks: ConfigInput['tasks'], extra: Partial<ConfigInput> = {}, only?: string[]): Promise<RunResult> {
  return run({
    config: validateConfig({ celery_broker_url: worker.broker, celery_result_backend: worker.backend, tasks: { queue: worker.queue, ...tasks }, ...extra }),
    checks: only ? tasksChecks.filter((c) => only.includes(c.id)) : PROBE_CHECKS,
    signal: new AbortController().signal,
    log: silentLogger(),
  });
}

const check = (r: RunResult, id: string): CheckResult => r.checks.find((c) => c.id === id)!;
const metric = (c: CheckResult, name: string, tags: Record<string, string> = {}) =>
  c.metrics.find((m) => m.name === name && Object.entries(tags).every(([k, v]) => m.tags[k] === v));
const bindings = () => redis.smembers('_kombu.binding.reply.celery.pidbox');

describe('tasks over Redis', () => {
  it('measures workers, round trip, throughput and errors against a 2-process worker, and leaves nothing behind', async () => {
    const metaBefore = (await backend.keys('celery-task-meta-*')).length;
    const runStart = new Date().getTime();
    const result = await runTasks({ roundtrip_count: 10, burst: 200, rate: 50, duration_s: 2, failing_task: 'test.always_fails', failing_task_error: 'ValueError: planted', retrying_task: 'test.retries_then_succeeds', error_count: 3 });
    // tasks.bullmq has its own test file; with no BullMQ queue configured it skips, and says why.
    expect(check(result, 'tasks.bullmq')).toMatchObject({ status: 'skip', reason: 'no BullMQ queue in config.tasks.bullmq.queue' });
    for (const c of result.checks.filter((x) => x.id !== 'tasks.bullmq')) expect(c.status, `${c.id}: ${c.reason ?? ''} ${JSON.stringify(c.findings)}`).toBe('pass');

    const workers = check(result, 'tasks.workers');
    expect(workers.info.workers).toEqual([expect.objectContaining({ worker: worker.name, concurrency: 2, queues: [worker.queue] })]);

    const rt = check(result, 'tasks.roundtrip');
    expect(metric(rt, 'task_success')).toMatchObject({ hits: 10, total: 10 });
    expect(metric(rt, 'task_e2e_duration')).toMatchObject({ summary: { count: 10 } });
    expect(metric(rt, 'task_done_duration', { clock: 'worker' })).toBeDefined();

    const tp = check(result, 'tasks.throughput');
    const sent = 200 + 100;
    expect(metric(tp, 'task_success')).toMatchObject({ hits: sent, total: sent });
    const value = (name: string, tags: Record<string, string> = {}) => (metric(tp, name, tags) as { value: number }).value;
    expect(value('task_capacity')).toBeGreaterThan(5);
    expect(value('task_submit_rate', { phase: 'burst' })).toBeGreaterThan(0);
    // A healthy worker keeps up: the backlog does not grow while 50/s are offered.
    expect(value('task_offered_rate', { phase: 'steady' })).toBeCloseTo(50, -1);
    expect(value('task_keep_up')).toBeGreaterThan(0.95);
    expect(tp.thresholds.map((t) => t.metric)).toEqual(expect.arrayContaining(['task_keep_up', 'task_submit_errors', 'task_e2e_duration{phase:steady}', 'task_success']));
    console.log(`redis: burst submission ${value('task_submit_rate', { phase: 'burst' })}/s, steady offered ${value('task_offered_rate', { phase: 'steady' })}/s, capacity ${value('task_capacity')}/s, keep-up ${value('task_keep_up')}, drain ${value('backlog_drain_duration')} ms`);
    expect(tp.timeSeries.find((s) => s.name === 'queue_depth')!.points.length).toBeGreaterThan(3);

    const errors = check(result, 'tasks.errors');
    expect(metric(errors, 'task_failures', { kind: 'failing' })).toMatchObject({ count: 3 });
    expect(metric(errors, 'task_retries', { kind: 'retrying' })).toMatchObject({ count: 6 });
    expect(metric(errors, 'task_lost', { kind: 'retrying' })).toMatchObject({ count: 0 });
    expect(metric(errors, 'task_expected_outcome', { kind: 'failing' })).toMatchObject({ hits: 3, total: 3 });
    expect(metric(errors, 'task_expected_outcome', { kind: 'retrying' })).toMatchObject({ hits: 3, total: 3 });

    // The worker's own log shows the probes ran.
    expect(worker.log()).toMatch(/Task celery\.accumulate\[[0-9a-f-]+\] succeeded in [\d.e-]+s: \(0,\)/);
    // The worker logs a failure after it stored the result: wait for the line rather than read once.
    await waitFor(() => /Task test\.always_fails\[[0-9a-f-]+\] raised unexpected/.test(worker.log()), 5000, 'the failure in the worker log');
    // Nothing left: result keys deleted, probe queue empty, no reply queue bindings.
    expect((await backend.keys('celery-task-meta-*')).length).toBe(metaBefore);
    expect(await redis.llen(worker.queue)).toBe(0);
    // The run's reply bindings and queues: stackprobe's keys (they name their broadcast's end) of broadcasts that ended
    // while it ran. Other tests share this broker and may be mid-broadcast in that window: theirs live one control
    // timeout, so whatever is there now must go within a few; one of this run's, leaked, never would. A binding some
    // other client left (a bare uuid) is not this run's.
    const during = (text: string) => {
      const end = Number(/stackprobe-reply-(\d+)-/.exec(text)?.[1]);
      return end >= runStart && end <= new Date().getTime() + 1000;
    };
    const replyLeftovers = async () => [...(await bindings()), ...(await redis.keys('*.reply.celery.pidbox'))].filter(during);
    const seen = await replyLeftovers();
    await waitFor(async () => {
      const now = new Set(await replyLeftovers());
      return seen.every((x) => !now.has(x));
    }, 15_000, `reply bindings and queues to go: ${seen.join(', ')}`);
    // The run's list of task ids and its lease go with a clean end (they exist only for a killed run's reaping).
    expect(await backend.keys('stackprobe:celery:*')).toEqual([]);
  });

  it('says so when no worker knows the task, without waiting for a result', async () => {
    const t0 = performance.now();
    const result = await runTasks({ task: 'no.such_task' }, {}, ['tasks.roundtrip']);
    const rt = check(result, 'tasks.roundtrip');
    expect(rt.status).toBe('fail');
    expect(rt.findings.map((f) => f.title)).toContain(`no worker on queue "${worker.queue}" knows task "no.such_task"`);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('skips errors without configured tasks and reports a queue nobody consumes', async () => {
    const result = await runTasks({ queue: uniqueQueue() }, {}, ['tasks.workers', 'tasks.roundtrip', 'tasks.errors']);
    expect(check(result, 'tasks.errors')).toMatchObject({ status: 'skip', reason: expect.stringMatching(/no failing or retrying task configured/) });
    expect(check(result, 'tasks.workers').status).toBe('warn');
    expect(check(result, 'tasks.roundtrip').status).toBe('fail');
    expect(check(result, 'tasks.roundtrip').findings[0]!.title).toMatch(/no live worker consumes queue/);
  });

  it('without a result backend measures pickup and consumption and says what it cannot measure', async () => {
    const metaBefore = (await backend.keys('celery-task-meta-*')).length;
    const result = await run({
      config: validateConfig({ celery_broker_url: worker.broker, tasks: { queue: worker.queue, roundtrip_count: 5, burst: 50, rate: 20, duration_s: 1 } }),
      checks: tasksChecks.filter((c) => ['tasks.roundtrip', 'tasks.throughput', 'tasks.errors'].includes(c.id)),
      signal: new AbortController().signal,
      log: silentLogger(),
    });
    const rt = check(result, 'tasks.roundtrip');
    expect(metric(rt, 'task_pickup_duration')).toMatchObject({ summary: { count: 5 } });
    expect(rt.findings[0]!.title).toMatch(/no result backend/);
    const tp = check(result, 'tasks.throughput');
    expect(metric(tp, 'task_consumption_rate')).toBeDefined();
    expect(tp.findings.map((f) => f.title).join('\n')).toMatch(/completion and success cannot be measured/);
    expect(check(result, 'tasks.errors').status).toBe('skip');
    // Results stackprobe cannot read it cannot delete either: the probes ask the worker not to store them.
    await waitFor(() => /Task celery\.accumulate\[[0-9a-f-]+\] succeeded in [\d.e-]+s: \(69,\)/.test(worker.log()), 10_000, 'the last probe in the worker log');
    expect((await backend.keys('celery-task-meta-*')).length).toBe(metaBefore);
  });

  it('an unreachable broker is a clear, redacted failure', async () => {
    const opened = await openCelery(validateConfig({ celery_broker_url: 'redis://:hunter2@127.0.0.1:1/0', timeouts: { connect_ms: 1000 } }), silentLogger(), () => undefined);
    expect(opened).toMatchObject({ broken: true, reason: expect.stringMatching(/^Celery broker redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0 unreachable: .*ECONNREFUSED/) });
    expect(opened.reason).not.toContain('hunter2');
    expect(await openCelery(validateConfig({}), silentLogger(), () => undefined)).toEqual({ reason: 'CELERY_BROKER_URL not set' });
    // A database the server refuses fails the target: ioredis alone would stay on db 0 and send tasks there.
    const refused = await openCelery(validateConfig({ celery_broker_url: 'redis://127.0.0.1:6379/99', timeouts: { connect_ms: 1000 } }), silentLogger(), () => undefined);
    expect(refused).toMatchObject({ broken: true, reason: expect.stringMatching(/DB index is out of range/) });
  });
});

describe('a worker that stops mid-run', () => {
  it('reports tasks not completed and no live workers, and ends within its drain window', async () => {
    const doomed = await startCeleryWorker({ backend: TEST_BACKEND });
    try {
      const t0 = performance.now();
      // Stop the worker once it has really started on the burst (not at a fixed time: on a busy machine the check's own
      // pre-flight can take longer than any fixed delay, and then nothing would be sent at all).
      const stopping = waitFor(() => (doomed.log().match(/succeeded in/g) ?? []).length >= 10, 30_000, 'the worker to finish 10 probes').then(() => doomed.stop(3000));
      const result = await run({
        config: validateConfig({ celery_broker_url: doomed.broker, celery_result_backend: doomed.backend, tasks: { queue: doomed.queue, task: 'test.sleep', args: [0.05], burst: 150, rate: 20, duration_s: 2, drain_timeout_s: 4 } }),
        checks: tasksChecks.filter((c) => c.id === 'tasks.throughput'),
        signal: new AbortController().signal,
        log: silentLogger(),
      });
      await stopping;
      const tp = check(result, 'tasks.throughput');
      expect(tp.status).toBe('fail');
      expect(tp.reason, tp.reason).toBeUndefined();
      expect((metric(tp, 'task_lost') as { count: number }).count).toBeGreaterThan(0);
      expect(metric(tp, 'workers_consuming_after')).toMatchObject({ value: 0 });
      expect(tp.findings.map((f) => f.title).join('\n')).toMatch(/tasks did not complete within the 4 s drain window/);
      expect(tp.findings.find((f) => /did not complete/.test(f.title))!.detail).toMatch(/No live worker consumed .* after the run/);
      expect(performance.now() - t0).toBeLessThan(30_000);
      // The probes nobody took were taken back from the queue.
      expect(await redis.llen(doomed.queue)).toBe(0);
    } finally {
      await doomed.stop();
    }
  });
});
