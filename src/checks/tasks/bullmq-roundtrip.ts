// tasks.bullmq, round trip: probe jobs one at a time: add latency, queue wait and run time from BullMQ's timestamps, end to end.
import { isDeepStrictEqual } from 'node:util';
import { redactText } from '../../util/redact.js';
import type { CheckContext } from '../types.js';
import type { Lane } from './bullmq-lane.js';
import { JOB_SUBMIT } from './bullmq-throughput.js';
import { TASK_E2E_DURATION, TASK_FAILURES, TASK_QUEUE_WAIT_DURATION, TASK_RUN_DURATION, TASK_SUCCESS, TASK_TIMEOUTS, TASK_WRONG_RESULTS } from './metrics.js';

/** After this many jobs in a row without an outcome, more would only repeat the same timeout. */
export const GIVE_UP_AFTER = 3;

export interface RoundtripSummary {
  sent: number;
  completed: number;
  timeouts: number;
  failures: number;
  gaveUp: boolean;
}

function count(ctx: CheckContext): number {
  return ctx.config.tasks.bullmq.roundtrip_count ?? (ctx.mode === 'full' ? 100 : 20);
}

/** Queue wait and run time from the job hash: `processedOn - timestamp` crosses clocks (adder vs worker), so only plausible values count. */
async function recordTimes(ctx: CheckContext, lane: Lane, id: string, e2eMs: number): Promise<void> {
  const t = await lane.times(id);
  if (!t || t.processedOn === undefined) return;
  const probe = lane.kind;
  const wait = t.processedOn - t.timestamp;
  // Wall clocks have 1 ms resolution: allow that much beyond the monotonic end-to-end time.
  if (wait >= 0 && wait <= e2eMs + 1) ctx.metrics.trend(TASK_QUEUE_WAIT_DURATION, { probe, clock: 'wall' }).record(wait);
  if (t.finishedOn !== undefined && t.finishedOn >= t.processedOn) ctx.metrics.trend(TASK_RUN_DURATION, { probe, clock: 'worker' }).record(t.finishedOn - t.processedOn);
}

export async function runRoundtrip(ctx: CheckContext, lane: Lane): Promise<RoundtripSummary> {
  const probe = lane.kind;
  const tags = { probe, phase: 'roundtrip' };
  const timeoutMs = ctx.config.tasks.bullmq.result_timeout_ms;
  // The same figure as the throughput phase's adds (one declaration, told apart by the `phase` tag).
  const submit = ctx.metrics.trend(JOB_SUBMIT.duration, tags);
  const e2e = ctx.metrics.trend(TASK_E2E_DURATION, tags);
  const success = ctx.metrics.rate(TASK_SUCCESS, tags);
  const timeouts = ctx.metrics.counter(TASK_TIMEOUTS, { probe });
  const failures = ctx.metrics.counter(TASK_FAILURES, tags);
  const wrong = ctx.metrics.counter(TASK_WRONG_RESULTS, { probe });
  const reasons = new Set<string>();
  const n = count(ctx);
  let missedInRow = 0;
  let sent = 0;
  for (let i = 0; i < n && !ctx.signal.aborted && missedInRow < GIVE_UP_AFTER; i++) {
    ctx.progress(`${lane.queueName}: job ${i + 1}/${n}`);
    const t0 = performance.now();
    const id = await lane.add(i);
    submit.record(performance.now() - t0);
    sent++;
    const outcome = await lane.completions.wait(id, timeoutMs, ctx.signal);
    if (!outcome) {
      if (ctx.signal.aborted) break;
      missedInRow++;
      timeouts.add();
      success.add(false);
      continue;
    }
    missedInRow = 0;
    e2e.record(outcome.at - t0);
    await recordTimes(ctx, lane, id, outcome.at - t0);
    // Only the self-test's worker is known to echo its data back.
    const echoWrong = lane.kind === 'self_test' && outcome.status === 'completed' && !isDeepStrictEqual(outcome.returnvalue, lane.data(i));
    success.add(outcome.status === 'completed' && !echoWrong);
    if (outcome.status === 'failed') {
      failures.add();
      if (reasons.size < 3) reasons.add(redactText(outcome.failedReason ?? 'no reason given'));
    } else if (echoWrong) wrong.add();
  }
  const summary = { sent, completed: e2e.count, timeouts: timeouts.count, failures: failures.count, gaveUp: missedInRow >= GIVE_UP_AFTER };
  reportRoundtrip(ctx, lane, summary, [...reasons], wrong.count);
  if (e2e.count > 0) ctx.rate('response_time_ms', `task_e2e_duration{probe:${probe},phase:roundtrip}`, e2e.percentile(95));
  return summary;
}

function reportRoundtrip(ctx: CheckContext, lane: Lane, s: RoundtripSummary, reasons: string[], wrong: number): void {
  const { job_name: jobName, result_timeout_ms: timeoutMs } = ctx.config.tasks.bullmq;
  const q = lane.queueName;
  if (s.timeouts > 0) {
    ctx.finding({
      severity: 'error', subject: q,
      title: `${s.timeouts} BullMQ probe job(s) on "${q}" did not finish within ${timeoutMs} ms${s.gaveUp ? `; stopped after ${GIVE_UP_AFTER} in a row` : ''}`,
      detail: lane.kind === 'self_test'
        ? 'stackprobe\'s own worker did not process its jobs in time: Redis is stalled or overloaded.'
        : `Jobs "${jobName}" were added to "${q}" (prefix "${lane.prefix}") but no completed or failed event came back. Either no worker runs for this queue and prefix, the queue is paused, or the workers are busy.`,
      recommendation: lane.kind === 'self_test'
        ? 'Check the Redis server (latency, memory, CPU).'
        : `Check that a worker runs for queue "${q}" with prefix "${lane.prefix}"; raise config.tasks.bullmq.result_timeout_ms for slow jobs.`,
    });
  }
  if (s.failures > 0) {
    ctx.finding({
      severity: 'error', subject: q, title: `${s.failures} BullMQ probe job(s) on "${q}" failed: ${reasons[0] ?? ''}`,
      detail: reasons.length > 1 ? `Reasons: ${reasons.join('; ')}` : undefined,
      recommendation: `Your worker's processor must accept jobs named "${jobName}" with config.tasks.bullmq.data (or set job_name/data to a job it handles harmlessly).`,
    });
  }
  if (wrong > 0) ctx.finding({ severity: 'error', subject: q, title: `${wrong} self-test job(s) returned other data than they carried`, detail: 'The self-test worker echoes its job data; another value means results are mixed up or the data does not survive JSON.' });
}
