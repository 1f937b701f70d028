// pool.contention: more concurrent requests than pooled connections; how long requests wait, timeouts, errors, utilisation.
import type { PgPool, PgPooledSession } from '../../targets/pg/types.js';
import { runClosedLoop } from '../../exec/closed-loop.js';
import { Recorder } from '../../exec/recorder.js';
import { sleep, withTimeout } from '../../exec/timeout.js';
import { describeError, errorKind, TimeoutError } from '../../util/errors.js';
import type { Check, CheckContext } from '../types.js';
import { openPool, sampleUtilisation } from './connect.js';
import { round } from './acquire.js';
import { ACQUIRE_ERROR_KINDS, ACQUIRE_SUCCESS, ACQUIRE_TIMEOUTS, POOL_WAITING_PEAK, POOL_WAIT_DURATION, REQUEST, REQUEST_THROUGHPUT } from './metrics.js';

export function contentionDurationMs(ctx: CheckContext): number {
  return (ctx.config.pool.duration_s ?? (ctx.mode === 'full' ? 10 : 2)) * 1000;
}

/** pg-pool's own message when connectionTimeoutMillis passes while waiting; a timeout either way. */
function isAcquireTimeout(err: unknown): boolean {
  return err instanceof TimeoutError || /timeout exceeded when trying to connect/i.test(err instanceof Error ? err.message : '');
}

interface Outcome {
  firstError?: unknown;
  timeouts: number;
  /** Acquires started and not yet settled; those still waiting when the check ends count as failed attempts. */
  pending: number;
  /** Set when the check has counted the pending acquires: a late settlement is then not counted twice. */
  closed: boolean;
}

async function request(ctx: CheckContext, pool: PgPool, out: Outcome): Promise<void> {
  const cfg = ctx.config.pool;
  const wait = ctx.metrics.trend(POOL_WAIT_DURATION);
  const success = ctx.metrics.rate(ACQUIRE_SUCCESS);
  const t0 = performance.now();
  let client: PgPooledSession;
  out.pending++;
  try {
    client = await withTimeout(pool.connect(), cfg.acquire_timeout_ms + 1000, 'acquiring a pooled connection');
  } catch (err) {
    out.pending--;
    if (out.closed) throw err;
    success.add(false);
    out.firstError ??= err;
    if (isAcquireTimeout(err)) {
      out.timeouts++;
      ctx.metrics.counter(ACQUIRE_TIMEOUTS).add();
    } else {
      ctx.metrics.counter(ACQUIRE_ERROR_KINDS, { kind: errorKind(err) }).add();
      // A refused connection fails at once; an application would back off too, so do not spin on the server.
      await sleep(50); // no signal: 40 sleeping requests would each add an abort listener; 50 ms is bounded anyway
    }
    throw err;
  }
  out.pending--;
  if (out.closed) {
    client.release();
    return;
  }
  wait.record(performance.now() - t0);
  success.add(true);
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_sleep($1)', [cfg.hold_ms / 1000]);
  } catch (err) {
    broken = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    client.release(broken);
  }
}

export const contentionCheck: Check = {
  id: 'pool.contention',
  category: 'pool',
  typicalQuickMs: 2100,
  title: 'Pool under contention: waits, timeouts, utilisation',
  needs: ['pg'],
  metrics: [...REQUEST.all, POOL_WAIT_DURATION, ACQUIRE_SUCCESS, ACQUIRE_TIMEOUTS, ACQUIRE_ERROR_KINDS, REQUEST_THROUGHPUT, POOL_WAITING_PEAK],
  writes: false,
  thresholds: (config) => ({
    pool_wait_duration: [`avg<${config.thresholds.connection_time_ms}`],
    acquire_success: [`rate>${config.thresholds.connection_success_rate}`],
    acquire_timeouts: [{ warn: 'count==0' }],
    request_errors: [`rate<${config.thresholds.query_error_rate}`],
  }),
  async run(ctx) {
    declare(ctx);
    const cfg = ctx.config.pool;
    const vus = Math.max(cfg.size + 1, Math.ceil(cfg.size * cfg.contention_factor));
    const pool = openPool(ctx, cfg.size, cfg.acquire_timeout_ms);
    ctx.metrics.counter(ACQUIRE_TIMEOUTS); // zero is a result: the threshold must see it
    ctx.info('pool', { size: cfg.size, concurrency: vus, hold_ms: cfg.hold_ms, acquire_timeout_ms: cfg.acquire_timeout_ms });
    ctx.progress(`${vus} concurrent requests on a pool of ${cfg.size}`);
    const recorder = new Recorder({ registry: ctx.metrics, metrics: REQUEST, elapsed: ctx.elapsed });
    const out: Outcome = { timeouts: 0, pending: 0, closed: false };
    const stopSampling = sampleUtilisation(ctx, pool);
    let result;
    try {
      result = await runClosedLoop({
        vus, durationMs: contentionDurationMs(ctx), signal: ctx.signal, recorder,
        timeoutMs: cfg.acquire_timeout_ms + ctx.targets.pg!.timeouts.operationMs,
        fn: () => request(ctx, pool, out),
      });
    } finally {
      stopSampling();
      countUnfinished(ctx, out);
    }
    // Completions only: a request that failed or timed out is not throughput.
    ctx.metrics.gauge(REQUEST_THROUGHPUT).set(recorder.duration.count / (result.elapsedMs / 1000));
    report(ctx, vus, out);
  },
};

/** Acquires the closed loop abandoned (timed out) and that are still waiting: attempts that did not succeed. */
function countUnfinished(ctx: CheckContext, out: Outcome): void {
  out.closed = true;
  const success = ctx.metrics.rate(ACQUIRE_SUCCESS);
  for (let i = 0; i < out.pending; i++) success.add(false);
  if (out.pending > 0) {
    out.timeouts += out.pending;
    ctx.metrics.counter(ACQUIRE_TIMEOUTS).add(out.pending);
  }
}

function declare(ctx: CheckContext): void {
  const m = ctx.metrics;
  m.headline('pool_wait_duration');
}

function report(ctx: CheckContext, vus: number, out: Outcome): void {
  const cfg = ctx.config.pool;
  const wait = ctx.metrics.trend(POOL_WAIT_DURATION);
  const success = ctx.metrics.rate(ACQUIRE_SUCCESS);
  const failed = success.total - success.hits;
  if (failed > 0) {
    ctx.finding({
      severity: 'error',
      subject: 'pool',
      title: `${failed} of ${success.total} acquires failed under contention (${out.timeouts} timed out after ${cfg.acquire_timeout_ms} ms): ${describeError(out.firstError)}`,
      recommendation: out.timeouts > 0 && out.timeouts === failed
        ? `Requests waited longer than ${cfg.acquire_timeout_ms} ms for one of ${cfg.size} connections: enlarge the pool (see pool.sizing), shorten the time each request holds a connection, or raise the acquire timeout.`
        : 'The pool could not open its connections: check max_connections and per-role or per-database CONNECTION LIMITs against the pool sizes of every application instance.',
      data: { failed, attempts: success.total, timeouts: out.timeouts },
    });
  }
  if (wait.count === 0) return;
  ctx.rate('response_time_ms', 'pool_wait_duration', wait.percentile(95));
  ctx.finding({
    severity: 'info',
    subject: 'pool',
    title: `With ${vus} concurrent requests on ${cfg.size} connections, a request waited ${round(wait.percentile(50))} ms (p50), ${round(wait.percentile(95))} ms (p95), ${round(wait.percentile(99))} ms (p99) for a connection`,
    detail: `Each request held its connection ${cfg.hold_ms} ms. Peak waiting requests: ${ctx.metrics.gauge(POOL_WAITING_PEAK).max}.`,
    data: { vus, size: cfg.size, p50: wait.percentile(50), p95: wait.percentile(95) },
  });
}
