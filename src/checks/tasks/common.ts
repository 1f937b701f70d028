// What the tasks checks share: the probe's arguments, the workers' view (ping, queues, registered tasks), cleanup.
import { isDeepStrictEqual } from 'node:util';
import type { CeleryTarget, WorkerReply } from '../../targets/celery/target.js';
import type { CheckContext } from '../types.js';
import { TASKS_UNKNOWN, WORKERS_ALIVE_COMMON, WORKERS_CONSUMING } from './metrics.js';

export function celeryOf(ctx: CheckContext): CeleryTarget {
  return ctx.targets.celery!;
}

/** The probe's arguments: the configured ones, else `[n]` for `celery.accumulate` (its echo is verified), else none. */
export function probeArgs(ctx: CheckContext, n: number): unknown[] {
  const { args, task } = ctx.config.tasks;
  return args ?? (task === 'celery.accumulate' ? [n] : []);
}

/** True when the result is known to be wrong: only checkable for the built-in echo with stackprobe's own arguments. */
export function wrongEcho(ctx: CheckContext, args: unknown[], result: unknown): boolean {
  if (ctx.config.tasks.task !== 'celery.accumulate' || ctx.config.tasks.args !== undefined) return false;
  return !isDeepStrictEqual(result, args);
}

export interface WorkerView {
  /** Ping replies. */
  alive: WorkerReply[];
  /** Workers whose active_queues include the queue. */
  consuming: string[];
  /** Of those, the ones whose `registered` list (builtins included) names the task; undefined when none replied. */
  knowing?: string[];
}

function queueNames(reply: unknown): string[] {
  return Array.isArray(reply) ? reply.map((q) => String((q as { name?: unknown }).name ?? '')) : [];
}

/** Registered entries look like `name [rate_limit=…]`: the name is the first word. */
function taskNames(reply: unknown): string[] {
  return Array.isArray(reply) ? reply.map((t) => String(t).split(' ')[0]!) : [];
}

/** Asks the workers who is alive, who consumes `queue`, and (when `task` is given) who knows `task`. */
export async function viewWorkers(ctx: CheckContext, queue: string, tasks: string[] = []): Promise<WorkerView & { knows: Map<string, string[]> }> {
  const celery = celeryOf(ctx);
  const signal = ctx.signal;
  const alive = await celery.control('ping', {}, { signal });
  const knows = new Map<string, string[]>();
  if (alive.length === 0) return { alive, consuming: [], knows };
  const limit = alive.length;
  const queues = await celery.control('active_queues', {}, { signal, limit });
  const consuming = queues.filter((r) => queueNames(r.reply).includes(queue)).map((r) => r.worker);
  if (tasks.length > 0 && consuming.length > 0) {
    const registered = await celery.control('registered', { builtins: true }, { signal, limit });
    const relevant = registered.filter((r) => consuming.includes(r.worker));
    for (const task of tasks) {
      if (relevant.length > 0) knows.set(task, relevant.filter((r) => taskNames(r.reply).includes(task)).map((r) => r.worker));
    }
  }
  return { alive, consuming, knows };
}

/**
 * Records the preflight's verdicts (workers alive, consuming the queue, knowing the task) as metrics and findings.
 * Returns false when sending tasks would only measure a timeout.
 */
export function preflightOk(ctx: CheckContext, queue: string, view: WorkerView & { knows: Map<string, string[]> }, tasks: string[]): boolean {
  ctx.metrics.gauge(WORKERS_ALIVE_COMMON).set(view.alive.length);
  ctx.metrics.gauge(WORKERS_CONSUMING, { queue }).set(view.consuming.length);
  ctx.info('workers', view.alive.map((w) => w.worker));
  const unknown = ctx.metrics.counter(TASKS_UNKNOWN);
  unknown.add(0);
  if (view.alive.length === 0) {
    ctx.finding({
      severity: 'error', title: 'no Celery worker answered ping',
      detail: `No worker replied within ${ctx.config.tasks.control_timeout_ms} ms on the broker's control channel (celery.pidbox), so no task was sent.`,
      recommendation: 'Start a worker on this broker (`celery -A <app> worker -Q ' + queue + '`), or check that it connects to the same broker URL and virtual host/database.',
    });
    return false;
  }
  if (view.consuming.length === 0) {
    ctx.finding({
      severity: 'error', subject: queue, title: `no live worker consumes queue "${queue}"`,
      detail: `${view.alive.length} worker(s) answered ping, but none lists "${queue}" in active_queues; tasks sent there would wait forever, so none was sent.`,
      recommendation: `Start a worker with \`-Q ${queue}\` (or add ${queue} to a worker's queues), or set config.tasks.queue to a queue your workers consume.`,
    });
    return false;
  }
  for (const task of tasks) {
    const knowing = view.knows.get(task);
    if (knowing === undefined || knowing.length > 0) continue;
    unknown.add(1);
    ctx.finding({
      severity: 'error', subject: task, title: `no worker on queue "${queue}" knows task "${task}"`,
      detail: `The ${view.consuming.length} worker(s) consuming "${queue}" do not list "${task}" among their registered tasks; a worker would log "Received unregistered task" and drop it, and no result would ever arrive.`,
      recommendation: `Check the task name (config.tasks), or make sure the workers import the module that defines "${task}".`,
    });
  }
  return unknown.count === 0;
}

/** Deletes the result keys of every task this check sent and takes back its unconsumed messages, also on Ctrl-C (time-bounded). */
export function cleanupTasks(ctx: CheckContext): string[] {
  const ids: string[] = [];
  ctx.defer(() => celeryOf(ctx).forget(ids));
  return ids;
}

export function resultTimeoutMs(ctx: CheckContext): number {
  return ctx.config.tasks.result_timeout_ms;
}
