// Turns tasks.bullmq's throughput tally into metrics (submission and completion rates, drain time, outcomes) and findings.
import type { ExecResult } from '../../exec/types.js';
import type { Trend } from '../../metrics/trend.js';
import type { CheckContext } from '../types.js';
import type { Lane } from './bullmq-lane.js';
import { BACKLOG_DRAIN_DURATION, TASK_COMPLETIONS_SERIES, TASK_COMPLETION_RATE, TASK_LOST, TASK_OUTCOMES, TASK_SUBMIT_RATE, TASK_SUCCESS, WORKERS_AFTER } from './metrics.js';

export interface Tally {
  sent: number;
  /** Outcomes: completed (and, for the self-test, echoed correctly), failed, completed with other data. */
  completed: number;
  failed: number;
  wrong: number;
  /** Jobs with no outcome within the drain window. */
  lost: number;
  addErrors: number;
  reasons: Set<string>;
  /** Completions per second since the check started. */
  perSecond: Map<number, number>;
  firstSend?: number;
  burstMs?: number;
  burstSent?: number;
  /** Burst jobs done, and when the last was: the workers' rate while a backlog waits is their capacity. */
  burstDone: number;
  lastBurstDone?: number;
  lastDone?: number;
  sendEnd?: number;
  steady?: ExecResult;
  lastDepth?: number;
}

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

function rates(ctx: CheckContext, lane: Lane, t: Tally): void {
  const probe = lane.kind;
  if (t.burstMs && t.burstSent) ctx.metrics.gauge(TASK_SUBMIT_RATE, { probe, phase: 'burst' }).set(round(t.burstSent / (t.burstMs / 1000)));
  if (t.steady) ctx.metrics.gauge(TASK_SUBMIT_RATE, { probe, phase: 'steady' }).set(round(t.steady.throughput));
  const done = t.completed + t.failed + t.wrong;
  if (done === 0 || t.firstSend === undefined || t.lastDone === undefined) return;
  const all = done / ((t.lastDone - t.firstSend) / 1000);
  ctx.metrics.gauge(TASK_COMPLETION_RATE, { probe, phase: 'all' }).set(round(all));
  if (t.lastBurstDone !== undefined && t.burstDone > 1) {
    ctx.metrics.gauge(TASK_COMPLETION_RATE, { probe, phase: 'burst' }).set(round(t.burstDone / ((t.lastBurstDone - t.firstSend) / 1000)));
  }
  if (t.sendEnd !== undefined) ctx.metrics.gauge(BACKLOG_DRAIN_DURATION, { probe }).set(Math.max(0, round(t.lastDone - t.sendEnd, 0)));
  // Rated on the workers' rate while a backlog waited (the burst), never on a rate the send schedule caps.
  if (t.lastBurstDone !== undefined && t.burstDone > 1) ctx.rate('throughput_rps', `task_completion_rate{probe:${probe},phase:burst}`, t.burstDone / ((t.lastBurstDone - t.firstSend) / 1000));
}

export function reportThroughput(ctx: CheckContext, lane: Lane, t: Tally, e2e: Trend, workersAfter: number | undefined): void {
  const probe = lane.kind;
  rates(ctx, lane, t);
  const success = ctx.metrics.rate(TASK_SUCCESS, { probe, phase: 'throughput' });
  // Over every attempt: failed adds and sends the schedule could not start count as failures.
  const attempted = t.sent + t.addErrors + (t.steady?.dropped ?? 0);
  for (let i = 0; i < attempted; i++) success.add(i < t.completed);
  ctx.metrics.counter(TASK_OUTCOMES, { probe, status: 'completed' }).add(t.completed + t.wrong);
  ctx.metrics.counter(TASK_OUTCOMES, { probe, status: 'failed' }).add(t.failed);
  ctx.metrics.counter(TASK_LOST, { probe }).add(t.lost);
  const series = ctx.metrics.timeSeries(TASK_COMPLETIONS_SERIES, { probe });
  for (const [s, n] of [...t.perSecond.entries()].sort((a, b) => a[0] - b[0])) series.points.push([s + 1, n]);
  if (workersAfter !== undefined) ctx.metrics.gauge(WORKERS_AFTER, { probe }).set(workersAfter);
  ctx.info(`jobs_${probe}`, {
    sent: t.sent, completed: t.completed, failed: t.failed, wrong: t.wrong, lost: t.lost, add_errors: t.addErrors,
    queue_depth_at_end: t.lastDepth ?? null, e2e_p95_ms: e2e.count > 0 ? round(e2e.percentile(95)) : null,
  });
  findings(ctx, lane, t, workersAfter);
}

function findings(ctx: CheckContext, lane: Lane, t: Tally, workersAfter: number | undefined): void {
  const q = lane.queueName;
  const drainS = ctx.config.tasks.bullmq.drain_timeout_s;
  if (t.lost > 0) {
    const none = workersAfter === 0 ? `No worker was connected to "${q}" after the run. ` : '';
    ctx.finding({
      severity: 'error', subject: q, title: `${t.lost} of ${t.sent} BullMQ jobs on "${q}" did not complete within the ${drainS} s drain window`,
      detail: `${none}${t.lastDepth ?? '?'} jobs were still waiting; stackprobe removed its jobs from the queue afterwards.`,
      recommendation: workersAfter === 0
        ? `Start a worker for "${q}" (prefix "${lane.prefix}"), or check that it uses the same Redis database and prefix.`
        : `Add workers or raise their concurrency for "${q}", or raise config.tasks.bullmq.drain_timeout_s; the completion rate above is what the workers sustain.`,
    });
  }
  if (t.failed > 0) {
    ctx.finding({
      severity: 'error', subject: q, title: `${t.failed} BullMQ probe job(s) on "${q}" failed: ${[...t.reasons][0] ?? ''}`,
      recommendation: `Your worker's processor must accept jobs named "${ctx.config.tasks.bullmq.job_name}" with config.tasks.bullmq.data.`,
    });
  }
  if (t.wrong > 0) ctx.finding({ severity: 'error', subject: q, title: `${t.wrong} self-test job(s) returned other data than they carried` });
  if (t.addErrors > 0) ctx.finding({ severity: 'error', subject: q, title: `adding ${t.addErrors} job(s) to "${q}" failed`, recommendation: 'See task_submit_error_kinds; check the Redis server.' });
}
