// tasks.bullmq: round trip and throughput of a BullMQ queue (the user's workers), and/or of stackprobe's own self-test worker.
import type { Config, ThresholdSpec } from '../../config/schema.js';
import { SkipCheck } from '../../util/errors.js';
import type { Check, CheckContext } from '../types.js';
import { loadBullmq, openLane, type Lane, type ProbeKind } from './bullmq-lane.js';
import { runRoundtrip } from './bullmq-roundtrip.js';
import { runThroughput } from './bullmq-throughput.js';
import { BACKLOG_DRAIN_DURATION, PROBE_JOBS_LEFT, QUEUE_DEPTH_MAX, QUEUE_PAUSED, TASK_COMPLETION_RATE, TASK_E2E_DURATION, TASK_FAILURES, TASK_LOST, TASK_OUTCOMES, TASK_QUEUE_WAIT_DURATION, TASK_RUN_DURATION, TASK_SUBMIT_RATE, TASK_SUCCESS, TASK_TIMEOUTS, TASK_WRONG_RESULTS, WORKERS_AFTER, WORKERS_ALIVE } from './metrics.js';
import { JOB_SUBMIT } from './bullmq-throughput.js';

export const NO_BULLMQ_QUEUE = 'no BullMQ queue in config.tasks.bullmq.queue';

function kinds(config: Config): ProbeKind[] {
  const b = config.tasks.bullmq;
  return [...(b.self_test ? ['self_test' as const] : []), ...(b.queue ? ['queue' as const] : [])];
}

/** Per probed queue: a healthy self-test must not hide a user's queue that completes nothing. */
function thresholds(config: Config): Record<string, ThresholdSpec[]> {
  const out: Record<string, ThresholdSpec[]> = {};
  for (const kind of kinds(config)) out[`task_success{probe:${kind}}`] = [`rate>${config.thresholds.task_success_rate}`];
  if (config.tasks.bullmq.queue) out['queue_paused{probe:queue}'] = ['value==0'];
  out.probe_jobs_left = [{ warn: 'count==0' }];
  return out;
}

/** What can be known before adding anything: a paused queue would only time out; no connected worker probably will. */
async function preflight(ctx: CheckContext, lane: Lane): Promise<boolean> {
  if (lane.kind === 'self_test') return true;
  const q = lane.queueName;
  const paused = await lane.queue.isPaused();
  ctx.metrics.gauge(QUEUE_PAUSED, { probe: lane.kind }).set(paused ? 1 : 0);
  if (paused) {
    ctx.finding({
      severity: 'error', subject: q, title: `BullMQ queue "${q}" is paused`,
      detail: 'Workers take no jobs from a paused queue, so no probe job was added.',
      recommendation: `Resume it (\`queue.resume()\`) if that is not intended.`,
    });
    return false;
  }
  const workers = await lane.workers();
  if (workers !== undefined) ctx.metrics.gauge(WORKERS_ALIVE, { probe: lane.kind }).set(workers);
  if (workers === 0) {
    ctx.finding({
      severity: 'warn', subject: q, title: `no BullMQ worker is connected to "${q}" (prefix "${lane.prefix}")`,
      detail: 'No client named like a BullMQ worker of this queue shows in CLIENT LIST; the probe jobs are added anyway (a worker may name its connection otherwise).',
      recommendation: `Start a worker for "${q}" with prefix "${lane.prefix}" on this Redis server and database.`,
    });
  }
  return true;
}

async function probe(ctx: CheckContext, kind: ProbeKind): Promise<void> {
  const lane = await openLane(ctx, kind);
  try {
    await measure(ctx, lane);
  } finally {
    await lane.close(); // now, not at the check's end: the self-test's worker must not run beside the next probe
  }
}

async function measure(ctx: CheckContext, lane: Lane): Promise<void> {
  const kind = lane.kind;
  const cfg = ctx.config.tasks.bullmq;
  ctx.info(kind, { queue: lane.queueName, prefix: lane.prefix, job_name: cfg.job_name, ...(kind === 'self_test' ? { concurrency: cfg.concurrency } : {}) });
  if (!(await preflight(ctx, lane))) return;
  const rt = await runRoundtrip(ctx, lane);
  if (ctx.signal.aborted) return;
  if (rt.completed === 0) {
    ctx.finding({ severity: 'info', subject: lane.queueName, title: `throughput on "${lane.queueName}" not measured: no round-trip job finished`, detail: 'A burst would only wait out the drain window.' });
    return;
  }
  await runThroughput(ctx, lane);
}

export const bullmqCheck: Check = {
  id: 'tasks.bullmq',
  category: 'tasks',
  typicalQuickMs: 5000,
  title: 'BullMQ round trip and throughput',
  needs: ['bullmq'],
  metrics: [PROBE_JOBS_LEFT, BACKLOG_DRAIN_DURATION, TASK_COMPLETION_RATE, TASK_LOST, TASK_OUTCOMES, TASK_SUBMIT_RATE, TASK_SUCCESS, WORKERS_AFTER, TASK_E2E_DURATION, TASK_FAILURES, TASK_QUEUE_WAIT_DURATION, TASK_RUN_DURATION, TASK_TIMEOUTS, TASK_WRONG_RESULTS, QUEUE_DEPTH_MAX, QUEUE_PAUSED, WORKERS_ALIVE, ...JOB_SUBMIT.all],
  writes: true,
  thresholds,
  async run(ctx) {
    const todo = kinds(ctx.config);
    if (todo.length === 0) throw new SkipCheck(NO_BULLMQ_QUEUE);
    await loadBullmq(); // skips with the reason when the optional package is not installed
    ctx.metrics.headline(TASK_SUCCESS);
    for (const kind of todo) {
      if (ctx.signal.aborted) break;
      await probe(ctx, kind);
    }
  },
};

