// tasks.throughput: a burst, then a fixed submission rate; completion rate, queue depth over time, backlog drain, outcomes.
import { setMaxListeners } from 'node:events';
import { runArrivalRate } from '../../exec/arrival-rate.js';
import { Recorder } from '../../exec/recorder.js';
import { sleep } from '../../exec/timeout.js';
import type { TaskOutcome } from '../../targets/celery/target.js';
import { describeError } from '../../util/errors.js';
import type { Check, CheckContext } from '../types.js';
import { celeryOf, cleanupTasks, preflightOk, probeArgs, viewWorkers } from './common.js';
import { reportThroughput, type Tally } from './throughput-report.js';
import { sendBurst } from './burst.js';

function plan(ctx: CheckContext) {
  const t = ctx.config.tasks;
  const full = ctx.mode === 'full';
  return { burst: t.burst ?? (full ? 1000 : 200), rate: t.rate, durationMs: (t.duration_s ?? (full ? 20 : 5)) * 1000, drainMs: t.drain_timeout_s * 1000 };
}

/** Samples the queue depth into a time series until stopped. */
function sampleDepth(ctx: CheckContext, queue: string, tally: Tally): () => Promise<void> {
  const series = ctx.metrics.timeSeries('queue_depth', { queue }, 'messages');
  const max = ctx.metrics.gauge('queue_depth_max', { queue }, 'messages');
  let stopped = false;
  const loop = (async () => {
    while (!stopped && !ctx.signal.aborted) {
      try {
        const depth = await celeryOf(ctx).queueDepth(queue);
        series.points.push([Math.round(ctx.elapsed() * 1000) / 1000, depth]);
        // A gauge reports its last value: only a new peak may move it, or queue_depth_max would show the last sample.
        if (max.samples === 0 || depth > max.value) max.set(depth);
        tally.lastDepth = depth;
        if (depth === 0 && tally.depthZeroAt === undefined && tally.sendEnd !== undefined) tally.depthZeroAt = performance.now();
      } catch (err) {
        tally.depthErrors++;
        ctx.log.warn({ err: String(err) }, 'queue depth sample failed');
      }
      await sleep(250, ctx.signal);
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
  title: 'Celery throughput: burst and steady rate, completion, backlog drain',
  needs: ['celery'],
  writes: true,
  thresholds: (config) => ({
    task_success: [`rate>${config.thresholds.task_success_rate}`],
    workers_alive: ['value>0'],
    workers_consuming_after: ['value>0'],
    tasks_unknown: ['count==0'],
  }),
  async run(ctx) {
    const celery = celeryOf(ctx);
    const { queue, task, kwargs } = ctx.config.tasks;
    const ids = cleanupTasks(ctx);
    if (!preflightOk(ctx, queue, await viewWorkers(ctx, queue, [task]), [task])) return;
    const p = plan(ctx);
    ctx.info('plan', { burst: p.burst, rate_per_s: p.rate, duration_s: p.durationMs / 1000, queue, task, transport: celery.transport });

    const tally: Tally = { resultErrors: [], burstDone: 0, sent: 0, byStatus: new Map(), retries: 0, lost: 0, depthErrors: 0, completedAt: [] };
    const submit = new Recorder({ registry: ctx.metrics, name: 'task_submit', elapsed: ctx.elapsed });
    const e2e = ctx.metrics.trend('task_e2e_duration');
    const watch = new AbortController();
    const watching = AbortSignal.any([ctx.signal, watch.signal]);
    setMaxListeners(0, watching); // one listener per task awaiting its result
    const pending: Array<Promise<void>> = [];
    const lifetimeMs = p.durationMs + p.drainMs + 60_000; // ended early by `watch` once the drain window closes

    const sendOne = async (i: number): Promise<void> => {
      const t0 = performance.now();
      tally.firstSend ??= t0;
      const id = await celery.send(task, probeArgs(ctx, i), { kwargs, queue, expiresInMs: lifetimeMs });
      ids.push(id);
      tally.sent++;
      if (celery.hasResultBackend) {
        pending.push(celery.result(id, lifetimeMs, { signal: watching }).then((o) => settle(tally, e2e, t0, o, i < p.burst), (err: unknown) => {
          tally.resultErrors.push(describeError(err));
          settle(tally, e2e, t0, null, false);
        }));
      }
    };

    const stopSampling = sampleDepth(ctx, queue, tally);
    try {
      ctx.progress(`burst of ${p.burst}`);
      submit.start();
      tally.burstMs = await sendBurst(p.burst, sendOne, submit, ctx.signal);
      tally.burstSent = tally.sent;
      ctx.progress(`${p.rate}/s for ${p.durationMs / 1000} s`);
      const steady = await runArrivalRate({
        rate: p.rate, durationMs: p.durationMs, maxVus: 32, signal: ctx.signal, timeoutMs: ctx.config.timeouts.operation_ms, recorder: submit,
        fn: (_vu, it) => sendOne(p.burst + it),
      });
      submit.stop();
      tally.steady = steady;
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
    reportThroughput(ctx, tally, e2e, after.consuming.length);
  },
};

function settle(tally: Tally, e2e: ReturnType<CheckContext['metrics']['trend']>, t0: number, o: TaskOutcome | null, burst: boolean): void {
  if (!o) {
    tally.lost++;
    return;
  }
  const now = performance.now();
  e2e.record(now - t0);
  tally.completedAt.push(now);
  if (burst) {
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
