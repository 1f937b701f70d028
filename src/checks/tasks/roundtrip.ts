// tasks.roundtrip: N probe tasks one at a time: submit latency, end-to-end latency, and the worker-clock split.
import { dateDoneMs } from '../../targets/celery/protocol.js';
import { sleep } from '../../exec/timeout.js';
import { describeError } from '../../util/errors.js';
import type { Check, CheckContext } from '../types.js';
import { celeryOf, cleanupTasks, preflightOk, probeArgs, resultTimeoutMs, viewWorkers, wrongEcho } from './common.js';
import { TASKS_UNKNOWN, TASK_DONE_DURATION, TASK_E2E_DURATION_ROUNDTRIP, TASK_FAILURES_ROUNDTRIP, TASK_PICKUP_DURATION, TASK_RESULT_DELIVERY_DURATION, TASK_SUBMIT_DURATION_ROUNDTRIP, TASK_SUBMIT_FAILURES, TASK_SUCCESS_ROUNDTRIP, TASK_TIMEOUTS_ROUNDTRIP, TASK_WRONG_RESULTS_ROUNDTRIP, WORKERS_ALIVE_COMMON, WORKERS_CONSUMING } from './metrics.js';

/** After this many probes in a row without a result, more would only repeat the same timeout. */
const GIVE_UP_AFTER = 3;

function count(ctx: CheckContext): number {
  return ctx.config.tasks.roundtrip_count ?? (ctx.mode === 'full' ? 100 : 20);
}

/** Without a result backend, the only observable moment is the worker taking the message off the queue. */
async function pickupOnly(ctx: CheckContext, n: number, ids: string[]): Promise<void> {
  const celery = celeryOf(ctx);
  const { queue, task, kwargs } = ctx.config.tasks;
  ctx.metrics.headline('task_pickup_duration');
  const pickup = ctx.metrics.trend(TASK_PICKUP_DURATION);
  ctx.finding({
    severity: 'info', title: 'no result backend: only the pickup time is measured',
    detail: 'Without CELERY_RESULT_BACKEND (Redis) stackprobe cannot see a task finish; it times how long the message waits until a worker takes it off the probe queue (meaningful on a dedicated queue).',
    recommendation: 'Set CELERY_RESULT_BACKEND to the Redis result backend your workers use to measure end-to-end latency and success.',
  });
  for (let i = 0; i < n && !ctx.signal.aborted; i++) {
    const t0 = performance.now();
    const id = await celery.newTaskId(ctx.signal);
    ids.push(id);
    await celery.send(task, probeArgs(ctx, i), { id, kwargs, queue, expiresInMs: resultTimeoutMs(ctx), signal: ctx.signal });
    const deadline = t0 + resultTimeoutMs(ctx);
    while ((await celery.queueDepth(queue, { signal: ctx.signal })) > 0 && performance.now() < deadline && !ctx.signal.aborted) await sleep(2, ctx.signal);
    if (performance.now() < deadline) pickup.record(performance.now() - t0);
  }
}

export const roundtripCheck: Check = {
  id: 'tasks.roundtrip',
  category: 'tasks',
  typicalQuickMs: 5000,
  title: 'Celery task round trip: submit, run, result',
  needs: ['celery'],
  metrics: [TASKS_UNKNOWN, WORKERS_ALIVE_COMMON, WORKERS_CONSUMING, TASK_DONE_DURATION, TASK_E2E_DURATION_ROUNDTRIP, TASK_FAILURES_ROUNDTRIP, TASK_PICKUP_DURATION, TASK_RESULT_DELIVERY_DURATION, TASK_SUBMIT_DURATION_ROUNDTRIP, TASK_SUBMIT_FAILURES, TASK_SUCCESS_ROUNDTRIP, TASK_TIMEOUTS_ROUNDTRIP, TASK_WRONG_RESULTS_ROUNDTRIP],
  writes: true,
  thresholds: (config) => ({
    task_success: [`rate>${config.thresholds.task_success_rate}`],
    workers_alive: ['value>0'],
    tasks_unknown: ['count==0'],
  }),
  async run(ctx) {
    const celery = celeryOf(ctx);
    const { queue, task, kwargs } = ctx.config.tasks;
    const ids = cleanupTasks(ctx);
    const view = await viewWorkers(ctx, queue, [task]);
    if (!preflightOk(ctx, queue, view, [task])) return;
    const n = count(ctx);
    ctx.info('probe', { task, queue, tasks: n, transport: celery.transport });
    if (!celery.hasResultBackend) return pickupOnly(ctx, n, ids);

    const m = ctx.metrics;
    m.headline('task_e2e_duration');
    const submit = ctx.metrics.trend(TASK_SUBMIT_DURATION_ROUNDTRIP);
    const e2e = ctx.metrics.trend(TASK_E2E_DURATION_ROUNDTRIP);
    const toDone = ctx.metrics.trend(TASK_DONE_DURATION, { clock: 'worker' });
    const delivery = ctx.metrics.trend(TASK_RESULT_DELIVERY_DURATION, { clock: 'worker' });
    const success = ctx.metrics.rate(TASK_SUCCESS_ROUNDTRIP);
    const timeouts = ctx.metrics.counter(TASK_TIMEOUTS_ROUNDTRIP);
    const failures = ctx.metrics.counter(TASK_FAILURES_ROUNDTRIP);
    const wrong = ctx.metrics.counter(TASK_WRONG_RESULTS_ROUNDTRIP);
    const sendFailures = ctx.metrics.counter(TASK_SUBMIT_FAILURES);
    let firstSendError: string | undefined;
    let missedInRow = 0;
    let i = 0;
    for (; i < n && !ctx.signal.aborted && missedInRow < GIVE_UP_AFTER; i++) {
      ctx.progress(`task ${i + 1}/${n}`);
      const args = probeArgs(ctx, i);
      const wall = new Date().getTime();
      const t0 = performance.now();
      const id = await celery.newTaskId(ctx.signal);
      ids.push(id);
      try {
        await celery.send(task, args, { id, kwargs, queue, expiresInMs: resultTimeoutMs(ctx), signal: ctx.signal });
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        // A probe that never reached the broker is a failed attempt, not a skipped one.
        firstSendError ??= describeError(err);
        sendFailures.add();
        success.add(false);
        missedInRow++;
        continue;
      }
      submit.record(performance.now() - t0);
      const outcome = await celery.result(id, resultTimeoutMs(ctx), { signal: ctx.signal });
      const t1 = performance.now();
      if (!outcome) {
        if (ctx.signal.aborted) break;
        missedInRow++;
        timeouts.add();
        success.add(false);
        continue;
      }
      missedInRow = 0;
      e2e.record(t1 - t0);
      // date_done is the worker's wall clock: split end-to-end into "until done" and "result delivery" when the clocks agree.
      const done = dateDoneMs(outcome.dateDone) - wall;
      if (done >= 0 && done <= t1 - t0) {
        toDone.record(done);
        delivery.record(t1 - t0 - done);
      }
      const ok = outcome.status === 'SUCCESS' && !wrongEcho(ctx, args, outcome.result);
      success.add(ok);
      if (outcome.status !== 'SUCCESS') failures.add();
      else if (!ok) wrong.add();
    }
    const gaveUp = missedInRow >= GIVE_UP_AFTER;
    // Probes not sent because the service kept failing are failures too: many good probes before a broker died must
    // not outvote it.
    if (gaveUp) for (; i < n; i++) success.add(false);
    reportRoundtrip(ctx, { timeouts: timeouts.count, failures: failures.count, wrong: wrong.count, gaveUp });
    if (sendFailures.count > 0) ctx.finding({ severity: 'error', subject: queue, title: `${sendFailures.count} probe(s) could not be published: ${firstSendError}`, recommendation: 'Check the broker (CELERY_BROKER_URL): its health, memory and connections.' });
    if (e2e.count > 0) ctx.rate('response_time_ms', 'task_e2e_duration', e2e.percentile(95));
  },
};

function reportRoundtrip(ctx: CheckContext, r: { timeouts: number; failures: number; wrong: number; gaveUp: boolean }): void {
  const { task, queue } = ctx.config.tasks;
  if (r.timeouts > 0) {
    ctx.finding({
      severity: 'error', subject: task, title: `${r.timeouts} task(s) got no result within ${resultTimeoutMs(ctx)} ms${r.gaveUp ? `; stopped after ${GIVE_UP_AFTER} in a row` : ''}`,
      detail: `Tasks "${task}" on queue "${queue}" were sent but no final state reached the result backend. Either no worker took them (stopped or busy workers), the worker does not know the task ("Received unregistered task" in its log), the task ignores its result, or the workers write results to another backend.`,
      recommendation: 'Check that a worker consumes the queue and that it uses the same result backend as CELERY_RESULT_BACKEND; raise config.tasks.result_timeout_ms for slow tasks.',
    });
  }
  if (r.failures > 0) ctx.finding({ severity: 'error', subject: task, title: `${r.failures} probe task(s) ended in FAILURE`, recommendation: 'See the worker log for the traceback; check config.tasks.args.' });
  if (r.wrong > 0) ctx.finding({ severity: 'error', subject: task, title: `${r.wrong} probe task(s) returned a different value than sent`, detail: 'celery.accumulate echoes its arguments; another value means the result belongs to another task or the serializer changes data.' });
}
