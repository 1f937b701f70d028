// tasks.throughput: a burst, then a fixed offered rate; judged on whether the workers keep up (backlog trend against the
// offered rate), submit errors, end-to-end p95 of the steady phase and success over every attempt.
import { setMaxListeners } from 'node:events';
import { runArrivalRate } from '../../exec/arrival-rate.js';
import { operationMetrics, Recorder } from '../../exec/recorder.js';
import { sleep } from '../../exec/timeout.js';
import type { Config } from '../../config/schema.js';
import type { TaskOutcome } from '../../targets/celery/target.js';
import { describeError } from '../../util/errors.js';
import type { Check, CheckContext } from '../types.js';
import { sendBurst } from './burst.js';
import { celeryOf, cleanupTasks, preflightOk, probeArgs, viewWorkers } from './common.js';
import { describeThroughputMetrics, reportThroughput, type Tally } from './throughput-report.js';
import { BACKLOG_DRAIN_DURATION, QUEUE_DEPTH_MAX_THROUGHPUT, QUEUE_DEPTH_SERIES_THROUGHPUT, TASKS_UNKNOWN, TASK_BACKLOG_GROWTH, TASK_CAPACITY, TASK_COMPLETION_RATE_THROUGHPUT, TASK_CONSUMPTION_RATE, TASK_DROPPED, TASK_E2E_DURATION_THROUGHPUT, TASK_KEEP_UP, TASK_LOST_THROUGHPUT, TASK_OFFERED_RATE, TASK_OUTCOMES_THROUGHPUT, TASK_OUTSTANDING_SERIES, TASK_RETRIES, TASK_SUBMIT_RATE_THROUGHPUT, TASK_SUCCESS_THROUGHPUT, WORKERS_ALIVE_COMMON, WORKERS_CONSUMING, WORKERS_CONSUMING_AFTER } from './metrics.js';
import { throughputHeadline } from './headline.js';

function plan(ctx: CheckContext) {
  const t = ctx.config.tasks;
  const full = ctx.mode === 'full';
  return { burst: t.burst ?? (full ? 1000 : 200), rate: t.rate, durationMs: (t.duration_s ?? (full ? 20 : 5)) * 1000, drainMs: t.drain_timeout_s * 1000 };
}

/** Publishing one task (steady phase: from its intended start); a part of the task's time, not its latency. */
const TASK_SUBMIT = operationMetrics('task_submit', {
  meaning: 'duration', noun: 'tasks', description: 'Publishing one task (steady phase: from its intended start)',
  errors: 'Publishes that failed or timed out, over publishes started',
});

/** Only a Redis result backend is readable: without one, success and end-to-end time cannot be judged. */
export function readableBackend(config: Config): boolean {
  return /^rediss?:/.test(config.celery_result_backend ?? '');
}

const SAMPLE_MS = 250;

/** Samples the queue depth (and, with a result backend, the tasks sent and not finished) until stopped. */
function sampleBacklog(ctx: CheckContext, queue: string, tally: Tally): () => Promise<void> {
  const series = ctx.metrics.timeSeries(QUEUE_DEPTH_SERIES_THROUGHPUT, { queue });
  const outstandingSeries = ctx.metrics.timeSeries(TASK_OUTSTANDING_SERIES, { queue });
  const max = ctx.metrics.gauge(QUEUE_DEPTH_MAX_THROUGHPUT, { queue });
  const withBackend = celeryOf(ctx).hasResultBackend;
  let stopped = false;
  const loop = (async () => {
    while (!stopped && !ctx.signal.aborted) {
      try {
        const depth = await celeryOf(ctx).queueDepth(queue, { signal: ctx.signal });
        const t = performance.now();
        const x = Math.round(ctx.elapsed() * 1000) / 1000;
        series.points.push([x, depth]);
        const outstanding = withBackend ? tally.sent - tally.finished : undefined;
        if (outstanding !== undefined) outstandingSeries.points.push([x, outstanding]);
        tally.samples.push({ t, depth, ...(outstanding !== undefined ? { outstanding } : {}) });
        // A gauge reports its last value: only a new peak may move it, or queue_depth_max would show the last sample.
        if (max.samples === 0 || depth > max.value) max.set(depth);
        tally.lastDepth = depth;
        if (depth === 0 && tally.depthZeroAt === undefined && tally.sendEnd !== undefined) tally.depthZeroAt = t;
      } catch (err) {
        if (ctx.signal.aborted) break;
        tally.depthErrors++;
        tally.depthError ??= describeError(err);
      }
      await sleep(SAMPLE_MS, ctx.signal);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

export const throughputCheck: Check = {
  id: 'tasks.throughput',
  category: 'tasks',
  typicalQuickMs: 8000,
  headline: throughputHeadline,
  title: 'Celery throughput: do the workers keep up with the offered rate?',
  needs: ['celery'],
  metrics: [TASKS_UNKNOWN, WORKERS_ALIVE_COMMON, WORKERS_CONSUMING, BACKLOG_DRAIN_DURATION, TASK_BACKLOG_GROWTH, TASK_CAPACITY, TASK_COMPLETION_RATE_THROUGHPUT, TASK_CONSUMPTION_RATE, TASK_DROPPED, TASK_KEEP_UP, TASK_LOST_THROUGHPUT, TASK_OFFERED_RATE, TASK_OUTCOMES_THROUGHPUT, TASK_RETRIES, TASK_SUBMIT_RATE_THROUGHPUT, TASK_SUCCESS_THROUGHPUT, WORKERS_CONSUMING_AFTER, QUEUE_DEPTH_MAX_THROUGHPUT, TASK_E2E_DURATION_THROUGHPUT, ...TASK_SUBMIT.all],
  writes: true,
  thresholds: (config) => ({
    ...(readableBackend(config)
      ? {
          task_success: [`rate>${config.thresholds.task_success_rate}`],
          'task_e2e_duration{phase:steady}': [`p(95)<${config.tasks.e2e_p95_ms}`],
        }
      : {}),
    task_submit_errors: [`rate<=${config.tasks.max_submit_error_rate}`],
    task_keep_up: [{ fail: `value>=${config.tasks.min_keep_up}`, warn: `value>=${config.tasks.warn_keep_up}` }],
    workers_alive: ['value>0'],
    workers_consuming_after: ['value>0'],
    tasks_unknown: ['count==0'],
  }),
  async run(ctx) {
    const celery = celeryOf(ctx);
    const { queue, task, kwargs } = ctx.config.tasks;
    describeThroughputMetrics(ctx);
    const ids = cleanupTasks(ctx);
    if (!preflightOk(ctx, queue, await viewWorkers(ctx, queue, [task]), [task])) return;
    const p = plan(ctx);
    ctx.info('plan', { burst: p.burst, rate_per_s: p.rate, duration_s: p.durationMs / 1000, queue, task, transport: celery.transport });

    const tally: Tally = {
      attempts: { burst: 0, steady: 0 }, dropped: 0, sent: 0, finished: 0, resultErrors: [], burstDone: 0, byStatus: new Map(),
      retries: 0, lost: 0, depthErrors: 0, completions: [], samples: [],
    };
    const submit = new Recorder({ registry: ctx.metrics, metrics: TASK_SUBMIT, elapsed: ctx.elapsed });
    const e2e = { burst: ctx.metrics.trend(TASK_E2E_DURATION_THROUGHPUT, { phase: 'burst' }), steady: ctx.metrics.trend(TASK_E2E_DURATION_THROUGHPUT, { phase: 'steady' }) };
    const watch = new AbortController();
    const watching = AbortSignal.any([ctx.signal, watch.signal]);
    setMaxListeners(0, watching); // one listener per task awaiting its result
    // Publishes in flight (a burst, or up to maxVus at the steady rate against a slow broker) each listen on it until done.
    const sending = AbortSignal.any([ctx.signal]);
    setMaxListeners(0, sending);
    const pending: Array<Promise<void>> = [];
    const lifetimeMs = p.durationMs + p.drainMs + 60_000; // ended early by `watch` once the drain window closes

    /** `t0` is when the task was meant to be sent: a late send counts against its end-to-end time. */
    const sendOne = async (phase: 'burst' | 'steady', n: number, t0: number): Promise<void> => {
      tally.attempts[phase]++;
      const id = await celery.newTaskId(sending);
      ids.push(id);
      await celery.send(task, probeArgs(ctx, n), { id, kwargs, queue, expiresInMs: lifetimeMs, signal: sending });
      tally.sent++;
      if (!celery.hasResultBackend) return;
      pending.push(celery.result(id, lifetimeMs, { signal: watching }).then(
        (o) => settle(tally, e2e[phase], t0, o, phase),
        (err: unknown) => {
          tally.finished++;
          if (tally.resultErrors.length < 5) tally.resultErrors.push(describeError(err));
        },
      ));
    };

    const stopSampling = sampleBacklog(ctx, queue, tally);
    try {
      ctx.progress(`burst of ${p.burst}`);
      submit.start();
      tally.firstSend = performance.now();
      tally.burstMs = await sendBurst(p.burst, (i) => sendOne('burst', i, tally.firstSend!), submit, ctx.signal);
      tally.burstSent = tally.sent;
      ctx.progress(`${p.rate}/s for ${p.durationMs / 1000} s`);
      // runArrivalRate schedules iteration k at start + k/rate, and starts them in that order.
      const steadyStart = performance.now();
      tally.steadyStart = steadyStart;
      tally.scheduleMs = p.durationMs;
      const steady = await runArrivalRate({
        rate: p.rate, durationMs: p.durationMs, maxVus: 32, signal: ctx.signal, timeoutMs: ctx.config.timeouts.operation_ms, recorder: submit,
        fn: (_vu, it) => sendOne('steady', p.burst + it, steadyStart + (it * 1000) / p.rate),
      });
      submit.stop();
      tally.steady = steady;
      tally.dropped = steady.dropped;
      tally.sendEnd = performance.now();
      ctx.progress('draining the backlog');
      await drain(ctx, tally, pending, p.drainMs);
    } finally {
      watch.abort();
      await Promise.all(pending);
      await stopSampling();
    }
    // Workers on the probe queue afterwards: a worker that died mid-run is told apart from a slow one.
    const after = await viewWorkers(ctx, queue);
    await reportThroughput(ctx, tally, e2e, after.consuming);
  },
};

function settle(tally: Tally, e2e: ReturnType<CheckContext['metrics']['trend']>, t0: number, o: TaskOutcome | null, phase: 'burst' | 'steady'): void {
  tally.finished++;
  if (!o) {
    tally.lost++;
    return;
  }
  const now = performance.now();
  e2e.record(now - t0);
  tally.completions.push(now);
  if (phase === 'burst') {
    tally.burstDone++;
    tally.lastBurstDone = now;
  }
  tally.retries += o.retries;
  tally.byStatus.set(o.status, (tally.byStatus.get(o.status) ?? 0) + 1);
}

/** Waits for every result (or, without a backend, for the queue to empty), bounded by the drain window. */
async function drain(ctx: CheckContext, tally: Tally, pending: Array<Promise<void>>, drainMs: number): Promise<void> {
  const deadline = performance.now() + drainMs;
  if (celeryOf(ctx).hasResultBackend) {
    const all = Promise.all(pending);
    await Promise.race([all, sleep(drainMs, ctx.signal)]);
    return;
  }
  while (tally.depthZeroAt === undefined && performance.now() < deadline && !ctx.signal.aborted) await sleep(100, ctx.signal);
}
