// Celery over RabbitMQ (AMQP 0-9-1 with amqplib): tasks to the default exchange, control through the pidbox exchanges.
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { withTimeout } from '../../exec/timeout.js';
import type { TaskMessage } from './protocol.js';
import { PIDBOX_EXCHANGE, REPLY_EXCHANGE, type BroadcastRequest, type ControlReply, type Transport } from './transport.js';

export class AmqpTransport implements Transport {
  readonly kind = 'amqp' as const;
  private readonly known = new Set<string>();
  /** Queues stackprobe had to declare (no worker had yet): deleted at close when empty and unused. */
  private readonly declared = new Set<string>();

  private constructor(
    private readonly conn: ChannelModel,
    private readonly pub: ConfirmChannel,
    private readonly opMs: number,
  ) {}

  static async connect(url: string, connectMs: number, opMs: number): Promise<AmqpTransport> {
    const conn = await withTimeout(amqp.connect(url, { timeout: connectMs }), connectMs, 'connecting to the AMQP broker');
    conn.on('error', () => undefined); // a lost connection shows as failed operations, not an unhandled event
    const pub = await conn.createConfirmChannel();
    pub.on('error', () => undefined);
    return new AmqpTransport(conn, pub, opMs);
  }

  /** Runs `fn` on a throw-away channel: a passive declare of a missing queue closes its channel (404). */
  private async onTempChannel<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    const ch = await this.conn.createChannel();
    ch.on('error', () => undefined);
    try {
      return await withTimeout(fn(ch), this.opMs, 'AMQP operation');
    } finally {
      await ch.close().catch(() => undefined); // already closed by the broker after a 404
    }
  }

  private async exists(kind: 'queue' | 'exchange', name: string): Promise<boolean> {
    try {
      await this.onTempChannel((ch) => (kind === 'queue' ? ch.checkQueue(name) : ch.checkExchange(name)));
      return true;
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) return false;
      throw err;
    }
  }

  private async ensureQueue(queue: string): Promise<void> {
    if (this.known.has(queue)) return;
    if (!(await this.exists('queue', queue))) {
      // The same declaration a Celery worker makes (durable, no arguments), so a worker started later accepts it.
      await this.onTempChannel((ch) => ch.assertQueue(queue, { durable: true, autoDelete: false }));
      this.declared.add(queue);
    }
    this.known.add(queue);
  }

  async publish(queue: string, msg: TaskMessage): Promise<void> {
    await this.ensureQueue(queue);
    await withTimeout(
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
      this.opMs,
      'publishing to the AMQP broker',
    );
  }

  async depth(queue: string): Promise<number> {
    try {
      return (await this.onTempChannel((ch) => ch.checkQueue(queue))).messageCount;
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) return 0;
      throw err;
    }
  }

  /** AMQP cannot take back one message; probes carry a per-message TTL instead (see publish). */
  async withdraw(): Promise<number> {
    return 0;
  }

  async broadcast(req: BroadcastRequest): Promise<ControlReply[]> {
    // No pidbox exchange means no worker ever connected to this broker: nobody to ask.
    if (!(await this.exists('exchange', PIDBOX_EXCHANGE))) return [];
    const ch = await this.conn.createChannel();
    ch.on('error', () => undefined);
    const replyQueue = `${req.replyKey}.${REPLY_EXCHANGE}`;
    const replies: ControlReply[] = [];
    try {
      // Declared exactly as kombu declares it, so our declaration and the workers' agree.
      await ch.assertExchange(REPLY_EXCHANGE, 'direct', { durable: false, autoDelete: false });
      await ch.assertQueue(replyQueue, { exclusive: true, autoDelete: true, durable: false });
      await ch.bindQueue(replyQueue, REPLY_EXCHANGE, req.replyKey);
      let done: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (done = resolve));
      await ch.consume(replyQueue, (m) => {
        if (!m) return done();
        if (m.properties.headers?.ticket !== undefined && m.properties.headers.ticket !== req.body.ticket) return;
        replies.push({ body: JSON.parse(m.content.toString('utf8')) as Record<string, unknown>, at: performance.now() });
        if (replies.length >= (req.limit ?? Number.POSITIVE_INFINITY)) done();
      }, { noAck: true });
      ch.publish(PIDBOX_EXCHANGE, '', Buffer.from(JSON.stringify(req.body), 'utf8'), {
        contentType: 'application/json', contentEncoding: 'utf-8', headers: req.headers, deliveryMode: 1,
      });
      const onAbort = () => done();
      req.signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(done, req.timeoutMs);
      await finished;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      return replies;
    } finally {
      await ch.deleteQueue(replyQueue).catch(() => undefined); // exclusive + auto-delete: the broker removes it anyway
      await ch.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    try {
      for (const q of this.declared) {
        // Only if still empty and unconsumed: a worker may have adopted it meanwhile.
        await this.onTempChannel((ch) => ch.deleteQueue(q, { ifEmpty: true, ifUnused: true })).catch(() => undefined);
      }
    } finally {
      await this.conn.close().catch(() => undefined);
    }
  }
}
