// Turns tasks.throughput's tally into declared metrics (offered, sent, completed, keep-up, backlog, success over
// attempts) and findings that say what to change, with the figures that show it.
import type { ExecResult } from '../../exec/types.js';
import type { Trend } from '../../metrics/trend.js';
import type { CheckContext } from '../types.js';
import { celeryOf } from './common.js';
import { keepUpAdvice, steadyFigures, type BacklogSample, type SteadyFigures, type WorkerSettings } from './throughput-judge.js';
import { BACKLOG_DRAIN_DURATION, TASK_BACKLOG_GROWTH, TASK_CAPACITY, TASK_COMPLETIONS_SERIES_THROUGHPUT, TASK_COMPLETION_RATE_THROUGHPUT, TASK_CONSUMPTION_RATE, TASK_DROPPED, TASK_KEEP_UP, TASK_LOST_THROUGHPUT, TASK_OFFERED_RATE, TASK_OUTCOMES_THROUGHPUT, TASK_RETRIES, TASK_SUBMIT_RATE_THROUGHPUT, TASK_SUCCESS_THROUGHPUT, WORKERS_CONSUMING_AFTER } from './metrics.js';

export interface Tally {
  attempts: { burst: number; steady: number };
  /** Steady-phase sends that never started: every sender was busy and the backlog was full. */
  dropped: number;
  sent: number;
  /** Tasks whose wait ended (a final state, no result in time, or a failed read). */
  finished: number;
  byStatus: Map<string, number>;
  retries: number;
  /** Tasks whose result never arrived within the drain window. */
  lost: number;
  depthErrors: number;
  depthError?: string;
  /** Errors while waiting for results (the backend connection failed), first few kept. */
  resultErrors: string[];
  /** performance.now() of each completion seen. */
  completions: number[];
  samples: BacklogSample[];
  firstSend?: number;
  burstMs?: number;
  burstSent?: number;
  /** Burst tasks completed, and when the last did: the workers' rate while a backlog waits is their capacity. */
  burstDone: number;
  lastBurstDone?: number;
  steadyStart?: number;
  /** The steady phase's planned length (ms). */
  scheduleMs?: number;
  sendEnd?: number;
  steady?: ExecResult;
  lastDepth?: number;
  depthZeroAt?: number;
}

type E2e = { burst: Trend; steady: Trend };

/** Celery's default worker_prefetch_multiplier. */
const CELERY_DEFAULT_PREFETCH = 4;

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;
const secs = (ms: number) => (ms >= 1000 ? `${round(ms / 1000, 1)} s` : `${Math.round(ms)} ms`);

export function describeThroughputMetrics(ctx: CheckContext): void {
  ctx.metrics.headline(TASK_KEEP_UP);
}

/** Completions per second, one point per second since the check started. */
function completionSeries(ctx: CheckContext, tally: Tally): void {
  if (tally.completions.length === 0) return;
  const series = ctx.metrics.timeSeries(TASK_COMPLETIONS_SERIES_THROUGHPUT);
  const offset = ctx.elapsed() - performance.now() / 1000; // elapsed seconds = performance.now()/1000 + offset
  const at = (t: number | undefined) => (t === undefined ? null : Math.round((t / 1000 + offset) * 1000) / 1000);
  ctx.info('phase_starts_s', { burst: at(tally.firstSend), steady: at(tally.steadyStart), drain: at(tally.sendEnd) });
  const buckets = new Map<number, number>();
  for (const t of tally.completions) {
    const s = Math.floor(t / 1000 + offset);
    buckets.set(s, (buckets.get(s) ?? 0) + 1);
  }
  for (const [s, n] of [...buckets.entries()].sort((a, b) => a[0] - b[0])) series.points.push([s + 1, n]);
}

/** Stats and conf of the workers consuming the queue: what the advice is about. */
async function workerSettings(ctx: CheckContext, consuming: string[]): Promise<WorkerSettings> {
  const celery = celeryOf(ctx);
  const settings: WorkerSettings = { workers: consuming.length, concurrency: 0 };
  if (consuming.length === 0) return settings;
  // No reply limit: other workers on the broker answer too, and only the consuming ones count.
  const [stats, conf] = await Promise.all([
    celery.control('stats', {}, { signal: ctx.signal }),
    // Only the settings that differ from Celery's defaults (with defaults the reply does not arrive on Celery 5.2).
    celery.control('conf', {}, { signal: ctx.signal }),
  ]);
  for (const r of stats.filter((x) => consuming.includes(x.worker))) {
    settings.concurrency += Number((r.reply as { pool?: { 'max-concurrency'?: number } }).pool?.['max-concurrency'] ?? 0);
  }
  const c = conf.find((x) => consuming.includes(x.worker))?.reply as Record<string, unknown> | undefined;
  if (c) {
    // A setting missing from the reply is at Celery's default.
    settings.prefetchMultiplier = typeof c.worker_prefetch_multiplier === 'number' ? c.worker_prefetch_multiplier : CELERY_DEFAULT_PREFETCH;
    settings.acksLate = typeof c.task_acks_late === 'boolean' ? c.task_acks_late : false;
  }
  return settings;
}

export async function reportThroughput(ctx: CheckContext, tally: Tally, e2e: E2e, consuming: string[]): Promise<void> {
  const celery = celeryOf(ctx);
  const { queue } = ctx.config.tasks;
  const m = ctx.metrics;
  m.gauge(WORKERS_CONSUMING_AFTER, { queue }).set(consuming.length);
  const attempted = tally.attempts.burst + tally.attempts.steady + tally.dropped;
  m.counter(TASK_DROPPED, { phase: 'steady' }).add(tally.dropped);
  if (tally.burstMs && tally.burstSent) m.gauge(TASK_SUBMIT_RATE_THROUGHPUT, { phase: 'burst' }).set(round(tally.burstSent / (tally.burstMs / 1000)));

  let steady: SteadyFigures | undefined;
  let completedPerS: number | undefined;
  if (tally.steadyStart !== undefined && tally.sendEnd !== undefined && tally.steady) {
    const sentSteady = tally.sent - (tally.burstSent ?? 0);
    // An aborted schedule offered only what it scheduled, over the time it ran.
    const scheduleMs = tally.steady.interrupted || tally.scheduleMs === undefined ? tally.sendEnd - tally.steadyStart : tally.scheduleMs;
    steady = steadyFigures(tally.samples, tally.steadyStart, tally.sendEnd, tally.attempts.steady + tally.dropped, sentSteady, scheduleMs);
    m.gauge(TASK_OFFERED_RATE, { phase: 'steady' }).set(round(steady.offeredPerS));
    m.gauge(TASK_SUBMIT_RATE_THROUGHPUT, { phase: 'steady' }).set(round(steady.sentPerS));
    if (steady.growthPerS !== null) m.gauge(TASK_BACKLOG_GROWTH, { basis: steady.basis }).set(round(steady.growthPerS, 2));
    if (steady.keepUp !== null) m.gauge(TASK_KEEP_UP).set(round(steady.keepUp, 3));
    if (celery.hasResultBackend) {
      const inSteady = tally.completions.filter((t) => t >= tally.steadyStart! && t <= tally.sendEnd!).length;
      completedPerS = inSteady / Math.max((tally.sendEnd - tally.steadyStart) / 1000, 1e-3);
      m.gauge(TASK_COMPLETION_RATE_THROUGHPUT, { phase: 'steady' }).set(round(completedPerS));
    }
  }

  let capacity: number | null = null;
  if (celery.hasResultBackend) {
    const success = m.rate(TASK_SUCCESS_THROUGHPUT);
    const ok = tally.byStatus.get('SUCCESS') ?? 0;
    // Over every attempt: a failed publish, a dropped send and a lost task are failures like a FAILURE state.
    for (let i = 0; i < attempted; i++) success.add(i < ok);
    for (const [status, n] of tally.byStatus) m.counter(TASK_OUTCOMES_THROUGHPUT, { status }).add(n);
    m.counter(TASK_RETRIES).add(tally.retries);
    m.counter(TASK_LOST_THROUGHPUT).add(tally.lost);
    // The burst's rate is the workers' own while a backlog waited: the send schedule cannot cap it, so it is rated.
    const burstRate = tally.lastBurstDone !== undefined && tally.burstDone > 1 && tally.firstSend !== undefined ? tally.burstDone / ((tally.lastBurstDone - tally.firstSend) / 1000) : undefined;
    if (burstRate !== undefined) {
      m.gauge(TASK_CAPACITY).set(round(burstRate));
      ctx.rate('throughput_rps', 'task_capacity', burstRate);
    }
    // For the advice, the best rate seen: the steady completions are a lower bound too (a small burst may understate).
    if (burstRate !== undefined || completedPerS !== undefined) capacity = Math.max(burstRate ?? 0, completedPerS ?? 0);
    if (tally.completions.length > 0 && tally.sendEnd !== undefined) {
      m.gauge(BACKLOG_DRAIN_DURATION).set(Math.max(0, round(Math.max(...tally.completions) - tally.sendEnd, 0)));
    }
    completionSeries(ctx, tally);
  } else if (tally.depthZeroAt !== undefined && tally.firstSend !== undefined) {
    // No results to see: the queue emptying is the only completion signal (consumption, not success).
    m.gauge(TASK_CONSUMPTION_RATE).set(round(tally.sent / ((tally.depthZeroAt - tally.firstSend) / 1000)));
    if (tally.sendEnd !== undefined) m.gauge(BACKLOG_DRAIN_DURATION).set(round(tally.depthZeroAt - tally.sendEnd, 0));
  }
  const e2eFigures = e2e.steady.count > 0 ? { p50: e2e.steady.percentile(50), p95: e2e.steady.percentile(95), p99: e2e.steady.percentile(99) } : undefined;
  ctx.info('tasks', {
    attempted, sent: tally.sent, dropped: tally.dropped, completed: tally.completions.length, lost: tally.lost, retries: tally.retries,
    outcomes: Object.fromEntries(tally.byStatus), queue_depth_at_end: tally.lastDepth ?? null,
    ...(steady ? { offered_per_s: round(steady.offeredPerS), backlog_growth_per_s: steady.growthPerS === null ? null : round(steady.growthPerS, 2), keep_up: steady.keepUp === null ? null : round(steady.keepUp, 3) } : {}),
    ...(capacity !== null ? { best_completion_per_s: round(capacity) } : {}),
    ...(e2eFigures ? { e2e_steady_ms: { p50: round(e2eFigures.p50, 0), p95: round(e2eFigures.p95, 0), p99: round(e2eFigures.p99, 0) } } : {}),
  });
  await keepUpFindings(ctx, tally, steady, { capacity, completedPerS }, e2eFigures, consuming);
  otherFindings(ctx, tally, attempted, consuming.length);
}

interface Rates {
  capacity: number | null;
  completedPerS: number | undefined;
}

async function keepUpFindings(ctx: CheckContext, tally: Tally, steady: SteadyFigures | undefined, rates: Rates, e2e: { p50: number; p95: number; p99: number } | undefined, consuming: string[]): Promise<void> {
  const { capacity } = rates;
  const t = ctx.config.tasks;
  if (tally.steady && (!steady || steady.keepUp === null)) {
    ctx.finding({
      severity: 'error', subject: t.queue, title: 'the backlog\'s trend could not be measured in the steady phase',
      detail: tally.depthErrors > 0 ? `Reading the queue depth failed ${tally.depthErrors} time(s): ${tally.depthError}.` : 'Too few samples of the queue depth: the steady phase was too short (config.tasks.duration_s).',
    });
    return;
  }
  if (!steady || steady.keepUp === null) return;
  const slow = steady.keepUp < t.warn_keep_up;
  const late = e2e !== undefined && e2e.p95 >= t.e2e_p95_ms;
  if (!slow && !late) return;
  // Keep-up also falls when publishes fail; the workers are the cause only when the backlog itself grew.
  const workersBehind = (steady.growthPerS ?? 0) > steady.offeredPerS * (1 - t.warn_keep_up);
  if (slow && !workersBehind && !late) {
    ctx.finding({
      severity: steady.keepUp < t.min_keep_up ? 'error' : 'warn', subject: t.queue,
      title: `only ${round(steady.sentPerS)} of the ${round(steady.offeredPerS)} tasks/s offered reached the broker (keep-up ${round(steady.keepUp, 2)})`,
      detail: `The backlog did not grow (${steady.basis} ${round(steady.growthPerS ?? 0, 2)}/s): the workers kept up with what arrived; the publishes are what failed.`,
      recommendation: 'See the publish errors; check the broker\'s health and the network.',
    });
    return;
  }
  const settings = await workerSettings(ctx, consuming);
  // Counted completions when results are seen; else what the queue's trend implies.
  const completed = rates.completedPerS ?? steady.keepUp * steady.offeredPerS;
  const figures = [
    `offered ${round(steady.offeredPerS)}/s, sent ${round(steady.sentPerS)}/s, completed ${round(completed)}/s in the steady phase (keep-up ${round(steady.keepUp, 2)})`,
    ...(capacity !== null ? [`at best ${round(capacity)}/s (burst or steady phase)`] : []),
    `queue depth ${steady.depthStart ?? '?'} → ${steady.depthEnd ?? '?'} during the steady phase (${steady.basis} ${steady.growthPerS! >= 0 ? 'grew' : 'shrank'} ${round(Math.abs(steady.growthPerS!))}/s)`,
    ...(e2e ? [`end-to-end p50 ${secs(e2e.p50)}, p95 ${secs(e2e.p95)}, p99 ${secs(e2e.p99)}`] : []),
    `${settings.workers} worker(s) on "${t.queue}", concurrency ${settings.concurrency || '?'}, prefetch multiplier ${settings.prefetchMultiplier ?? '?'}, acks_late ${settings.acksLate === undefined ? '?' : settings.acksLate ? 'on' : 'off'}`,
  ];
  const advice = keepUpAdvice({ ...settings, offeredPerS: steady.offeredPerS, capacityPerS: capacity, queue: t.queue });
  ctx.info('worker_settings', settings);
  ctx.finding({
    severity: steady.keepUp < t.min_keep_up || late ? 'error' : 'warn', subject: t.queue,
    title: slow
      ? `workers completed ${round(completed)} tasks/s while ${round(steady.offeredPerS)}/s were offered: the backlog grows`
      : `steady-phase tasks took p95 ${secs(e2e!.p95)} end to end (limit ${secs(t.e2e_p95_ms)})`,
    detail: `${figures.join('; ')}.`,
    recommendation: advice.join(' '),
  });
}

function otherFindings(ctx: CheckContext, tally: Tally, attempted: number, aliveAfter: number): void {
  const celery = celeryOf(ctx);
  const { queue, task } = ctx.config.tasks;
  const submitErrors = tally.attempts.burst + tally.attempts.steady - tally.sent;
  if (submitErrors > 0) {
    ctx.finding({
      severity: 'error', subject: queue, title: `${submitErrors} of ${tally.attempts.burst + tally.attempts.steady} publishes failed or timed out`,
      detail: 'A publish that does not reach the broker is a task the application would have lost.',
      recommendation: 'Check the broker\'s health (memory, connections, disk alarms on RabbitMQ) and the network; raise timeouts.operation_ms only if the broker is known to be slow.',
    });
  }
  if (tally.dropped > 0) {
    ctx.finding({
      severity: 'error', subject: queue, title: `${tally.dropped} steady-phase sends could not start on time`,
      detail: `Every sender was waiting on the broker; ${tally.dropped} of ${attempted} attempts never started. They count as failed.`,
    });
  }
  if (!celery.hasResultBackend) {
    ctx.finding({
      severity: 'info', title: 'no result backend: completion and success cannot be measured',
      detail: tally.depthZeroAt === undefined
        ? `The queue did not empty within ${ctx.config.tasks.drain_timeout_s} s (${tally.lastDepth ?? '?'} messages left).`
        : 'The consumption rate comes from the queue emptying, not from finished tasks; keep-up is judged from the queue depth.',
      recommendation: 'Set CELERY_RESULT_BACKEND to the Redis result backend your workers use.',
    });
  }
  if (tally.lost > 0) {
    ctx.finding({
      severity: 'error', subject: queue, title: `${tally.lost} of ${tally.sent} tasks did not complete within the ${ctx.config.tasks.drain_timeout_s} s drain window`,
      detail: `${aliveAfter === 0 ? `No live worker consumed "${queue}" after the run: the workers stopped or lost the broker. ` : ''}${tally.lastDepth ?? '?'} messages were still waiting in "${queue}"; they were taken back (Redis) or expire (AMQP).`,
      recommendation: aliveAfter === 0 ? 'Check the workers: they stopped during the run.' : `Add worker processes for "${queue}" (concurrency) or raise config.tasks.drain_timeout_s.`,
    });
  }
  if (tally.resultErrors.length > 0) {
    ctx.finding({ severity: 'error', title: `reading results failed: ${tally.resultErrors[0]}`, recommendation: 'Check the result backend (CELERY_RESULT_BACKEND).' });
  }
  if (aliveAfter === 0 && tally.lost === 0) ctx.finding({ severity: 'error', title: 'no live workers after the run', detail: `Every task completed, but no live worker consumed "${queue}" afterwards.` });
  const failed = [...tally.byStatus.entries()].filter(([s]) => s !== 'SUCCESS');
  if (failed.length > 0) {
    ctx.finding({ severity: 'error', subject: task, title: `${failed.reduce((a, [, n]) => a + n, 0)} task(s) ended in ${failed.map(([s]) => s).join('/')}`, recommendation: 'See the worker log for tracebacks; check config.tasks.args and kwargs.' });
  }
}
