// The CeleryTarget: protocol-v2 messages over a transport, results from the Redis backend, control over the pidbox.
import { randomUUID } from 'node:crypto';
import { withTimeout } from '../../exec/timeout.js';
import type { TargetFacts } from '../../result/model.js';
import { buildTaskMessage, ORIGIN, type ResultMeta } from './protocol.js';
import type { RedisResultBackend } from './redis-backend.js';
import { newReplyKey } from './reply-key.js';
import type { CeleryTarget, EventStream, ManagementRead, QueuePeek, ResultOptions, SendOptions, TaskOutcome, UnackedSummary, WorkerReply } from './target.js';
import type { Transport } from './transport.js';

export interface ClientOptions {
  transport: Transport;
  backend?: RedisResultBackend;
  facts: TargetFacts;
  defaultQueue: string;
  /** Default control reply wait (ms), like `celery inspect --timeout`. */
  controlTimeoutMs: number;
  /** Upper bound of clean-up at the end (forgetting results, closing connections), so a frozen broker cannot hold it. */
  closeMs: number;
}

/** Task ids noted in the result backend per round trip: one write covers this many sends. */
const ID_BATCH = 256;

export class CeleryClient implements CeleryTarget {
  readonly kind = 'celery' as const;
  readonly facts: TargetFacts;
  readonly transport: 'redis' | 'amqp';
  readonly hasResultBackend: boolean;
  readonly defaultQueue: string;
  private readonly sent = new Map<string, string>(); // task id -> queue, until forgotten
  /** Ids already noted as this run's in the result backend, not yet used. */
  private readonly reserved: string[] = [];
  private reserving: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly opts: ClientOptions) {
    this.facts = opts.facts;
    this.transport = opts.transport.kind;
    this.hasResultBackend = opts.backend !== undefined;
    this.defaultQueue = opts.defaultQueue;
  }

  /** A fresh task id, noted in the result backend before use (so a killed run's result keys can be reaped). */
  async newTaskId(signal?: AbortSignal): Promise<string> {
    const backend = this.opts.backend;
    if (!backend) return randomUUID();
    while (this.reserved.length === 0) {
      this.reserving ??= (async () => {
        const ids = Array.from({ length: ID_BATCH }, () => randomUUID());
        await backend.own(ids, signal);
        this.reserved.push(...ids);
      })().finally(() => (this.reserving = undefined));
      await this.reserving;
    }
    return this.reserved.pop()!;
  }

  async send(task: string, args: unknown[], opts: SendOptions = {}): Promise<string> {
    const queue = opts.queue ?? this.defaultQueue;
    const id = opts.id ?? (await this.newTaskId(opts.signal));
    const msg = buildTaskMessage(task, args, {
      id,
      // Without a backend stackprobe cannot read or delete results: the worker is asked not to store them at all.
      ignoreResult: !this.hasResultBackend,
      ...(opts.kwargs ? { kwargs: opts.kwargs } : {}),
      ...(opts.expiresInMs ? { ttlMs: opts.expiresInMs } : {}),
    });
    this.sent.set(msg.id, queue);
    await this.opts.transport.publish(queue, msg, opts.signal ? { signal: opts.signal } : {});
    return msg.id;
  }

  async result(id: string, timeoutMs: number, opts: ResultOptions = {}): Promise<TaskOutcome | null> {
    const backend = this.opts.backend;
    if (!backend) return null;
    let retries = 0;
    const meta = await backend.wait(id, timeoutMs, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onSubscribed ? { onSubscribed: opts.onSubscribed } : {}),
      onState: (m: ResultMeta) => void (m.status === 'RETRY' && retries++),
    });
    if (!meta) return null;
    // A finished task's message is gone from the queue: nothing to take back.
    this.opts.transport.settled?.(id);
    return {
      status: meta.status,
      result: meta.result,
      retries,
      ...(meta.date_done ? { dateDone: meta.date_done } : {}),
      ...(meta.traceback ? { traceback: meta.traceback } : {}),
    };
  }

  async forget(ids: string[]): Promise<void> {
    const byQueue = new Map<string, string[]>();
    const known: string[] = [];
    for (const id of ids) {
      const q = this.sent.get(id);
      if (q === undefined) continue;
      this.sent.delete(id);
      known.push(id);
      byQueue.set(q, [...(byQueue.get(q) ?? []), id]);
    }
    const work = async () => {
      for (const [q, list] of byQueue) await this.opts.transport.withdraw(q, list);
      await this.opts.backend?.forget(known);
    };
    // Bounded: on a frozen broker the result keys are left to the next run's reaping (and to their own TTL).
    await withTimeout(work(), this.opts.closeMs, 'cleaning up the probe tasks');
  }

  queueDepth(queue: string, opts: { signal?: AbortSignal } = {}): Promise<number> {
    return this.opts.transport.depth(queue, opts);
  }

  peekQueue(queue: string, opts: { signal?: AbortSignal; idle?: boolean } = {}): Promise<QueuePeek> {
    return this.opts.transport.peekQueue(queue, opts);
  }

  async knownQueues(opts: { signal?: AbortSignal; limit?: number } = {}): Promise<string[] | undefined> {
    return this.opts.transport.knownQueues?.(opts);
  }

  async unacked(opts: { signal?: AbortSignal; limit?: number } = {}): Promise<UnackedSummary | undefined> {
    return this.opts.transport.unacked?.(opts);
  }

  async managedQueues(queues: readonly string[], opts: { signal?: AbortSignal } = {}): Promise<ManagementRead | undefined> {
    return this.opts.transport.managedQueues?.(queues, opts);
  }

  events(onEvent: (event: Record<string, unknown>) => void, opts: { signal?: AbortSignal } = {}): Promise<EventStream> {
    return this.opts.transport.events(onEvent, opts);
  }

  async control(command: string, args: Record<string, unknown> = {}, o: { timeoutMs?: number; limit?: number; signal?: AbortSignal; destination?: string[] } = {}): Promise<WorkerReply[]> {
    const ticket = randomUUID();
    const timeoutMs = o.timeoutMs ?? this.opts.controlTimeoutMs;
    const replyKey = newReplyKey(new Date().getTime() + timeoutMs);
    const t0 = performance.now();
    const replies = await this.opts.transport.broadcast({
      body: { method: command, arguments: args, destination: o.destination ?? null, pattern: null, matcher: null, ticket, reply_to: { exchange: 'reply.celery.pidbox', routing_key: replyKey } },
      // Workers ignore a command whose `expires` (epoch seconds) has passed: a late delivery does nothing.
      headers: { clock: 1, expires: new Date().getTime() / 1000 + timeoutMs / 1000, origin: ORIGIN },
      replyKey,
      timeoutMs,
      ...(o.limit !== undefined ? { limit: o.limit } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    return replies.flatMap((r) => Object.entries(r.body).map(([worker, reply]) => ({ worker, reply, latencyMs: r.at - t0 })));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let forgotten = true;
    try {
      await this.forget([...this.sent.keys()]).catch((err: unknown) => {
        forgotten = false;
        throw err;
      });
    } finally {
      await this.opts.backend?.close(this.opts.closeMs, { keepList: !forgotten });
      await this.opts.transport.close();
    }
  }
}
