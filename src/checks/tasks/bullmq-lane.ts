// tasks.bullmq: one probed BullMQ queue (the user's, or stackprobe's self-test with its own worker): connections, adding probe jobs, seeing them finish, cleanup.
import { randomBytes } from 'node:crypto';
import type { Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { withTimeout } from '../../exec/timeout.js';
import { driverRedis, endClient } from '../../targets/redis/target.js';
import { describeError, SkipCheck } from '../../util/errors.js';
import { redactText } from '../../util/redact.js';
import type { CheckContext } from '../types.js';
import { Completions } from './bullmq-completions.js';
import { PROBE_JOBS_LEFT } from './metrics.js';

export type ProbeKind = 'self_test' | 'queue';

/** The self-test's queue name; it lives under stackprobe's own run prefix, so it never meets a user's queue. */
export const SELF_TEST_QUEUE = 'stackprobe';
const CLOSE_MS = 5000;

type BullMQ = typeof import('bullmq');

/** BullMQ is an optional dependency: most stacks probed are Celery's, so it is loaded only when this check runs. */
export async function loadBullmq(specifier = 'bullmq'): Promise<BullMQ> {
  try {
    return (await import(specifier)) as BullMQ;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(`'${specifier}'`)) {
      throw new SkipCheck(`the optional package ${specifier} is not installed (npm install ${specifier}, or npm ci without --omit=optional)`);
    }
    throw err;
  }
}

export interface JobTimes {
  /** Wall-clock ms (the adder's clock). */
  timestamp: number;
  /** Wall-clock ms of the worker that ran it. */
  processedOn?: number;
  finishedOn?: number;
}

export interface Lane {
  readonly kind: ProbeKind;
  readonly queueName: string;
  readonly prefix: string;
  /** Every probe job id starts with this (`sp-<random>-`), so its events and leftovers are told apart from real jobs. */
  readonly idPrefix: string;
  readonly queue: Queue;
  readonly completions: Completions;
  /** Ids of every job added, for removal. */
  readonly ids: string[];
  /** Adds a probe job carrying `data(n)`; resolves to its id once Redis has it. */
  add(n: number): Promise<string>;
  /** The data job `n` carries (what the self-test's echo must return). */
  data(n: number): Record<string, unknown>;
  /** The job's BullMQ timestamps, null once it is gone. */
  times(id: string): Promise<JobTimes | null>;
  /** Jobs waiting (incl. prioritized) and active. */
  counts(): Promise<{ waiting: number; active: number }>;
  /** Workers connected to the queue (CLIENT LIST names), undefined when the server does not allow CLIENT LIST. */
  workers(): Promise<number | undefined>;
  /** Closes the worker, removes the probe jobs (self-test: the whole queue), ends the connections; once. */
  close(): Promise<void>;
}

/**
 * The template BullMQ duplicates for QueueEvents and the Worker (never connected itself): their blocking reads need
 * `maxRetriesPerRequest: null` and no per-command timeout. The Queue instead uses a plain connection of the target,
 * whose command timeout bounds every add, count and removal.
 */
function blockingTemplate(ctx: CheckContext): Redis {
  const client = driverRedis(ctx.targets.redis!.client).duplicate({ maxRetriesPerRequest: null, commandTimeout: undefined, connectionName: 'stackprobe-bullmq' });
  client.on('error', (err: unknown) => ctx.log.debug({ err: redactText(describeError(err)) }, 'bullmq connection error'));
  return client;
}

/** The id of the last event already in the queue's stream, so QueueEvents misses nothing added after it. */
async function lastEventId(client: Redis, prefix: string, queueName: string): Promise<string> {
  const last = await client.xrevrange(`${prefix}:${queueName}:events`, '+', '-', 'COUNT', 1);
  return last[0]?.[0] ?? '0-0';
}

function num(v: string | null | undefined): number | undefined {
  return v === null || v === '' ? undefined : Number(v);
}

export async function openLane(ctx: CheckContext, kind: ProbeKind): Promise<Lane> {
  const { Queue, QueueEvents, Worker } = await loadBullmq();
  const cfg = ctx.config.tasks.bullmq;
  const queueName = kind === 'self_test' ? SELF_TEST_QUEUE : cfg.queue!;
  const prefix = kind === 'self_test' ? `${ctx.targets.redis!.keyPrefix}bull` : cfg.prefix;
  const idPrefix = `sp-${randomBytes(5).toString('hex')}-`;
  // BullMQ takes an ioredis connection itself.
  const client = driverRedis(ctx.targets.redis!.duplicate());
  const template = blockingTemplate(ctx);
  const completions = new Completions(idPrefix);
  const ids: string[] = [];
  ctx.metrics.counter(PROBE_JOBS_LEFT, { probe: kind }).add(0);
  const onError = (what: string) => (err: unknown) => ctx.log.warn({ err: redactText(describeError(err)), queue: queueName }, `bullmq ${what} error`);
  const parts: Parts = { kind, client, template, ids };
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= closeLane(ctx, parts));
  // Registered before anything is made, so a failure half-way (or Ctrl-C) still closes what exists.
  ctx.defer(close);

  const bound = ctx.config.timeouts.connect_ms + 500;
  await withTimeout(client.connect(), bound, 'connecting to Redis for BullMQ');
  const queue = (parts.queue = new Queue(queueName, { connection: client, prefix }));
  queue.on('error', onError('queue'));
  const events = (parts.events = new QueueEvents(queueName, { connection: template, prefix, lastEventId: await lastEventId(client, prefix, queueName) }));
  events.on('error', onError('queue events'));
  events.on('completed', (e) => completions.settle(e.jobId, { status: 'completed', at: performance.now(), returnvalue: e.returnvalue }));
  events.on('failed', (e) => completions.settle(e.jobId, { status: 'failed', at: performance.now(), failedReason: e.failedReason }));
  await withTimeout(Promise.all([queue.waitUntilReady(), events.waitUntilReady()]), bound, 'opening the BullMQ queue');
  if (kind === 'self_test') {
    const worker = (parts.worker = new Worker(queueName, async (job) => job.data as unknown, { connection: template, prefix, concurrency: cfg.concurrency }));
    worker.on('error', onError('worker'));
    await withTimeout(worker.waitUntilReady(), bound, 'starting the self-test worker');
  }
  const data = (n: number): Record<string, unknown> => cfg.data ?? { stackprobe: true, n };
  return {
    kind, queueName, prefix, idPrefix, queue, completions, ids, data, close,
    async add(n) {
      const id = `${idPrefix}${ids.length}`; // unique per lane: BullMQ ignores an add whose id already exists
      ids.push(id); // before the add: a job Redis took while the reply was lost is still removed
      // Kept after finishing (overriding the worker's removeOn* defaults) so its timestamps can be read; removed by us.
      await queue.add(cfg.job_name, data(n), { jobId: id, removeOnComplete: false, removeOnFail: false, attempts: 1 });
      return id;
    },
    async times(id) {
      const [timestamp, processedOn, finishedOn] = await client.hmget(`${prefix}:${queueName}:${id}`, 'timestamp', 'processedOn', 'finishedOn');
      const ts = num(timestamp);
      return ts === undefined ? null : { timestamp: ts, processedOn: num(processedOn), finishedOn: num(finishedOn) };
    },
    async counts() {
      const c = await queue.getJobCounts('waiting', 'prioritized', 'active');
      return { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0 };
    },
    async workers() {
      try {
        return await queue.getWorkersCount();
      } catch (err) {
        // CLIENT LIST is disabled on some managed servers: the count is unknown, not zero.
        ctx.log.info({ err: redactText(describeError(err)) }, 'cannot list BullMQ workers');
        return undefined;
      }
    },
  };
}

interface Parts {
  kind: ProbeKind;
  /** The Queue's connection (a duplicate of the target's, with its command timeout). */
  client: Redis;
  template: Redis;
  queue?: Queue;
  events?: QueueEvents;
  worker?: Worker;
  ids: string[];
}

/** Bounded close; a part that does not close in time has its sockets dropped instead. */
async function closePart(ctx: CheckContext, what: string, part: { close(): Promise<void>; disconnect(): Promise<void> } | undefined): Promise<void> {
  if (!part) return;
  try {
    await withTimeout(part.close(), CLOSE_MS, `closing the BullMQ ${what}`);
  } catch (err) {
    ctx.log.warn({ err: redactText(describeError(err)) }, `closing the BullMQ ${what} failed; disconnecting`);
    await part.disconnect();
  }
}

/**
 * Worker first (nothing may recreate keys after), then the probe jobs: the self-test queue is obliterated whole, the
 * user's queue loses exactly the jobs stackprobe added; then events, queue and the connection.
 */
async function closeLane(ctx: CheckContext, p: Parts): Promise<void> {
  try {
    await closePart(ctx, 'worker', p.worker);
    if (p.queue && p.client.status === 'ready') {
      if (p.kind === 'self_test') await withTimeout(p.queue.obliterate({ force: true }), 30_000, 'obliterating the self-test queue');
      else await removeProbeJobs(ctx, p.queue, p.ids);
    }
  } finally {
    await closePart(ctx, 'queue events', p.events);
    await closePart(ctx, 'queue', p.queue);
    await endClient(p.client);
    p.template.disconnect();
  }
}

const REMOVE_CHUNK = 200;

/** Removes the probe jobs from the user's queue; one a worker still holds (locked) is retried until it finishes. */
async function removeProbeJobs(ctx: CheckContext, queue: Queue, ids: string[]): Promise<void> {
  let left = [...ids];
  const deadline = performance.now() + Math.min(ctx.config.tasks.bullmq.result_timeout_ms, 10_000);
  while (left.length > 0) {
    const locked: string[] = [];
    for (let i = 0; i < left.length; i += REMOVE_CHUNK) {
      const chunk = left.slice(i, i + REMOVE_CHUNK);
      const codes = await withTimeout(Promise.all(chunk.map((id) => queue.remove(id))), 30_000, 'removing probe jobs');
      chunk.forEach((id, j) => codes[j] !== 1 && locked.push(id));
    }
    left = locked;
    if (left.length === 0 || performance.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200)); // not ctx.signal: cleanup must go on after Ctrl-C
  }
  ctx.metrics.counter(PROBE_JOBS_LEFT, { probe: 'queue' }).add(left.length);
  if (left.length > 0) {
    ctx.finding({
      severity: 'warn', subject: queue.name, title: `${left.length} probe job(s) could not be removed from "${queue.name}"`,
      detail: `A worker still held them (locked) when the check ended. Their ids start with "${left[0]!.replace(/\d+$/, '')}".`,
      recommendation: `Remove them once finished, e.g. \`queue.remove(id)\` for each id starting with that prefix, or let your retention settings clean the completed set.`,
    });
  }
}
