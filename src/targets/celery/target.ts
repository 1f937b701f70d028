// The Celery target: publish tasks over the broker, read results, watch queues. Owned by the tasks category.
import type { TargetFacts } from '../../result/model.js';

export interface TaskOutcome {
  /** Celery's state: SUCCESS, FAILURE, RETRY, … */
  status: string;
  result: unknown;
  /** The result backend's `date_done`, ISO 8601, when present. */
  dateDone?: string;
}

export interface CeleryTarget {
  readonly kind: 'celery';
  readonly facts: TargetFacts;
  /** Publishes one task message (protocol v2); resolves with the task id once the broker has it. */
  send(task: string, args: unknown[], opts?: { kwargs?: Record<string, unknown>; queue?: string }): Promise<string>;
  /** The task's final state from the result backend; null on timeout or when no backend is configured. */
  result(id: string, timeoutMs: number): Promise<TaskOutcome | null>;
  /** Messages waiting in a queue. */
  queueDepth(queue: string): Promise<number>;
  close(): Promise<void>;
}
