// tasks.runtime: the application's tasks as the workers run them, from Celery events over a window: times, waits, outcomes.
import { sleep, waitFor } from '../../exec/timeout.js';
import type { Config } from '../../config/schema.js';
import { Trend } from '../../metrics/trend.js';
import { SkipCheck } from '../../util/errors.js';
import type { Check, CheckContext } from '../types.js';
import { celeryOf } from './common.js';
import { metric } from '../../metrics/declare.js';
import { unit } from '../../metrics/unit.js';
import { EventTally, type TaskTally } from './runtime-tally.js';

export const RUNTIME_METRICS = {
  runtime: metric.trend({ name: 'task_runtime', unit: unit.ms, meaning: 'duration', better: 'lower', description: 'Run time of each task execution in the window (task-succeeded runtime; task-started to task-failed)' }),
  wait: metric.trend({ name: 'task_queue_wait', unit: unit.ms, meaning: 'duration', better: 'lower', description: 'From task-sent (else task-received) to task-started; ETA/countdown deliveries excluded. Sender and worker clocks may differ' }),
  outcomes: metric.counter({ name: 'task_events', unit: unit.count('tasks'), meaning: 'count', better: 'none', description: 'Task outcomes in the window per task name: succeeded, failed, retried, revoked' }),
  throughput: metric.gauge({ name: 'task_throughput', unit: unit.perSecond('tasks'), meaning: 'throughput', better: 'none', description: 'Tasks finished (succeeded or failed) per second over the window' }),
  failures: metric.rate({ name: 'task_failure_share', meaning: 'share', better: 'lower', description: 'Failed of the tasks finished in the window' }),
  retries: metric.rate({ name: 'task_retry_share', meaning: 'share', better: 'lower', description: 'Executions that ended in a retry, of all executions finished in the window' }),
} as const;

/** How long to wait for a first event (workers with events on send a heartbeat every 2 s). */
const FIRST_EVENT_MS = 3000;
/** Task names listed in the findings and info, slowest and most failing first. */
const LISTED = 10;

function windowS(config: Config): number {
  return config.tasks.runtime_window_s ?? (config.mode === 'quick' ? 10 : 30);
}

/** Turns task events on when no worker sent one at first (and the config allows it), and off again afterwards. */
async function ensureEvents(ctx: CheckContext, tally: EventTally): Promise<void> {
  const heard = await waitFor(() => tally.workerTaskEvents > 0, Math.min(FIRST_EVENT_MS, windowS(ctx.config) * 1000), 'a first task event from a worker', 50).then(() => true, () => false);
  if (heard || ctx.signal.aborted) return;
  // Nothing to measure for the rest of the window unless stackprobe may turn task events on: skip now, with the reason.
  if (ctx.readOnly || !ctx.config.tasks.enable_events) throw new SkipCheck(silentReason(ctx, Math.min(FIRST_EVENT_MS / 1000, windowS(ctx.config)), tally));
  const celery = celeryOf(ctx);
  // Each worker says whether it turned task events on or had them on already: only the former are turned off again.
  const replies = await celery.control('enable_events', {}, { signal: ctx.signal });
  const turnedOn = replies.filter((r) => (r.reply as { ok?: unknown } | null)?.ok === 'task events enabled').map((r) => r.worker);
  if (turnedOn.length === 0) return;
  ctx.defer(() => celery.control('disable_events', {}, { destination: turnedOn, limit: turnedOn.length }));
  ctx.finding({ severity: 'info', title: `task events turned on for the window on ${turnedOn.length} worker(s) (enable_events), off again afterwards`, data: { workers: turnedOn } });
}

/** Why no task event came: idle workers, or task events off (and whether stackprobe may turn them on). */
function silentReason(ctx: CheckContext, seconds: number, tally: EventTally): string {
  const why = `no task event from a worker in ${Math.round(seconds)} s (${tally.workers.size} worker(s) heard by heartbeat): the workers are idle or send no task events (start them with -E, or set worker_send_task_events)`;
  if (ctx.readOnly) return `${why}; turning them on (enable_events) is a broadcast that writes to the broker and changes your workers, refused under --read-only`;
  if (!ctx.config.tasks.enable_events) return `${why}; set tasks.enable_events to turn them on for the window (a broadcast to your workers, turned off again afterwards)`;
  return why;
}

function p(t: Trend, q: number): number {
  return Math.round(t.percentile(q) * 10) / 10;
}

function record(ctx: CheckContext, tally: EventTally, seconds: number): Array<{ t: TaskTally; runtime: Trend; wait: Trend }> {
  const m = ctx.metrics;
  const rows = [];
  for (const t of tally.tasks.values()) {
    const tags = { task: t.name };
    const runtime = m.trend(RUNTIME_METRICS.runtime, tags);
    for (const v of t.runtimesMs) runtime.record(v);
    const wait = m.trend(RUNTIME_METRICS.wait, tags);
    for (const v of t.waitsMs) wait.record(v);
    for (const [outcome, n] of [['succeeded', t.succeeded], ['failed', t.failed], ['retried', t.retried], ['revoked', t.revoked]] as const) {
      m.counter(RUNTIME_METRICS.outcomes, { ...tags, outcome }).add(n);
    }
    m.gauge(RUNTIME_METRICS.throughput, tags).set(Math.round(((t.succeeded + t.failed) / seconds) * 100) / 100);
    const failures = m.rate(RUNTIME_METRICS.failures, tags);
    for (let i = 0; i < t.succeeded + t.failed; i++) failures.add(i < t.failed);
    const retries = m.rate(RUNTIME_METRICS.retries, tags);
    for (let i = 0; i < t.succeeded + t.failed + t.retried; i++) retries.add(i < t.retried);
    rows.push({ t, runtime, wait });
  }
  return rows;
}

export const runtimeCheck: Check = {
  id: 'tasks.runtime',
  category: 'tasks',
  title: 'Celery tasks as the workers run them (events): run time, queue wait, failures, retries, throughput per task',
  needs: ['celery'],
  typicalQuickMs: 10500, // the event window (10 s quick; 3 s when no worker sends task events)
  metrics: Object.values(RUNTIME_METRICS),
  thresholds: (config) => ({
    [RUNTIME_METRICS.failures.name]: [`rate<=${config.tasks.max_failure_rate}`],
    [RUNTIME_METRICS.retries.name]: [{ warn: `rate<=${config.tasks.max_retry_rate}` }],
  }),
  async run(ctx) {
    const celery = celeryOf(ctx);
    // On Redis events are a PSUBSCRIBE; on AMQP receiving them declares a queue of our own, which is a write.
    if (ctx.readOnly && celery.transport === 'amqp') throw new SkipCheck('--read-only: receiving Celery events over AMQP declares a queue of its own bound to the celeryev exchange (a write to the broker)');
    ctx.metrics.headline(RUNTIME_METRICS.runtime.name);
    const tally = new EventTally();
    const started = performance.now();
    const stream = await celery.events((e) => tally.add(e), { signal: ctx.signal });
    ctx.defer(() => stream.stop());
    await ensureEvents(ctx, tally);
    ctx.progress(`collecting Celery events for ${windowS(ctx.config)} s`);
    await sleep(started + windowS(ctx.config) * 1000 - performance.now(), ctx.signal);
    await stream.stop();
    const seconds = (performance.now() - started) / 1000;
    const rows = record(ctx, tally, seconds);
    ctx.info('events', { received: tally.events, workers: [...tally.workers], unattributed: tally.unattributed, window_s: Math.round(seconds * 10) / 10 });
    if (tally.workerTaskEvents === 0) throw new SkipCheck(silentReason(ctx, seconds, tally));
    if (rows.every((r) => r.t.succeeded + r.t.failed + r.t.retried === 0)) {
      ctx.finding({ severity: 'info', title: `no task finished in the ${Math.round(seconds)} s window`, detail: `${tally.events} events from ${tally.workers.size} worker(s); tasks received before the window are not attributed (${tally.unattributed}).` });
      return;
    }
    const slowest = rows.filter((r) => r.runtime.summary().count > 0).sort((a, b) => b.runtime.percentile(95) - a.runtime.percentile(95));
    ctx.info('slowest', slowest.slice(0, LISTED).map(({ t, runtime, wait }) => ({ task: t.name, p50_ms: p(runtime, 50), p95_ms: p(runtime, 95), p99_ms: p(runtime, 99), runs: runtime.summary().count, ...(wait.summary().count > 0 ? { wait_p50_ms: p(wait, 50), wait_p95_ms: p(wait, 95), wait_p99_ms: p(wait, 99) } : {}) })));
    if (slowest.length > 0) {
      ctx.finding({
        severity: 'info', title: `slowest tasks by p95: ${slowest.slice(0, 3).map(({ t, runtime }) => `${t.name} (${Math.round(runtime.percentile(95))} ms)`).join(', ')}`,
        subject: slowest[0]!.t.name,
      });
    }
    const failing = rows.filter((r) => r.t.failed + r.t.retried > 0).sort((a, b) => b.t.failed + b.t.retried - (a.t.failed + a.t.retried));
    ctx.info('failing', failing.slice(0, LISTED).map(({ t }) => ({ task: t.name, failed: t.failed, retried: t.retried, succeeded: t.succeeded, revoked: t.revoked })));
    for (const { t } of failing) judgeTask(ctx, t);
  },
};

function judgeTask(ctx: CheckContext, t: TaskTally): void {
  const finished = t.succeeded + t.failed;
  const executions = finished + t.retried;
  const { max_failure_rate: maxFail, max_retry_rate: maxRetry } = ctx.config.tasks;
  if (finished > 0 && t.failed / finished > maxFail) {
    ctx.finding({
      severity: 'error', subject: t.name, title: `${t.name}: ${t.failed} of ${finished} finished tasks failed (${Math.round((t.failed / finished) * 100)}%)`,
      detail: `Over the window; ${t.retried} retries on the way. tasks.max_failure_rate is ${maxFail}.`,
      recommendation: 'Read the workers\' logs or the result backend\'s tracebacks for this task; retry transient errors (autoretry_for) and fix the rest.',
    });
  }
  if (executions > 0 && t.retried / executions > maxRetry) {
    ctx.finding({
      severity: 'warn', subject: t.name, title: `${t.name}: ${t.retried} retries in ${executions} executions (${Math.round((t.retried / executions) * 100)}%)`,
      detail: `${t.succeeded} succeeded and ${t.failed} failed after their retries in the window. Each retry is a run that did no work and a message sent again; a flaky dependency behind this task shows here first.`,
      recommendation: 'Look at what this task calls (a third-party API, a lock): back off retries (retry_backoff), add a circuit breaker, or raise the dependency\'s timeout.',
    });
  }
}
