// The Celery target: publish tasks over the broker, read results, watch queues, ask workers. Owned by the tasks category.
import type { TargetFacts } from '../../result/model.js';
import type { ManagementRead } from './rabbitmq-management.js';
import type { EventStream, QueuePeek, UnackedSummary } from './transport.js';

export type { EventStream, MessageHeaders, QueuePeek, UnackedSummary } from './transport.js';
export type { ManagementRead, ManagedQueue } from './rabbitmq-management.js';

export interface TaskOutcome {
  /** Celery's state: SUCCESS, FAILURE, REVOKED (or UNREADABLE when the backend holds a non-JSON result). */
  status: string;
  result: unknown;
  /** The result backend's `date_done`, ISO 8601, when present. */
  dateDone?: string;
  /** RETRY states seen on the way (pub/sub only). */
  retries: number;
  traceback?: string;
}

/** One worker's answer to a control command. */
export interface WorkerReply {
  worker: string;
  reply: unknown;
  /** From sending the command to reading this reply (ms). */
  latencyMs: number;
}

export interface SendOptions {
  kwargs?: Record<string, unknown>;
  /** Default: config.tasks.queue. */
  queue?: string;
  /** AMQP: the broker drops the message if no worker took it by then. Redis: unconsumed probes are taken back by forget(). */
  expiresInMs?: number;
  /** A task id from newTaskId() (to start waiting for its result before it is sent); default a fresh one. */
  id?: string;
  /** Aborts the publish (the check's budget); it is also bounded by timeouts.operation_ms. */
  signal?: AbortSignal;
}

export interface ResultOptions {
  signal?: AbortSignal;
  /** Called once the result channel is subscribed: a task sent after this has every state (RETRY too) seen. */
  onSubscribed?: () => void;
}

export interface CeleryTarget {
  readonly kind: 'celery';
  readonly facts: TargetFacts;
  readonly transport: 'redis' | 'amqp';
  /** False when no result backend is configured (or it is one stackprobe cannot read, e.g. `rpc://`). */
  readonly hasResultBackend: boolean;
  /** The queue stackprobe publishes to unless told otherwise (config.tasks.queue). */
  readonly defaultQueue: string;
  /** Publishes one task message (protocol v2); resolves with the task id once the broker has it. */
  send(task: string, args: unknown[], opts?: SendOptions): Promise<string>;
  /** A task id noted as this run's in the result backend (reaped by a later run if this one is killed). */
  newTaskId(signal?: AbortSignal): Promise<string>;
  /** The task's final state from the result backend; null on timeout, abort, or when no backend is configured; rejects when the backend fails. */
  result(id: string, timeoutMs: number, opts?: ResultOptions): Promise<TaskOutcome | null>;
  /** Deletes the result keys of these tasks and takes back any of their messages still waiting in the broker (time-bounded). */
  forget(ids: string[]): Promise<void>;
  /** Messages waiting in a queue. */
  queueDepth(queue: string, opts?: { signal?: AbortSignal }): Promise<number>;
  /** Depth, consumers (AMQP) and the oldest waiting messages' headers (Redis), read without consuming. */
  peekQueue(queue: string, opts?: { signal?: AbortSignal; idle?: boolean }): Promise<QueuePeek>;
  /** Queues the broker holds bindings for (Redis); undefined where the broker cannot list them. */
  knownQueues(opts?: { signal?: AbortSignal; limit?: number }): Promise<string[] | undefined>;
  /** The Redis transport's unacked messages (delivered, not yet acknowledged); undefined on AMQP. */
  unacked(opts?: { signal?: AbortSignal; limit?: number }): Promise<UnackedSummary | undefined>;
  /** RabbitMQ's management API: ready and unacknowledged messages per queue, or why it cannot be read; undefined on Redis. */
  managedQueues(queues: readonly string[], opts?: { signal?: AbortSignal }): Promise<ManagementRead | undefined>;
  /** Receives Celery events until stop(); Redis: a PSUBSCRIBE (no write); AMQP: a private exclusive queue. */
  events(onEvent: (event: Record<string, unknown>) => void, opts?: { signal?: AbortSignal }): Promise<EventStream>;
  /** Broadcasts a control command (`ping`, `stats`, `active_queues`, `registered`) and collects the replies; writes to the broker. */
  control(command: string, args?: Record<string, unknown>, opts?: { timeoutMs?: number; limit?: number; signal?: AbortSignal; destination?: string[] }): Promise<WorkerReply[]>;
  close(): Promise<void>;
}
