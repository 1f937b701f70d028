// pool.acquire: what a new connection costs (TCP + auth + first query) against a warm pooled one, and how often connecting works.
import { sleep, withTimeout } from '../../exec/timeout.js';
import { describeError, errorKind } from '../../util/errors.js';
import type { Check, CheckContext } from '../types.js';
import { connectOnce, endPool, openPool } from './connect.js';
import { ratioWords } from './words.js';
import { ACQUIRE_DURATION, CONNECTION_ERROR_KINDS, CONNECTION_SUCCESS } from './metrics.js';

export function coldSamples(ctx: CheckContext): number {
  return ctx.config.pool.acquire_samples ?? (ctx.mode === 'full' ? 200 : 30);
}

/** Opens `n` connections one after another, timing each from connect to the first query's answer. */
async function measureCold(ctx: CheckContext, n: number): Promise<unknown> {
  const trend = ctx.metrics.trend(ACQUIRE_DURATION, { kind: 'cold' });
  const success = ctx.metrics.rate(CONNECTION_SUCCESS, { kind: 'cold' });
  const connectMs = ctx.targets.pg!.timeouts.connectMs;
  let firstError: unknown;
  for (let i = 0; i < n && !ctx.signal.aborted; i++) {
    const t0 = performance.now();
    const pending = connectOnce(ctx);
    try {
      const client = await withTimeout(pending, connectMs + 1000, 'connecting');
      trend.record(performance.now() - t0);
      success.add(true);
      await client.end();
    } catch (err) {
      // A connection that arrives after its timeout is closed when it does; its failure is the timeout counted here.
      pending.then((c) => c.end(), () => undefined).catch((e: unknown) => ctx.log.warn({ err: describeError(e) }, 'closing a late connection failed'));
      success.add(false);
      firstError ??= err;
      ctx.metrics.counter(CONNECTION_ERROR_KINDS, { kind: 'cold', error: errorKind(err) }).add();
      // A refused connection fails fast; a short pause keeps a refusing server from being hammered.
      await sleep(20, ctx.signal);
    }
  }
  return firstError;
}

/** Acquires from a warm one-connection pool and runs the same first query, `n` times in a row. */
async function measureWarm(ctx: CheckContext, n: number): Promise<unknown> {
  const trend = ctx.metrics.trend(ACQUIRE_DURATION, { kind: 'warm' });
  const success = ctx.metrics.rate(CONNECTION_SUCCESS, { kind: 'warm' });
  const pool = openPool(ctx, 1, ctx.targets.pg!.timeouts.connectMs);
  try {
    // The first acquire opens the connection: that is the cold cost, measured above, so it is not counted here.
    (await pool.connect()).release();
  } catch (err) {
    success.add(false);
    return err;
  }
  let firstError: unknown;
  for (let i = 0; i < n && !ctx.signal.aborted; i++) {
    const t0 = performance.now();
    try {
      const client = await pool.connect();
      try {
        await client.query('SELECT 1');
      } finally {
        client.release();
      }
      trend.record(performance.now() - t0);
      success.add(true);
    } catch (err) {
      success.add(false);
      firstError ??= err;
    }
  }
  await endPool(pool);
  return firstError;
}

export const acquireCheck: Check = {
  id: 'pool.acquire',
  category: 'pool',
  typicalQuickMs: 800,
  title: 'Connection acquire: new connection vs warm pool',
  needs: ['pg'],
  metrics: [ACQUIRE_DURATION, CONNECTION_SUCCESS, CONNECTION_ERROR_KINDS],
  writes: false,
  thresholds: (config) => ({
    // A slow new connection is a reason to pool, not a failure by itself; a slow pooled acquire is.
    'acquire_duration{kind:warm}': [`avg<${config.thresholds.connection_time_ms}`],
    'acquire_duration{kind:cold}': [{ warn: `avg<${config.thresholds.connection_time_ms}` }],
    connection_success: [`rate>${config.thresholds.connection_success_rate}`],
  }),
  async run(ctx) {
    declare(ctx);
    const n = coldSamples(ctx);
    ctx.progress(`opening ${n} new connections`);
    const coldError = await measureCold(ctx, n);
    ctx.progress(`acquiring ${n * 10} times from a warm pool`);
    const warmError = await measureWarm(ctx, n * 10);
    report(ctx, coldError, warmError);
  },
};

function declare(ctx: CheckContext): void {
  const m = ctx.metrics;
  m.headline('acquire_duration', { kind: 'warm' });
}

function report(ctx: CheckContext, coldError: unknown, warmError: unknown): void {
  const cold = ctx.metrics.trend(ACQUIRE_DURATION, { kind: 'cold' });
  const warm = ctx.metrics.trend(ACQUIRE_DURATION, { kind: 'warm' });
  const coldRate = ctx.metrics.rate(CONNECTION_SUCCESS, { kind: 'cold' });
  for (const [kind, err, rate] of [['new', coldError, coldRate], ['pooled', warmError, ctx.metrics.rate(CONNECTION_SUCCESS, { kind: 'warm' })]] as const) {
    if (err === undefined) continue;
    ctx.finding({
      severity: 'error',
      subject: 'connections',
      title: `${rate.hits} of ${rate.total} ${kind} connection attempts succeeded: ${describeError(err)}`,
      recommendation: 'Check max_connections and per-role or per-database CONNECTION LIMITs, and whether the server is overloaded; an application that cannot connect fails its requests.',
      data: { kind, succeeded: rate.hits, attempts: rate.total },
    });
  }
  if (cold.count === 0 || warm.count === 0) return;
  const c50 = cold.percentile(50);
  const w50 = warm.percentile(50);
  ctx.rate('response_time_ms', 'acquire_duration{kind:warm}', warm.percentile(95));
  ctx.info('cold_vs_warm', { cold_p50_ms: round(c50), warm_p50_ms: round(w50), ratio: round(c50 / w50) });
  ctx.finding({
    severity: 'info',
    subject: 'connections',
    title: `A new connection costs ${round(c50)} ms (p50) against ${round(w50)} ms from a warm pool: ${ratioWords(c50, w50)}`,
    detail: `Both include a first SELECT 1; p95 ${round(cold.percentile(95))} ms new, ${round(warm.percentile(95))} ms pooled, over ${cold.count} new and ${warm.count} pooled acquires.`,
    ...(c50 / w50 >= 3 ? { recommendation: 'Keep connections in a pool (or PgBouncer) instead of connecting per request or per task.' } : {}),
    data: { cold_p50_ms: c50, warm_p50_ms: w50 },
  });
}

export function round(v: number): number {
  return v >= 100 ? Math.round(v) : v >= 10 ? Math.round(v * 10) / 10 : Math.round(v * 100) / 100;
}
