// Connections for the pool checks: pools and single clients configured like the target's, plus utilisation sampling.
import type { PgClient, PgPool } from '../../targets/pg/types.js';
import type { OtherServer } from '../../targets/pg/target.js';
import { withTimeout } from '../../exec/timeout.js';
import type { CheckContext } from '../types.js';
import { POOL_IDLE_SERIES, POOL_TOTAL_SERIES, POOL_WAITING_PEAK, POOL_WAITING_SERIES } from './metrics.js';

export const POOL_APP = 'stackprobe-pool';

/** A pool of `max` connections whose acquire gives up after `acquireTimeoutMs`; ended by the check's cleanup. */
export function openPool(ctx: CheckContext, max: number, acquireTimeoutMs: number): PgPool {
  // Supervised by the target: a pooled client whose server goes away fails the next acquire or query instead.
  const pool = ctx.targets.pg!.createPool({ max, applicationName: POOL_APP, acquireTimeoutMs });
  ctx.defer(() => endPool(pool));
  return pool;
}

/** Ends a pool once: the check may end it early, its deferred cleanup ends it otherwise. */
export async function endPool(pool: PgPool): Promise<void> {
  if (pool.ending || pool.ended) return;
  // end() waits for checked-out clients; every use is bounded by its own timeout, this only guards a bug.
  await withTimeout(pool.end(), 10_000, 'closing the pool');
}

/**
 * One new connection: TCP, TLS when asked, authentication and the first query. The caller ends it. `server`: another
 * server than the target (the PostgreSQL behind a PgBouncer), with the target's credentials and bounds.
 */
export async function connectOnce(ctx: CheckContext, server?: OtherServer): Promise<PgClient> {
  const client = ctx.targets.pg!.createClient({ applicationName: POOL_APP, ...(server ? { server } : {}) });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
}

/**
 * Samples a pool's total / idle / waiting counts into time series once a second (and once at start and stop),
 * so the report shows utilisation over time. Returns the function that stops sampling.
 */
export function sampleUtilisation(ctx: CheckContext, pool: PgPool, tags: Record<string, string> = {}): () => void {
  const total = ctx.metrics.timeSeries(POOL_TOTAL_SERIES, tags);
  const idle = ctx.metrics.timeSeries(POOL_IDLE_SERIES, tags);
  const waiting = ctx.metrics.timeSeries(POOL_WAITING_SERIES, tags);
  const peakWaiting = ctx.metrics.gauge(POOL_WAITING_PEAK, tags);
  const sample = () => {
    const t = Math.round(ctx.elapsed() * 1000) / 1000;
    total.points.push([t, pool.totalCount]);
    idle.points.push([t, pool.idleCount]);
    waiting.points.push([t, pool.waitingCount]);
    peakWaiting.set(pool.waitingCount);
  };
  sample();
  const timer = setInterval(sample, 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    sample();
  };
}
