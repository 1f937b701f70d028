// The settings a Celery worker reports (`inspect conf` with defaults, `stats`), read into the figures its hazards need.

/** kombu's Redis transport redelivers an unacknowledged message after this long unless broker_transport_options says otherwise. */
export const KOMBU_REDIS_VISIBILITY_TIMEOUT_S = 3600;

export interface WorkerSettings {
  worker: string;
  acksLate: boolean;
  prefetchMultiplier: number;
  /** Pool processes (`stats` pool.max-concurrency); null when the worker did not answer stats. */
  concurrency: number | null;
  /** True when worker_concurrency is unset: Celery then starts one process per core of the worker's host. */
  concurrencyDefaulted: boolean;
  pool: string | null;
  /** broker_transport_options.visibility_timeout, or kombu's default; applies to the Redis (and SQS) transports. */
  visibilityTimeoutS: number;
  hasResultBackend: boolean;
  /** result_expires in seconds; null means results never expire. */
  resultExpiresS: number | null;
}

/**
 * A Python duration as Celery's `jsonify` sends it: a number of seconds, or a timedelta's str()
 * (`1 day, 0:00:00`, `2 days, 3:04:05.500000`, `0:05:00`); null and anything else unreadable give null.
 */
export function pythonSeconds(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v !== 'string') return null;
  const m = /^(?:(-?\d+) days?, )?(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(v.trim());
  if (!m) return null;
  return Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

function truthy(v: unknown): boolean {
  return v === true || v === 1 || v === 'true' || v === 'True';
}

/** The settings from one worker's `conf` (with defaults) and `stats` replies. */
export function readSettings(worker: string, conf: Record<string, unknown>, stats: Record<string, unknown> | undefined): WorkerSettings {
  const pool = (stats?.pool ?? {}) as { 'max-concurrency'?: unknown; implementation?: unknown };
  const options = (conf.broker_transport_options ?? {}) as Record<string, unknown>;
  const backend = conf.result_backend;
  const expires = conf.result_expires;
  return {
    worker,
    acksLate: truthy(conf.task_acks_late),
    prefetchMultiplier: typeof conf.worker_prefetch_multiplier === 'number' ? conf.worker_prefetch_multiplier : 4,
    concurrency: typeof pool['max-concurrency'] === 'number' ? pool['max-concurrency'] : null,
    concurrencyDefaulted: conf.worker_concurrency === null || conf.worker_concurrency === undefined || conf.worker_concurrency === 0,
    pool: typeof pool.implementation === 'string' ? pool.implementation.replace(/^celery\.concurrency\.(\w+):.*$/, '$1') : null,
    visibilityTimeoutS: pythonSeconds(options.visibility_timeout) ?? KOMBU_REDIS_VISIBILITY_TIMEOUT_S,
    // The URL itself may carry a password: only whether one is set is kept.
    hasResultBackend: typeof backend === 'string' && backend !== '' && backend !== 'disabled',
    resultExpiresS: expires === null || expires === undefined ? null : pythonSeconds(expires),
  };
}

/** The host part of a Celery node name (`name@host`). */
export function hostOf(worker: string): string {
  const at = worker.lastIndexOf('@');
  return at >= 0 ? worker.slice(at + 1) : worker;
}

/** Seconds from `nowMs` to each ETA (ISO 8601, as `scheduled` and the message headers carry it); unreadable ones skipped. */
export function etaHorizonsS(etas: string[], nowMs: number): number[] {
  return etas.map((e) => (Date.parse(e) - nowMs) / 1000).filter((s) => Number.isFinite(s));
}
