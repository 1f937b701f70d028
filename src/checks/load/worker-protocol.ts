// What the load's main thread and its worker threads say to each other (plain, structured-cloneable data).
import type { RedisWireSpec } from '../../targets/redis/connect.js';
import type { Config } from '../../config/schema.js';
import type { PgWorkerTarget } from '../../targets/pg/target.js';
import type { WorkloadPlan } from '../../workload/plan.js';
import type { Segment } from '../../exec/stages.js';

export interface WorkerData {
  /** 1-based worker index among `workers`. */
  worker: number;
  workers: number;
  segment: Segment;
  /** The target's workerTarget() (its spec holds the password: passed on, never read) and this thread's share. */
  pg: PgWorkerTarget & { poolSize: number; applicationName: string };
  /** The run's Redis as the measuring path opens it (URL with credentials, timeouts), and its key prefix. */
  redis?: { wire: RedisWireSpec; keyPrefix: string };
  /** Present when the main thread has Celery: the worker opens its own target from this config. */
  celeryConfig?: Config;
  config: Config;
  plan: WorkloadPlan;
  maxVus: number;
}

