// What the load's main thread and its worker threads say to each other (plain, structured-cloneable data).
import type { WireSettings } from '../../targets/redis/target.js';
import type { Config } from '../../config/schema.js';
import type { PgTimeouts } from '../../targets/pg/target.js';
import type { WorkloadPlan } from '../../workload/plan.js';
import type { Segment } from '../../exec/stages.js';

export interface WorkerData {
  /** 1-based worker index among `workers`. */
  worker: number;
  workers: number;
  segment: Segment;
  pg: { url: string; timeouts: PgTimeouts; poolSize: number; applicationName: string };
  /** The run's Redis as the measuring path opens it (URL with credentials, timeouts), and its key prefix. */
  redis?: { url: string; options: WireSettings; keyPrefix: string };
  /** Present when the main thread has Celery: the worker opens its own target from this config. */
  celeryConfig?: Config;
  config: Config;
  plan: WorkloadPlan;
  maxVus: number;
}

