// The small interface both brokers (Redis with kombu's layout, RabbitMQ over AMQP) implement for the Celery client.
import type { TaskMessage } from './protocol.js';

/** One reply to a broadcast control command: `{ "<worker hostname>": <reply> }`, and when it arrived. */
export interface ControlReply {
  body: Record<string, unknown>;
  /** performance.now() when the reply was read. */
  at: number;
}

export interface BroadcastRequest {
  /** The JSON body Celery's control sends: method, arguments, destination, pattern, matcher, ticket, reply_to. */
  body: Record<string, unknown>;
  /** Headers: clock and expires (epoch seconds). */
  headers: Record<string, unknown>;
  /** The routing key of our private reply queue, which the worker's reply is published with. */
  replyKey: string;
  timeoutMs: number;
  /** Stop collecting after this many replies. */
  limit?: number;
  signal?: AbortSignal;
}

export interface Transport {
  readonly kind: 'redis' | 'amqp';
  /** Publishes a task message onto a queue; resolves once the broker has it. */
  publish(queue: string, msg: TaskMessage, opts?: { signal?: AbortSignal }): Promise<void>;
  /** Messages waiting in the queue (all priority levels). */
  depth(queue: string, opts?: { signal?: AbortSignal }): Promise<number>;
  /** Takes back messages this client published that no worker has taken yet; returns how many. */
  withdraw(queue: string, ids: Iterable<string>): Promise<number>;
  /** The message was taken and finished: withdraw() need not try it. */
  settled?(id: string): void;
  /** Sends a control command to every worker's pidbox and collects replies until timeout or limit; writes to the broker. */
  broadcast(req: BroadcastRequest): Promise<ControlReply[]>;
  close(): Promise<void>;
}

/** The pidbox exchange names of Celery's default control namespace (`control_exchange = 'celery'`). */
export const PIDBOX_EXCHANGE = 'celery.pidbox';
export const REPLY_EXCHANGE = 'reply.celery.pidbox';
