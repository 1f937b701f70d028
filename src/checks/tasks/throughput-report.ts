// Turns tasks.throughput's tally into metrics (submission and completion rates, drain time, outcomes) and findings.
import type { ExecResult } from '../../exec/types.js';
import type { Trend } from '../../metrics/trend.js';
import type { CheckContext } from '../types.js';

export interface Tally {
  sent: number;
  byStatus: Map<string, number>;
  retries: number;
  /** Tasks whose result never arrived within the drain window. */
  lost: number;
  depthErrors: number;
  /** Errors while waiting for results (the backend connection failed), first few kept. */
  resultErrors: string[];
  /** performance.now() of each completion seen. */
  completedAt: number[];
  firstSend?: number;
  burstMs?: number;
  burstSent?: number;
  /** Burst tasks completed, and when the last did: the workers' rate while a backlog waits is their capacity. */
  burstDone: number;
  lastBurstDone?: number;
  sendEnd?: number;
  steady?: ExecResult;
  lastDepth?: number;
  depthZeroAt?: number;
}

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

/** Completions per second, one point per second since the check started. */
function completionSeries(ctx: CheckContext, tally: Tally): void {
  if (tally.completedAt.length === 0 || tally.firstSend === undefined) return;
  const series = ctx.metrics.timeSeries('task_completions', {}, 'tasks/s');
  const offset = ctx.elapsed() - performance.now() / 1000; // elapsed seconds = performance.now()/1000 + offset
  const buckets = new Map<number, number>();
  for (const t of tally.completedAt) {
    const s = Math.floor(t / 1000 + offset);
    buckets.set(s, (buckets.get(s) ?? 0) + 1);
  }
  for (const [s, n] of [...buckets.entries()].sort((a, b) => a[0] - b[0])) series.points.push([s + 1, n]);
}

export function reportThroughput(ctx: CheckContext, tally: Tally, e2e: Trend, aliveAfter: number): void {
  const celery = ctx.targets.celery!;
  const { queue, task } = ctx.config.tasks;
  ctx.metrics.gauge('workers_consuming_after', { queue }, 'workers').set(aliveAfter);
  if (tally.burstMs && tally.burstSent) ctx.metrics.gauge('task_submit_rate', { phase: 'burst' }, 'tasks/s').set(round(tally.burstSent / (tally.burstMs / 1000)));
  if (tally.steady) ctx.metrics.gauge('task_submit_rate', { phase: 'steady' }, 'tasks/s').set(round(tally.steady.throughput));
  const completed = tally.completedAt.length;
  const first = tally.firstSend ?? 0;
  if (celery.hasResultBackend) {
    const success = ctx.metrics.rate('task_success');
    const ok = tally.byStatus.get('SUCCESS') ?? 0;
    for (let i = 0; i < tally.sent; i++) success.add(i < ok);
    for (const [status, n] of tally.byStatus) ctx.metrics.counter('task_outcomes', { status }, 'tasks').add(n);
    ctx.metrics.counter('task_retries', {}, 'retries').add(tally.retries);
    ctx.metrics.counter('task_lost', {}, 'tasks').add(tally.lost);
    if (completed > 0) {
      const last = Math.max(...tally.completedAt);
      ctx.metrics.gauge('task_completion_rate', { phase: 'all' }, 'tasks/s').set(round(completed / ((last - first) / 1000)));
      if (tally.lastBurstDone !== undefined && tally.burstDone > 1) {
        ctx.metrics.gauge('task_completion_rate', { phase: 'burst' }, 'tasks/s').set(round(tally.burstDone / ((tally.lastBurstDone - first) / 1000)));
      }
      if (tally.sendEnd !== undefined) ctx.metrics.gauge('backlog_drain_duration', {}, 'ms').set(Math.max(0, round(last - tally.sendEnd, 0)));
      ctx.rate('throughput_rps', 'task_completion_rate{phase:all}', completed / ((last - first) / 1000));
    }
    completionSeries(ctx, tally);
  } else if (tally.depthZeroAt !== undefined) {
    // No results to see: the queue emptying is the only completion signal (consumption, not success).
    ctx.metrics.gauge('task_consumption_rate', {}, 'tasks/s').set(round(tally.sent / ((tally.depthZeroAt - first) / 1000)));
    if (tally.sendEnd !== undefined) ctx.metrics.gauge('backlog_drain_duration', {}, 'ms').set(round(tally.depthZeroAt - tally.sendEnd, 0));
  }
  ctx.info('tasks', { sent: tally.sent, completed, lost: tally.lost, retries: tally.retries, outcomes: Object.fromEntries(tally.byStatus), queue_depth_at_end: tally.lastDepth ?? null });
  findings(ctx, tally, queue, task, aliveAfter, e2e);
}

function findings(ctx: CheckContext, tally: Tally, queue: string, task: string, aliveAfter: number, e2e: Trend): void {
  const celery = ctx.targets.celery!;
  if (!celery.hasResultBackend) {
    ctx.finding({
      severity: 'info', title: 'no result backend: completion and success cannot be measured',
      detail: tally.depthZeroAt === undefined
        ? `The queue did not empty within ${ctx.config.tasks.drain_timeout_s} s (${tally.lastDepth ?? '?'} messages left).`
        : 'The consumption rate comes from the queue emptying, not from finished tasks.',
      recommendation: 'Set CELERY_RESULT_BACKEND to the Redis result backend your workers use.',
    });
  }
  if (tally.lost > 0) {
    ctx.finding({
      severity: 'error', subject: queue, title: `${tally.lost} of ${tally.sent} tasks did not complete within the ${ctx.config.tasks.drain_timeout_s} s drain window`,
      detail: `${aliveAfter === 0 ? `No live worker consumed "${queue}" after the run: the workers stopped or lost the broker. ` : ''}${tally.lastDepth ?? '?'} messages were still waiting in "${queue}"; they were taken back (Redis) or expire (AMQP).`,
      recommendation: aliveAfter === 0 ? 'Check the workers: they stopped during the run.' : `Add worker processes for "${queue}" (concurrency) or raise config.tasks.drain_timeout_s; the completion rate above is what the workers sustain.`,
    });
  }
  if (tally.resultErrors.length > 0) {
    ctx.finding({ severity: 'error', title: `reading ${tally.resultErrors.length} result(s) failed: ${tally.resultErrors[0]}`, recommendation: 'Check the result backend (CELERY_RESULT_BACKEND).' });
  }
  if (aliveAfter === 0 && tally.lost === 0) ctx.finding({ severity: 'error', title: 'no live workers after the run', detail: `Every task completed, but no live worker consumed "${queue}" afterwards.` });
  const failed = tally.sent - tally.lost - (tally.byStatus.get('SUCCESS') ?? 0);
  if (celery.hasResultBackend && failed > 0) ctx.finding({ severity: 'error', subject: task, title: `${failed} task(s) ended in ${[...tally.byStatus.keys()].filter((s) => s !== 'SUCCESS').join('/')}`, recommendation: 'See the worker log for tracebacks.' });
  if (e2e.count > 0) ctx.info('e2e_p95_ms', round(e2e.percentile(95)));
}
