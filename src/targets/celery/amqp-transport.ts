// Celery over RabbitMQ (AMQP 0-9-1 with amqplib): tasks to the default exchange, control through the pidbox exchanges.
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { withTimeout } from '../../exec/timeout.js';
import { bounded, LostReason } from './bounded.js';
import { parsePythonJson, type TaskMessage } from './protocol.js';
import { readManagedQueues, type ManagementRead } from './rabbitmq-management.js';
import { EVENT_EXCHANGE, PIDBOX_EXCHANGE, REPLY_EXCHANGE, type BroadcastRequest, type ControlReply, type EventStream, type QueuePeek, type Transport } from './transport.js';

export class AmqpTransport implements Transport {
  readonly kind = 'amqp' as const;
  private readonly known = new Set<string>();
  /** Queues stackprobe had to declare (no worker had yet): deleted at close when empty and unused. */
  private readonly declared = new Set<string>();

  private constructor(
    private readonly conn: ChannelModel,
    private readonly pub: ConfirmChannel,
    private readonly opMs: number,
    private readonly connectMs: number,
    private readonly lost: LostReason,
    /** Holds the credentials: only the management reader sees it, never a message. */
    private readonly url: string,
  ) {}

  static async connect(url: string, connectMs: number, opMs: number): Promise<AmqpTransport> {
    const lost = new LostReason();
    const conn = await withTimeout(amqp.connect(url, { timeout: connectMs }), connectMs, 'connecting to the AMQP broker');
    // A lost connection must fail the operations that need it, with the reason, never crash the run.
    conn.on('error', (err: unknown) => lost.note(err));
    conn.on('close', (err?: unknown) => lost.note(err ?? new Error('the AMQP connection was closed')));
    try {
      const pub = await withTimeout(conn.createConfirmChannel(), opMs, 'opening an AMQP channel');
      pub.on('error', (err: unknown) => lost.note(err));
      return new AmqpTransport(conn, pub, opMs, connectMs, lost, url);
    } catch (err) {
      void conn.close().catch(() => undefined); // the channel failure is what the caller hears
      throw err;
    }
  }

  private bound<T>(p: Promise<T>, what: string, signal?: AbortSignal): Promise<T> {
    return bounded(p, this.opMs, what, signal).catch((err: unknown) => {
      throw this.lost.explain(err);
    });
  }

  /** A channel of its own, every step bounded; closed afterwards (a passive declare of a missing queue closes it: 404). */
  private async onTempChannel<T>(fn: (ch: Channel) => Promise<T>, what: string, signal?: AbortSignal): Promise<T> {
    const ch = await this.bound(this.conn.createChannel(), `${what} (opening a channel)`, signal);
    ch.on('error', () => undefined); // a 404 on a passive declare is an answer (see exists), not a failure of the run
    try {
      return await this.bound(fn(ch), what, signal);
    } finally {
      void ch.close().catch(() => undefined); // already closed by the broker after a 404, or the broker is gone
    }
  }

  private async exists(kind: 'queue' | 'exchange', name: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.onTempChannel((ch) => (kind === 'queue' ? ch.checkQueue(name) : ch.checkExchange(name)), `checking ${kind} ${name}`, signal);
      return true;
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) return false;
      throw err;
    }
  }

  private async ensureQueue(queue: string, signal?: AbortSignal): Promise<void> {
    if (this.known.has(queue)) return;
    if (!(await this.exists('queue', queue, signal))) {
      // The same declaration a Celery worker makes (durable, no arguments), so a worker started later accepts it.
      await this.onTempChannel((ch) => ch.assertQueue(queue, { durable: true, autoDelete: false }), `declaring queue ${queue}`, signal);
      this.declared.add(queue);
    }
    this.known.add(queue);
  }

  async publish(queue: string, msg: TaskMessage, opts: { signal?: AbortSignal } = {}): Promise<void> {
    await this.ensureQueue(queue, opts.signal);
    await this.bound(
      new Promise<void>((resolve, reject) => {
        this.pub.publish('', queue, Buffer.from(msg.body, 'utf8'), {
          contentType: msg.contentType,
          contentEncoding: msg.contentEncoding,
          headers: msg.headers,
          correlationId: msg.properties.correlation_id,
          replyTo: msg.properties.reply_to || undefined,
          deliveryMode: msg.properties.delivery_mode,
          priority: msg.properties.priority,
          // The broker drops a probe nobody took in time, so a stopped worker leaves no backlog behind.
          ...(msg.ttlMs ? { expiration: String(Math.round(msg.ttlMs)) } : {}),
        }, (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()));
      }),
      'publishing to the AMQP broker (waiting for its confirm)',
      opts.signal,
    );
  }

  async depth(queue: string, opts: { signal?: AbortSignal } = {}): Promise<number> {
    try {
      return (await this.onTempChannel((ch) => ch.checkQueue(queue), 'reading the queue depth', opts.signal)).messageCount;
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) return 0;
      throw err;
    }
  }

  /** A passive declare: depth and consumers; a message cannot be read without taking it, so no headers. */
  async peekQueue(queue: string, opts: { signal?: AbortSignal; idle?: boolean } = {}): Promise<QueuePeek> {
    try {
      const q = await this.onTempChannel((ch) => ch.checkQueue(queue), 'reading the queue', opts.signal);
      return { depth: q.messageCount, consumers: q.consumerCount, oldest: [] };
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) return { depth: 0, consumers: 0, oldest: [] };
      throw err;
    }
  }

  /** Ready and unacknowledged messages from the management API (HTTP, read-only), or why it cannot be read. */
  async managedQueues(queues: readonly string[], opts: { signal?: AbortSignal } = {}): Promise<ManagementRead> {
    return readManagedQueues(this.url, queues, this.opMs * 2, opts.signal);
  }

  async events(onEvent: (event: Record<string, unknown>) => void, opts: { signal?: AbortSignal } = {}): Promise<EventStream> {
    if (!(await this.exists('exchange', EVENT_EXCHANGE, opts.signal))) return { stop: async () => undefined };
    const ch = await this.bound(this.conn.createChannel(), 'opening an event channel', opts.signal);
    ch.on('error', (err: unknown) => this.lost.note(err));
    const stop = async () => void (await withTimeout(ch.close(), this.opMs, 'closing the event channel').catch(() => undefined));
    try {
      // A private exclusive queue bound to every routing key, removed by the broker with the channel (as celery events does).
      const q = await this.bound(ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false, arguments: { 'x-message-ttl': 5000 } }), 'declaring the event queue', opts.signal);
      await this.bound(ch.bindQueue(q.queue, EVENT_EXCHANGE, '#'), 'binding the event queue', opts.signal);
      await this.bound(ch.consume(q.queue, (m) => {
        if (!m) return;
        const body = parsePythonJson(m.content.toString('utf8'));
        for (const e of Array.isArray(body) ? body : [body]) if (e && typeof e === 'object') onEvent(e as Record<string, unknown>);
      }, { noAck: true }), 'consuming events', opts.signal);
    } catch (err) {
      await stop();
      throw err;
    }
    return { stop };
  }

  /** AMQP cannot take back one message; probes carry a per-message TTL instead (see publish). */
  async withdraw(): Promise<number> {
    return 0;
  }

  async broadcast(req: BroadcastRequest): Promise<ControlReply[]> {
    // No pidbox exchange means no worker ever connected to this broker: nobody to ask.
    if (!(await this.exists('exchange', PIDBOX_EXCHANGE, req.signal))) return [];
    const ch = await this.bound(this.conn.createChannel(), 'opening a control channel', req.signal);
    ch.on('error', (err: unknown) => this.lost.note(err));
    const replyQueue = `${req.replyKey}.${REPLY_EXCHANGE}`;
    const replies: ControlReply[] = [];
    try {
      // Declared exactly as kombu declares it, so our declaration and the workers' agree.
      await this.bound(ch.assertExchange(REPLY_EXCHANGE, 'direct', { durable: false, autoDelete: false }), 'declaring the reply exchange', req.signal);
      await this.bound(ch.assertQueue(replyQueue, { exclusive: true, autoDelete: true, durable: false }), 'declaring the reply queue', req.signal);
      await this.bound(ch.bindQueue(replyQueue, REPLY_EXCHANGE, req.replyKey), 'binding the reply queue', req.signal);
      let done: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (done = resolve));
      await this.bound(ch.consume(replyQueue, (m) => {
        if (!m) return done();
        if (m.properties.headers?.ticket !== undefined && m.properties.headers.ticket !== req.body.ticket) return;
        replies.push({ body: parsePythonJson(m.content.toString('utf8')) as Record<string, unknown>, at: performance.now() });
        if (replies.length >= (req.limit ?? Number.POSITIVE_INFINITY)) done();
      }, { noAck: true }), 'consuming control replies', req.signal);
      ch.publish(PIDBOX_EXCHANGE, '', Buffer.from(JSON.stringify(req.body), 'utf8'), {
        contentType: 'application/json', contentEncoding: 'utf-8', headers: req.headers, deliveryMode: 1,
      });
      const onAbort = () => done();
      req.signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(done, req.timeoutMs);
      await finished;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      if (req.signal?.aborted) throw new Error(`collecting control replies: ${String((req.signal.reason as Error | undefined)?.message ?? 'aborted')}`);
      return replies;
    } finally {
      // Exclusive + auto-delete: the broker removes the queue with the channel anyway; both steps bounded for a frozen broker.
      await withTimeout(ch.deleteQueue(replyQueue), this.opMs, 'deleting the reply queue').catch(() => undefined);
      void withTimeout(ch.close(), this.opMs, 'closing the control channel').catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    try {
      for (const q of this.declared) {
        // Only if still empty and unconsumed: a worker may have adopted it meanwhile.
        await withTimeout(this.onTempChannel((ch) => ch.deleteQueue(q, { ifEmpty: true, ifUnused: true }), `deleting queue ${q}`), this.connectMs, 'deleting a declared queue').catch(() => undefined);
      }
    } finally {
      // A frozen broker never answers close: bounded, then the socket is dropped with the process.
      await withTimeout(this.conn.close(), this.connectMs, 'closing the AMQP connection').catch(() => this.dropSocket());
    }
  }

  /** The broker did not answer close (frozen): drop the socket so nothing of ours outlives the run. */
  private dropSocket(): void {
    (this.conn as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream?.destroy?.();
  }
}
