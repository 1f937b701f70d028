// tasks.bullmq, throughput: a burst, then a fixed rate of probe jobs; completions seen through QueueEvents, queue depth sampled, backlog drained.
import { setMaxListeners } from 'node:events';
import { isDeepStrictEqual } from 'node:util';
import { runArrivalRate } from '../../exec/arrival-rate.js';
import { operationMetrics, Recorder } from '../../exec/recorder.js';
import { sleep } from '../../exec/timeout.js';
import { describeError } from '../../util/errors.js';
import { redactText } from '../../util/redact.js';
import type { CheckContext } from '../types.js';
import type { Outcome } from './bullmq-completions.js';
import type { Lane } from './bullmq-lane.js';
import { reportThroughput, type Tally } from './bullmq-report.js';
import { sendBurst } from './burst.js';
import { JOBS_ACTIVE_SERIES, QUEUE_DEPTH_MAX, QUEUE_DEPTH_SERIES, TASK_E2E_DURATION } from './metrics.js';

const SAMPLE_MS = 250;

function plan(ctx: CheckContext) {
  const b = ctx.config.tasks.bullmq;
  const full = ctx.mode === 'full';
  return { burst: b.burst ?? (full ? 1000 : 200), rate: b.rate, durationMs: (b.duration_s ?? (full ? 20 : 5)) * 1000, drainMs: b.drain_timeout_s * 1000 };
}

/** Samples waiting and active job counts into time series until stopped. */
function sampleDepth(ctx: CheckContext, lane: Lane, tally: Tally): () => Promise<void> {
  const tags = { probe: lane.kind };
  const depth = ctx.metrics.timeSeries(QUEUE_DEPTH_SERIES, tags);
  const active = ctx.metrics.timeSeries(JOBS_ACTIVE_SERIES, tags);
  const max = ctx.metrics.gauge(QUEUE_DEPTH_MAX, tags);
  let stopped = false;
  const loop = (async () => {
    while (!stopped && !ctx.signal.aborted) {
      try {
        const c = await lane.counts();
        const x = Math.round(ctx.elapsed() * 1000) / 1000;
        depth.points.push([x, c.waiting]);
        active.points.push([x, c.active]);
        if (c.waiting > max.value || max.samples === 0) max.set(c.waiting); // the value reported is the peak, not the last sample
        tally.lastDepth = c.waiting;
      } catch (err) {
        ctx.log.warn({ err: redactText(describeError(err)) }, 'BullMQ job counts failed');
      }
      await sleep(SAMPLE_MS, ctx.signal);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

function newTally(): Tally {
  return { sent: 0, burstDone: 0, completed: 0, failed: 0, wrong: 0, lost: 0, reasons: new Set(), perSecond: new Map(), addErrors: 0 };
}

/** Adding one job; a part of the job's time, not its latency. */
export const JOB_SUBMIT = operationMetrics('task_submit', { meaning: 'duration', noun: 'jobs', description: 'Adding one job' });

export async function runThroughput(ctx: CheckContext, lane: Lane): Promise<void> {
  const p = plan(ctx);
  const probe = lane.kind;
  ctx.info(`plan_${probe}`, { queue: lane.queueName, burst: p.burst, rate_per_s: p.rate, duration_s: p.durationMs / 1000 });
  const tally = newTally();
  const submit = new Recorder({ registry: ctx.metrics, metrics: JOB_SUBMIT, tags: { probe, phase: 'throughput' }, elapsed: ctx.elapsed });
  const e2e = ctx.metrics.trend(TASK_E2E_DURATION, { probe, phase: 'throughput' });
  const watch = new AbortController();
  const watching = AbortSignal.any([ctx.signal, watch.signal]);
  setMaxListeners(0, watching); // one listener per job awaiting its outcome
  const pending: Array<Promise<void>> = [];
  const lifetimeMs = p.durationMs + p.drainMs + 60_000; // ended early by `watch` once the drain window closes
  const toElapsed = ctx.elapsed() - performance.now() / 1000; // elapsed seconds = performance.now()/1000 + toElapsed

  const settle = (i: number, t0: number, o: Outcome | null): void => {
    if (!o) return void tally.lost++;
    e2e.record(o.at - t0);
    tally.lastDone = Math.max(tally.lastDone ?? 0, o.at);
    const second = Math.floor(o.at / 1000 + toElapsed);
    tally.perSecond.set(second, (tally.perSecond.get(second) ?? 0) + 1);
    if (i < p.burst) {
      tally.burstDone++;
      tally.lastBurstDone = Math.max(tally.lastBurstDone ?? 0, o.at);
    }
    if (o.status === 'failed') {
      tally.failed++;
      if (tally.reasons.size < 3) tally.reasons.add(redactText(o.failedReason ?? 'no reason given'));
    } else if (lane.kind === 'self_test' && !isDeepStrictEqual(o.returnvalue, lane.data(i))) tally.wrong++;
    else tally.completed++;
  };
  const addOne = async (i: number): Promise<void> => {
    const t0 = performance.now();
    tally.firstSend ??= t0;
    const id = await lane.add(i);
    tally.sent++;
    pending.push(lane.completions.wait(id, lifetimeMs, watching).then((o) => settle(i, t0, o)));
  };

  const stopSampling = sampleDepth(ctx, lane, tally);
  try {
    ctx.progress(`${lane.queueName}: burst of ${p.burst}`);
    submit.start();
    tally.burstMs = await sendBurst(p.burst, addOne, submit, ctx.signal);
    tally.burstSent = tally.sent;
    ctx.progress(`${lane.queueName}: ${p.rate}/s for ${p.durationMs / 1000} s`);
    tally.steady = await runArrivalRate({
      rate: p.rate, durationMs: p.durationMs, maxVus: 32, signal: ctx.signal, timeoutMs: ctx.config.timeouts.operation_ms, recorder: submit,
      fn: (_vu, it) => addOne(p.burst + it),
    });
    submit.stop();
    tally.sendEnd = performance.now();
    ctx.progress(`${lane.queueName}: draining the backlog`);
    await Promise.race([Promise.all(pending), sleep(p.drainMs, ctx.signal)]);
  } finally {
    submit.stop(); // again on an error or Ctrl-C: a second stop adds nothing
    watch.abort();
    await Promise.all(pending);
    await stopSampling();
  }
  tally.addErrors = submit.errors.hits;
  reportThroughput(ctx, lane, tally, e2e, await lane.workers());
}
