// tasks.queues: the application's own queues as the broker holds them: depth, oldest message's age, consumers, unacked.
import { sleep } from '../../exec/timeout.js';
import type { QueuePeek } from '../../targets/celery/target.js';
import { SkipCheck } from '../../util/errors.js';
import type { Check, CheckContext } from '../types.js';
import { celeryOf } from './common.js';
import { metric } from '../../metrics/declare.js';
import { unit } from '../../metrics/unit.js';
import { KOMBU_REDIS_VISIBILITY_TIMEOUT_S, pythonSeconds } from './worker-settings.js';

export const QUEUES_METRICS = {
  depth: metric.gauge({ name: 'queue_depth', unit: unit.count('messages'), meaning: 'state', better: 'lower', description: 'Messages waiting in the queue (all priority levels), sampled every 500 ms over the window' }),
  age: metric.gauge({ name: 'queue_oldest_age', unit: unit.seconds, meaning: 'state', better: 'lower', description: 'How long the next message out has waited at least: the queue untouched (OBJECT IDLETIME) and stackprobe seeing it next in line' }),
  consumers: metric.gauge({ name: 'queue_consumers', unit: unit.count('consumers'), meaning: 'state', better: 'none', description: 'Workers consuming the queue (active_queues), or the broker\'s consumer count (AMQP)' }),
  unacked: metric.gauge({ name: 'queue_unacked', unit: unit.count('messages'), meaning: 'state', better: 'none', description: 'Messages delivered to workers and not yet acknowledged (Redis: kombu\'s unacked hash, ETA tasks included; RabbitMQ: the management API\'s messages_unacknowledged)' }),
  pastVisibility: metric.counter({ name: 'unacked_past_visibility', unit: unit.count('messages'), meaning: 'defects', better: 'lower', description: 'Unacked messages delivered longer ago than the visibility timeout: the broker hands them out again' }),
  unconsumed: metric.counter({ name: 'queues_without_consumers', unit: unit.count('queues'), meaning: 'defects', better: 'lower', description: 'Queues with messages waiting and no worker consuming them' }),
  backlogged: metric.counter({ name: 'queues_backlogged', unit: unit.count('queues'), meaning: 'defects', better: 'lower', description: 'Queues whose next message stayed next in line for the whole window, or waited at least tasks.max_message_age_s' }),
} as const;

/** Why RabbitMQ gives no message age: said in the info and in each finding that would have quoted it. */
export const AMQP_NO_AGE = 'RabbitMQ hands a message out only by delivering it (basic.get or a consumer): the message is then marked redelivered and, if not acknowledged, requeued, so reading its headers would change the queue; stackprobe never consumes from an application queue';

/** At most this many queues are sampled: the rest are named in the info. */
const MAX_QUEUES = 100;
const SAMPLE_MS = 500;

interface Watched {
  depths: number[];
  consumers?: number;
  /** Task id of the next message out -> when stackprobe first saw it there (performance.now()). */
  firstSeen: Map<string, number>;
  /** Ids next in line at the first sample, and the queue's idle time then. */
  startIds: Set<string>;
  idleAtStartS?: number;
  last?: QueuePeek;
}

/** Queues from the config, the broker's bindings and (unless --read-only) the workers' active_queues, with their consumers. */
async function findQueues(ctx: CheckContext): Promise<{ queues: string[]; consumers: Map<string, number> | undefined; visibilityS: number }> {
  const celery = celeryOf(ctx);
  const names = new Set(ctx.config.tasks.queues);
  for (const q of (await celery.knownQueues({ signal: ctx.signal })) ?? []) names.add(q);
  let consumers: Map<string, number> | undefined;
  let visibilityS = KOMBU_REDIS_VISIBILITY_TIMEOUT_S;
  if (!ctx.readOnly) {
    consumers = new Map();
    const alive = await celery.control('ping', {}, { signal: ctx.signal });
    if (alive.length > 0) {
      for (const r of await celery.control('active_queues', {}, { signal: ctx.signal, limit: alive.length })) {
        for (const q of Array.isArray(r.reply) ? (r.reply as Array<{ name?: unknown }>) : []) {
          if (typeof q.name !== 'string') continue;
          names.add(q.name);
          consumers.set(q.name, (consumers.get(q.name) ?? 0) + 1);
        }
      }
      // The shortest visibility timeout of any worker is when the broker first hands a message out again.
      const timeouts = (await celery.control('conf', { with_defaults: true }, { signal: ctx.signal, limit: alive.length }))
        .map((r) => pythonSeconds(((r.reply as { broker_transport_options?: Record<string, unknown> } | null)?.broker_transport_options ?? {}).visibility_timeout) ?? KOMBU_REDIS_VISIBILITY_TIMEOUT_S);
      if (timeouts.length > 0) visibilityS = Math.min(...timeouts);
    }
  }
  return { queues: [...names].sort(), consumers, visibilityS };
}

async function watch(ctx: CheckContext, queues: string[]): Promise<Map<string, Watched>> {
  const celery = celeryOf(ctx);
  const watched = new Map<string, Watched>(queues.map((q) => [q, { depths: [], firstSeen: new Map(), startIds: new Set() }]));
  const end = performance.now() + ctx.config.tasks.queue_window_s * 1000;
  let first = true;
  do {
    for (const [queue, w] of watched) {
      const peek = await celery.peekQueue(queue, { signal: ctx.signal, idle: first });
      const at = performance.now();
      w.depths.push(peek.depth);
      if (peek.consumers !== undefined) w.consumers = peek.consumers;
      for (const m of peek.oldest) if (m.id && !w.firstSeen.has(m.id)) w.firstSeen.set(m.id, at);
      if (first) {
        for (const m of peek.oldest) if (m.id) w.startIds.add(m.id);
        if (peek.idleS !== undefined) w.idleAtStartS = peek.idleS;
      }
      w.last = peek;
    }
    first = false;
    if (performance.now() >= end) break;
    await sleep(Math.min(SAMPLE_MS, end - performance.now()), ctx.signal);
  } while (!ctx.signal.aborted);
  return watched;
}

/** The least the next message out has waited: since stackprobe first saw it there, plus the queue's idle time if it was there at the start. */
function oldestAgeS(w: Watched, startedAt: number, now: number): number | undefined {
  const ids = (w.last?.oldest ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
  if (ids.length === 0) return w.last && w.last.depth > 0 && w.idleAtStartS !== undefined ? w.idleAtStartS : undefined;
  return Math.max(...ids.map((id) => {
    const seen = (now - (w.firstSeen.get(id) ?? now)) / 1000;
    return w.startIds.has(id) ? (w.idleAtStartS ?? 0) + (now - startedAt) / 1000 : seen;
  }));
}

export const queuesCheck: Check = {
  id: 'tasks.queues',
  category: 'tasks',
  title: 'Celery queues of the application: depth, age of the oldest message, consumers, unacked messages',
  needs: ['celery'],
  typicalQuickMs: 5500, // the queue window (5 s quick) and its reads
  metrics: Object.values(QUEUES_METRICS),
  thresholds: () => ({
    [QUEUES_METRICS.unconsumed.name]: ['count==0'],
    [QUEUES_METRICS.backlogged.name]: [{ warn: 'count==0' }],
    [QUEUES_METRICS.pastVisibility.name]: [{ warn: 'count==0' }],
  }),
  async run(ctx) {
    const celery = celeryOf(ctx);
    const m = ctx.metrics;
    m.headline(QUEUES_METRICS.backlogged.name);
    const { queues: all, consumers, visibilityS } = await findQueues(ctx);
    if (all.length === 0) {
      throw new SkipCheck(`no queue to watch: list your queues in tasks.queues${ctx.readOnly ? ' (under --read-only the workers are not asked for theirs)' : ' (no worker answered active_queues and the broker holds no queue bindings)'}`);
    }
    const queues = all.slice(0, MAX_QUEUES);
    const amqp = celery.transport === 'amqp';
    ctx.info('queues', {
      watched: queues, not_watched: all.slice(MAX_QUEUES), consumers_from: consumers ? 'active_queues' : amqp ? 'broker' : 'unknown (--read-only on Redis)',
      ...(amqp ? { depth_from: 'passive queue.declare (ready messages; unacknowledged ones are not in it)', oldest_age: `not read: ${AMQP_NO_AGE}` } : {}),
    });
    const startedAt = performance.now();
    const watched = await watch(ctx, queues);
    const now = performance.now();
    const unconsumed = m.counter(QUEUES_METRICS.unconsumed);
    const backlogged = m.counter(QUEUES_METRICS.backlogged);
    unconsumed.add(0);
    backlogged.add(0);
    const windowS = (now - startedAt) / 1000;
    for (const [queue, w] of watched) {
      const tags = { queue };
      const depth = w.last?.depth ?? 0;
      const depthGauge = m.gauge(QUEUES_METRICS.depth, tags);
      for (const d of w.depths) depthGauge.set(d);
      // A queue no live worker lists in active_queues has no consumer (when the workers were asked).
      const nConsumers = w.consumers ?? (consumers ? (consumers.get(queue) ?? 0) : undefined);
      if (nConsumers !== undefined) m.gauge(QUEUES_METRICS.consumers, tags).set(nConsumers);
      const age = oldestAgeS(w, startedAt, now);
      if (age !== undefined) m.gauge(QUEUES_METRICS.age, tags).set(Math.round(age * 10) / 10);
      if (depth === 0) continue;
      const ageText = age !== undefined ? `; the oldest message has waited at least ${Math.round(age)} s` : amqp ? ' (RabbitMQ: the age of its oldest message cannot be read without consuming it)' : '';
      const trend = `depth ${w.depths[0]} → ${depth} over ${windowS.toFixed(1)} s`;
      if (nConsumers === 0) {
        unconsumed.add(1);
        ctx.finding({
          severity: 'error', subject: queue, title: `queue "${queue}": ${depth} messages waiting and no worker consumes it${ageText}`,
          detail: `${trend}. Tasks routed to "${queue}" are never run until a worker consumes it.`,
          recommendation: `Start a worker for it (\`celery -A <app> worker -Q ${queue}\`) or add it to a worker's -Q list; check task_routes if the tasks should go elsewhere.`,
          data: { depth, age_s: age ?? null },
        });
        continue;
      }
      const stuck = (w.last?.oldest ?? []).some((msg) => msg.id !== undefined && w.startIds.has(msg.id));
      if (stuck || (age !== undefined && age >= ctx.config.tasks.max_message_age_s)) {
        backlogged.add(1);
        ctx.finding({
          severity: 'warn', subject: queue, title: `queue "${queue}": backlog of ${depth} messages${ageText}`,
          detail: `${trend}${stuck ? '; the same message stayed next in line for the whole window: every consumer is busy' : ''}.`,
          recommendation: `Add workers or processes for "${queue}", or move its long tasks to a queue of their own.`,
          data: { depth, age_s: age ?? null },
        });
      }
    }
    await unackedFindings(ctx, visibilityS, queues);
  },
};

/** RabbitMQ's unacknowledged messages per queue from its management API, or why they cannot be read (never a 0 in their place). */
async function managedUnacked(ctx: CheckContext, queues: string[]): Promise<void> {
  const read = await celeryOf(ctx).managedQueues(queues, { signal: ctx.signal });
  if (!read) return;
  if ('unavailable' in read) {
    ctx.info('unacked', `unavailable: ${read.unavailable}`);
    return;
  }
  for (const [q, s] of read.queues) ctx.metrics.gauge(QUEUES_METRICS.unacked, { queue: q }).set(s.unacked);
  ctx.info('unacked', { from: `management API at ${read.endpoint}`, by_queue: Object.fromEntries([...read.queues].map(([q, s]) => [q, s.unacked])), missing_queues: queues.filter((q) => !read.queues.has(q)) });
}

/** The Redis transport's unacked messages: per queue, and those delivered longer ago than the visibility timeout. */
async function unackedFindings(ctx: CheckContext, visibilityS: number, queues: string[]): Promise<void> {
  const past = ctx.metrics.counter(QUEUES_METRICS.pastVisibility);
  past.add(0);
  if (celeryOf(ctx).transport === 'amqp') return managedUnacked(ctx, queues);
  const summary = await celeryOf(ctx).unacked({ signal: ctx.signal });
  if (!summary) return;
  for (const q of queues) ctx.metrics.gauge(QUEUES_METRICS.unacked, { queue: q }).set(summary.byQueue.get(q) ?? 0);
  // kombu's unacked_index scores are the delivery times (epoch seconds, the worker's clock).
  const cutoff = new Date().getTime() / 1000 - visibilityS;
  const old = summary.deliveredAt.filter((t) => t < cutoff).length;
  ctx.info('unacked', { count: summary.count, sampled: summary.sampled, by_queue: Object.fromEntries(summary.byQueue), visibility_timeout_s: visibilityS, past_visibility_timeout: old });
  if (old === 0) return;
  past.add(old);
  ctx.finding({
    severity: 'warn', title: `${old} unacked message(s) delivered more than the visibility timeout (${visibilityS} s) ago`,
    detail: 'kombu hands an unacknowledged message out again after visibility_timeout: these run (or ran) twice, or their worker died holding them. ETA/countdown tasks wait here until due.',
    recommendation: 'Raise broker_transport_options visibility_timeout above your longest task and countdown, or keep long countdowns out of the broker.',
  });
}
