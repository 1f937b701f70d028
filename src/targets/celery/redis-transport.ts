// Celery over Redis, kombu's layout: tasks LPUSHed onto the queue's list, control over the pidbox fanout channel.
import { Redis } from 'ioredis';
import { sleep, withTimeout } from '../../exec/timeout.js';
import { TimeoutError } from '../../util/errors.js';
import { bounded, LostReason } from './bounded.js';
import { bindingKey, bindingMember, decodeEnvelope, encodeJsonEnvelope, encodeTaskEnvelope, fanoutChannel, messageHeaders, queueKeyFor, queueKeys, queuesOfBindings, SEP, UNACKED_INDEX_KEY, UNACKED_KEY } from './kombu-redis.js';
import type { TaskMessage } from './protocol.js';
import { isAbandonedReplyKey } from './reply-key.js';
import { EVENT_EXCHANGE, PIDBOX_EXCHANGE, REPLY_EXCHANGE, type BroadcastRequest, type ControlReply, type EventStream, type MessageHeaders, type QueuePeek, type Transport, type UnackedSummary } from './transport.js';

/** The database index of a redis:// URL (`/7`); 0 when none is given. */
export function redisDb(url: string): number {
  const db = Number(new URL(url).pathname.replace(/^\//, '') || '0');
  return Number.isInteger(db) ? db : 0;
}

export interface RedisTimeouts {
  connectMs: number;
  /** A command without a reply after this long fails (a frozen broker), instead of waiting forever. */
  commandMs: number;
}

export function redisOptions(t: RedisTimeouts) {
  return {
    lazyConnect: true,
    connectTimeout: t.connectMs,
    commandTimeout: t.commandMs,
    maxRetriesPerRequest: 2,
    // A broker that goes away fails commands quickly instead of queueing them forever.
    retryStrategy: (times: number) => (times > 5 ? null : 200),
  } as const;
}

/**
 * A connected client; its connection errors are kept in `lost` (the first says why: ECONNRESET, auth). Connecting, the
 * ready check, PING and SELECT together take at most `connectMs`: ioredis's connectTimeout covers only the TCP connect,
 * so a listener that accepts and never answers held the ready check, then each command's timeout, then reconnects (63 s).
 */
export async function connectRedis(url: string, t: RedisTimeouts, lost = new LostReason()): Promise<Redis> {
  const client = new Redis(url, redisOptions(t));
  client.on('error', (err: unknown) => lost.note(err));
  const steps = async () => {
    await client.connect();
    await client.ping();
    // ioredis only reports a refused SELECT as an event and stays on db 0: tasks would land where no worker reads.
    const db = redisDb(url);
    if (db !== 0) await client.select(db);
  };
  try {
    await withTimeout(steps(), t.connectMs, 'connecting').catch((err: unknown) => {
      if (err instanceof TimeoutError) throw new TimeoutError(`no Redis answer within connect_ms (${t.connectMs} ms): the server accepted the connection or is unreachable, but did not answer`);
      throw err;
    });
  } catch (err) {
    client.disconnect();
    throw lost.explain(err);
  }
  return client;
}

export class RedisTransport implements Transport {
  readonly kind = 'redis' as const;
  /** Exact payloads we pushed and no worker has taken yet, by task id: LREM takes back exactly these, nothing else. */
  private readonly pushed = new Map<string, { key: string; payload: string }>();

  constructor(
    private readonly client: Redis,
    private readonly db: number,
    private readonly t: RedisTimeouts,
    private readonly lost: LostReason,
  ) {}

  private bound<T>(p: Promise<T>, what: string, signal?: AbortSignal): Promise<T> {
    return bounded(p, this.t.commandMs, what, signal).catch((err: unknown) => {
      throw this.lost.explain(err);
    });
  }

  async publish(queue: string, msg: TaskMessage, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const key = queueKeyFor(queue, msg.properties.priority);
    const payload = encodeTaskEnvelope(msg, '', queue);
    // Noted before the push: a push whose reply is lost may still have landed, and must still be taken back.
    this.pushed.set(msg.id, { key, payload });
    await this.bound(this.client.lpush(key, payload), 'publishing to the Redis broker', opts.signal);
  }

  /** Forgets a published message (it was taken or finished), so withdraw() does not try it. */
  settled(id: string): void {
    this.pushed.delete(id);
  }

  async depth(queue: string, opts: { signal?: AbortSignal } = {}): Promise<number> {
    const pipe = this.client.pipeline();
    for (const k of queueKeys(queue)) pipe.llen(k);
    const res = (await this.bound(pipe.exec(), 'reading the queue depth', opts.signal)) ?? [];
    let sum = 0;
    for (const [err, n] of res) {
      // A depth that silently reads 0 on error would look like an empty queue.
      if (err) throw this.lost.explain(err);
      sum += Number(n);
    }
    return sum;
  }

  async peekQueue(queue: string, opts: { signal?: AbortSignal; idle?: boolean } = {}): Promise<QueuePeek> {
    const keys = queueKeys(queue);
    const pipe = this.client.pipeline();
    // OBJECT IDLETIME first: LLEN and LINDEX below touch the lists and would reset it.
    if (opts.idle) for (const k of keys) pipe.object('IDLETIME', k);
    // kombu LPUSHes and workers BRPOP: the right end (index -1) is the next message out, the oldest of its level.
    for (const k of keys) pipe.llen(k).lindex(k, -1);
    const res = (await this.bound(pipe.exec(), 'reading the queue', opts.signal)) ?? [];
    const idle = opts.idle ? res.splice(0, keys.length) : [];
    let depth = 0;
    let idleS: number | undefined;
    const oldest: MessageHeaders[] = [];
    for (let i = 0; i < keys.length; i++) {
      const [lenErr, len] = res[2 * i]!;
      const [tailErr, tail] = res[2 * i + 1]!;
      if (lenErr || tailErr) throw this.lost.explain(lenErr ?? tailErr);
      depth += Number(len);
      if (typeof tail !== 'string') continue;
      oldest.push(messageHeaders(tail));
      // An error here is an LFU eviction policy (no idle time kept): the age is then only what stackprobe sees.
      const [idleErr, seconds] = idle[i] ?? [null, undefined];
      if (!idleErr && typeof seconds === 'number') idleS = Math.min(idleS ?? seconds, seconds);
    }
    return { depth, oldest, ...(idleS !== undefined ? { idleS } : {}) };
  }

  async knownQueues(opts: { signal?: AbortSignal; limit?: number } = {}): Promise<string[]> {
    const limit = opts.limit ?? 1000;
    const keys: string[] = [];
    let cursor = '0';
    // SCAN in bounded steps: a big keyspace is walked at most `limit` binding sets and 50 steps far.
    for (let step = 0; step < 50 && keys.length < limit; step++) {
      const [next, found] = await this.bound(this.client.scan(cursor, 'MATCH', bindingKey('*'), 'COUNT', 1000), 'listing queue bindings', opts.signal);
      keys.push(...found);
      cursor = next;
      if (cursor === '0') break;
    }
    const pipe = this.client.pipeline();
    for (const k of keys.slice(0, limit)) pipe.srandmember(k, 100);
    const res = (await this.bound(pipe.exec(), 'reading queue bindings', opts.signal)) ?? [];
    return queuesOfBindings(res.flatMap(([err, members]) => (err || !Array.isArray(members) ? [] : (members as string[]))));
  }

  async unacked(opts: { signal?: AbortSignal; limit?: number } = {}): Promise<UnackedSummary> {
    const limit = opts.limit ?? 1000;
    const [count, index] = await this.bound(Promise.all([
      this.client.hlen(UNACKED_KEY),
      this.client.zrange(UNACKED_INDEX_KEY, 0, limit - 1, 'WITHSCORES'),
    ]), 'reading the unacked messages', opts.signal);
    const deliveredAt: number[] = [];
    for (let i = 1; i < index.length; i += 2) deliveredAt.push(Number(index[i]));
    const byQueue = new Map<string, number>();
    const etas: string[] = [];
    let sampled = 0;
    let cursor = '0';
    // HSCAN in bounded steps; each value is kombu's `[envelope, exchange, routing_key]`.
    do {
      const [next, flat] = await this.bound(this.client.hscan(UNACKED_KEY, cursor, 'COUNT', 200), 'reading the unacked messages', opts.signal);
      cursor = next;
      for (let i = 1; i < flat.length && sampled < limit; i += 2, sampled++) {
        const entry = unackedEntry(flat[i]!);
        if (!entry) continue;
        byQueue.set(entry.queue, (byQueue.get(entry.queue) ?? 0) + 1);
        if (entry.eta) etas.push(entry.eta);
      }
    } while (cursor !== '0' && sampled < limit);
    return { count, deliveredAt, byQueue, etas, sampled };
  }

  async events(onEvent: (event: Record<string, unknown>) => void, opts: { signal?: AbortSignal } = {}): Promise<EventStream> {
    // A subscriber of its own: PSUBSCRIBE reads the channel the workers PUBLISH events on, and writes nothing.
    const sub = this.client.duplicate();
    sub.on('error', (err: unknown) => this.lost.note(err));
    sub.on('pmessage', (_pattern: string, _channel: string, text: string) => {
      const body = decodeEnvelope(text)?.body;
      // A worker flushes its buffered task events as one message whose body is a list.
      for (const e of Array.isArray(body) ? body : [body]) if (e && typeof e === 'object') onEvent(e as Record<string, unknown>);
    });
    try {
      await this.bound(sub.psubscribe(fanoutChannel(this.db, EVENT_EXCHANGE, '*')), 'subscribing to Celery events', opts.signal);
    } catch (err) {
      sub.disconnect();
      throw err;
    }
    return { stop: async () => void sub.disconnect() };
  }

  async withdraw(queue: string, ids: Iterable<string>): Promise<number> {
    const pipe = this.client.pipeline();
    const wanted = new Set<string>();
    for (const id of ids) {
      const p = this.pushed.get(id);
      if (!p) continue;
      pipe.lrem(p.key, 1, p.payload);
      this.pushed.delete(id);
      wanted.add(id);
    }
    if (wanted.size === 0) return 0;
    const res = (await this.bound(pipe.exec(), 'taking back unconsumed probes')) ?? [];
    const removed = res.reduce((sum, [err, n]) => (err ? sum : sum + Number(n)), 0);
    // A worker that shut down re-queues the messages it had prefetched, re-serialised: find those by task id.
    return removed < wanted.size && queue ? removed + (await this.withdrawRequeued(queue, wanted)) : removed;
  }

  private async withdrawRequeued(queue: string, ids: Set<string>): Promise<number> {
    let removed = 0;
    for (const key of queueKeys(queue)) {
      // Bounded: a probe queue is short; a huge shared queue is not scanned past this.
      for (const text of await this.bound(this.client.lrange(key, 0, 9999), 'reading the queue')) {
        const id = decodeEnvelope(text)?.headers.id;
        if (typeof id === 'string' && ids.has(id)) removed += await this.bound(this.client.lrem(key, 1, text), 'taking back a probe');
      }
    }
    return removed;
  }

  async broadcast(req: BroadcastRequest): Promise<ControlReply[]> {
    const replyQueue = `${req.replyKey}.${REPLY_EXCHANGE}`;
    const member = bindingMember(req.replyKey, replyQueue);
    // Our reply queue exists only for this call: bound, read, then unbound and deleted, whatever happens.
    await this.bound(this.client.sadd(bindingKey(REPLY_EXCHANGE), member), 'binding the control reply queue', req.signal);
    const reader = this.client.duplicate({ commandTimeout: this.t.commandMs + BRPOP_SLICE_MS });
    reader.on('error', (err: unknown) => this.lost.note(err));
    try {
      const payload = encodeJsonEnvelope(req.body, req.headers, PIDBOX_EXCHANGE, '');
      const receivers = await this.bound(this.client.publish(fanoutChannel(this.db, PIDBOX_EXCHANGE), payload), 'sending a control command', req.signal);
      // Each worker's pidbox is one pattern subscriber: nobody subscribed means no worker will ever answer.
      const limit = Math.min(req.limit ?? Number.POSITIVE_INFINITY, receivers);
      return await this.collect(reader, replyQueue, req, limit);
    } finally {
      reader.disconnect();
      // Not tied to the caller's signal: the binding must go even when the check was aborted (bounded by the timeout).
      await this.bound(this.client.multi().srem(bindingKey(REPLY_EXCHANGE), member).del(replyQueue).exec(), 'removing the control reply queue');
    }
  }

  async reapAbandonedReplies(timeMs: number, nowMs = new Date().getTime()): Promise<number> {
    const deadline = performance.now() + timeMs;
    const key = bindingKey(REPLY_EXCHANGE);
    let removed = 0;
    let cursor = '0';
    // SSCAN in bounded steps: the set holds every live broadcast's binding (Celery's own `inspect` clients' too).
    do {
      const [next, members] = await this.bound(this.client.sscan(key, cursor, 'COUNT', 200), 'listing control reply bindings');
      cursor = next;
      for (const member of members) {
        const [routingKey, , queue] = member.split(SEP);
        if (routingKey === undefined || queue === undefined || !isAbandonedReplyKey(routingKey, nowMs)) continue;
        await this.bound(this.client.multi().srem(key, member).del(queue).exec(), 'removing an abandoned reply queue');
        removed++;
      }
    } while (cursor !== '0' && performance.now() < deadline);
    return removed;
  }

  private async collect(reader: Redis, replyQueue: string, req: BroadcastRequest, limit: number): Promise<ControlReply[]> {
    const replies: ControlReply[] = [];
    const deadline = performance.now() + req.timeoutMs;
    const ticket = req.body.ticket;
    while (replies.length < limit && !req.signal?.aborted) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      // BRPOP in short slices so an abort is noticed promptly.
      const popped = await this.bound(reader.brpop(replyQueue, Math.max(0.05, Math.min(left, BRPOP_SLICE_MS) / 1000)), 'reading control replies', req.signal);
      if (!popped) continue;
      const at = performance.now();
      const env = decodeEnvelope(popped[1]);
      if (!env || (env.headers.ticket !== undefined && env.headers.ticket !== ticket)) continue;
      if (env.body && typeof env.body === 'object') replies.push({ body: env.body as Record<string, unknown>, at });
    }
    return replies;
  }

  async close(): Promise<void> {
    try {
      await this.withdraw('', [...this.pushed.keys()]);
    } finally {
      await Promise.race([this.client.quit().catch(() => this.client.disconnect()), sleep(this.t.connectMs)]);
      this.client.disconnect();
    }
  }
}

/** One BRPOP waits at most this long, so an abort between slices is noticed promptly. */
const BRPOP_SLICE_MS = 250;

/** The queue and ETA of one unacked entry; undefined for an entry kombu did not write. */
function unackedEntry(text: string): { queue: string; eta?: string } | undefined {
  try {
    const [env, , routingKey] = JSON.parse(text) as [unknown, unknown, unknown];
    const eta = env && typeof env === 'object' ? (env as { headers?: { eta?: unknown } }).headers?.eta : undefined;
    return { queue: String(routingKey), ...(typeof eta === 'string' ? { eta } : {}) };
  } catch (err) {
    void err; // not kombu's format: not counted per queue
    return undefined;
  }
}
