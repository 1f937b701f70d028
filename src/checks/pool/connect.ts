// Connections for the pool checks: pools and single clients configured like the target's, plus utilisation sampling.
import pg from 'pg';
import { withTimeout } from '../../exec/timeout.js';
import { poolConfig } from '../../targets/pg/target.js';
import type { CheckContext } from '../types.js';
import { POOL_IDLE_SERIES, POOL_TOTAL_SERIES, POOL_WAITING_PEAK, POOL_WAITING_SERIES } from './metrics.js';

export const POOL_APP = 'stackprobe-pool';

/** A pool of `max` connections whose acquire gives up after `acquireTimeoutMs`; ended by the check's cleanup. */
export function openPool(ctx: CheckContext, max: number, acquireTimeoutMs: number, url = ctx.targets.pg!.url): pg.Pool {
  const pgt = ctx.targets.pg!;
  const pool = new pg.Pool({ ...poolConfig(url, pgt.timeouts, { max, applicationName: POOL_APP }), connectionTimeoutMillis: acquireTimeoutMs });
  // A pooled client whose server goes away emits 'error'; the next acquire or query reports it instead.
  pool.on('error', () => undefined);
  ctx.defer(() => endPool(pool));
  return pool;
}

/** Ends a pool once: the check may end it early, its deferred cleanup ends it otherwise. */
export async function endPool(pool: pg.Pool): Promise<void> {
  if (pool.ending || pool.ended) return;
  // end() waits for checked-out clients; every use is bounded by its own timeout, this only guards a bug.
  await withTimeout(pool.end(), 10_000, 'closing the pool');
}

/** One new connection: TCP, TLS when asked, authentication and the first query. The caller ends it. */
export async function connectOnce(ctx: CheckContext, url = ctx.targets.pg!.url): Promise<pg.Client> {
  const pgt = ctx.targets.pg!;
  const client = new pg.Client(poolConfig(url, pgt.timeouts, { applicationName: POOL_APP }));
  client.on('error', () => undefined);
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
export function sampleUtilisation(ctx: CheckContext, pool: pg.Pool, tags: Record<string, string> = {}): () => void {
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
