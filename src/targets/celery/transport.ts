// The small interface both brokers (Redis with kombu's layout, RabbitMQ over AMQP) implement for the Celery client.
import type { TaskMessage } from './protocol.js';
import type { ManagementRead } from './rabbitmq-management.js';

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
  /** Depth and (where the broker allows reading without consuming) the oldest waiting messages' headers. */
  peekQueue(queue: string, opts?: { signal?: AbortSignal; idle?: boolean }): Promise<QueuePeek>;
  /** Queues the broker knows bindings for (Redis: kombu's binding sets); undefined when the broker cannot list them. */
  knownQueues?(opts?: { signal?: AbortSignal; limit?: number }): Promise<string[]>;
  /** Messages delivered to workers and not yet acknowledged (Redis: kombu's `unacked` hash); undefined on AMQP. */
  unacked?(opts?: { signal?: AbortSignal; limit?: number }): Promise<UnackedSummary>;
  /** RabbitMQ: ready and unacknowledged messages per queue from the management API, or why it cannot be read. */
  managedQueues?(queues: readonly string[], opts?: { signal?: AbortSignal }): Promise<ManagementRead>;
  /** Receives Celery events (the `celeryev` exchange) until the returned stop() is called. */
  events(onEvent: (event: Record<string, unknown>) => void, opts?: { signal?: AbortSignal }): Promise<EventStream>;
  /** Sends a control command to every worker's pidbox and collects replies until timeout or limit; writes to the broker. */
  broadcast(req: BroadcastRequest): Promise<ControlReply[]>;
  /**
   * Removes the reply bindings and queues that killed runs left mid-broadcast (Redis only: AMQP's reply queues are
   * exclusive and go with their connection); returns how many went. Bounded by `timeMs`: a later run takes the rest.
   */
  reapAbandonedReplies?(timeMs: number, nowMs?: number): Promise<number>;
  close(): Promise<void>;
}

/** The pidbox exchange names of Celery's default control namespace (`control_exchange = 'celery'`). */
export const PIDBOX_EXCHANGE = 'celery.pidbox';
export const REPLY_EXCHANGE = 'reply.celery.pidbox';

/** The celeryev exchange Celery's events are published to (a topic exchange; kombu's Redis transport makes it a fanout). */
export const EVENT_EXCHANGE = 'celeryev';

/** The headers of a waiting message that say what it is: never its arguments. */
export interface MessageHeaders {
  id?: string;
  task?: string;
  /** ISO 8601, for countdown/ETA tasks. */
  eta?: string;
}

export interface QueuePeek {
  /** Messages waiting (all priority levels). */
  depth: number;
  /** Consumers the broker counts on the queue (AMQP); undefined where the broker does not say (Redis). */
  consumers?: number;
  /** The next message to be delivered at each non-empty priority level (Redis); empty where it cannot be read unconsumed. */
  oldest: MessageHeaders[];
  /**
   * Asked with `idle` (Redis): seconds since any client last touched the queue's non-empty lists (OBJECT IDLETIME, which
   * does not touch them itself): every message waiting is at least this old. Undefined under an LFU eviction policy.
   */
  idleS?: number;
}

export interface UnackedSummary {
  /** Entries of the unacked hash. */
  count: number;
  /** When each sampled entry was delivered (epoch seconds, kombu's unacked_index scores), oldest first. */
  deliveredAt: number[];
  /** Of the sampled entries: how many per queue (routing key), and their ETAs. */
  byQueue: Map<string, number>;
  etas: string[];
  /** Entries read (bounded by the limit). */
  sampled: number;
}

export interface EventStream {
  stop(): Promise<void>;
}
