// The CeleryTarget: protocol-v2 messages over a transport, results from the Redis backend, control over the pidbox.
import { randomUUID } from 'node:crypto';
import type { TargetFacts } from '../../result/model.js';
import { buildTaskMessage, ORIGIN, type ResultMeta } from './protocol.js';
import type { RedisResultBackend } from './redis-backend.js';
import type { CeleryTarget, SendOptions, TaskOutcome, WorkerReply } from './target.js';
import type { Transport } from './transport.js';

export interface ClientOptions {
  transport: Transport;
  backend?: RedisResultBackend;
  facts: TargetFacts;
  defaultQueue: string;
  /** Default control reply wait (ms), like `celery inspect --timeout`. */
  controlTimeoutMs: number;
}

export class CeleryClient implements CeleryTarget {
  readonly kind = 'celery' as const;
  readonly facts: TargetFacts;
  readonly transport: 'redis' | 'amqp';
  readonly hasResultBackend: boolean;
  readonly defaultQueue: string;
  private readonly sent = new Map<string, string>(); // task id -> queue, until forgotten
  private closed = false;

  constructor(private readonly opts: ClientOptions) {
    this.facts = opts.facts;
    this.transport = opts.transport.kind;
    this.hasResultBackend = opts.backend !== undefined;
    this.defaultQueue = opts.defaultQueue;
  }

  async send(task: string, args: unknown[], opts: SendOptions = {}): Promise<string> {
    const queue = opts.queue ?? this.defaultQueue;
    const msg = buildTaskMessage(task, args, {
      ...(opts.kwargs ? { kwargs: opts.kwargs } : {}),
      ...(opts.expiresInMs ? { ttlMs: opts.expiresInMs } : {}),
    });
    this.sent.set(msg.id, queue);
    await this.opts.transport.publish(queue, msg);
    return msg.id;
  }

  async result(id: string, timeoutMs: number, opts: { signal?: AbortSignal } = {}): Promise<TaskOutcome | null> {
    const backend = this.opts.backend;
    if (!backend) return null;
    let retries = 0;
    const meta = await backend.wait(id, timeoutMs, {
      ...(opts.signal ? { signal: opts.signal } : {}),
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
    for (const id of ids) {
      const q = this.sent.get(id);
      if (q === undefined) continue;
      this.sent.delete(id);
      byQueue.set(q, [...(byQueue.get(q) ?? []), id]);
    }
    for (const [q, list] of byQueue) await this.opts.transport.withdraw(q, list);
    await this.opts.backend?.forget(ids);
  }

  queueDepth(queue: string): Promise<number> {
    return this.opts.transport.depth(queue);
  }

  async control(command: string, args: Record<string, unknown> = {}, o: { timeoutMs?: number; limit?: number; signal?: AbortSignal } = {}): Promise<WorkerReply[]> {
    const ticket = randomUUID();
    const replyKey = randomUUID();
    const timeoutMs = o.timeoutMs ?? this.opts.controlTimeoutMs;
    const t0 = performance.now();
    const replies = await this.opts.transport.broadcast({
      body: { method: command, arguments: args, destination: null, pattern: null, matcher: null, ticket, reply_to: { exchange: 'reply.celery.pidbox', routing_key: replyKey } },
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
    try {
      await this.forget([...this.sent.keys()]);
    } finally {
      await this.opts.backend?.close();
      await this.opts.transport.close();
    }
  }
}
