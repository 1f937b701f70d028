// pool.sizing: the same short query mix at pool sizes 1, 2, 4, …; throughput and p95 per size, and the size to run.
import type pg from 'pg';
import { runClosedLoop } from '../../exec/closed-loop.js';
import { Recorder } from '../../exec/recorder.js';
import { withTimeout } from '../../exec/timeout.js';
import type { Check, CheckContext } from '../types.js';
import { round } from './acquire.js';
import { endPool, openPool } from './connect.js';
import { chooseSize, configuredShare, sizesToTry, sweepLimit, type SweepPoint } from './sweep.js';
import { CONNECTION_BUDGET, MIX } from './sizing-mix.js';

export function stepDurationMs(ctx: CheckContext): number {
  return (ctx.config.pool.sweep.step_duration_s ?? (ctx.mode === 'full' ? 3 : 0.5)) * 1000;
}

async function measureSize(ctx: CheckContext, size: number, concurrency: number): Promise<SweepPoint> {
  const cfg = ctx.config.pool;
  const pool = openPool(ctx, size, cfg.acquire_timeout_ms);
  try {
    // Open every connection first: the sweep compares steady-state throughput, not connection set-up.
    const warm = await Promise.all(Array.from({ length: size }, () => withTimeout(pool.connect(), cfg.acquire_timeout_ms + 1000, 'opening the pool')));
    warm.forEach((c) => c.release());
    const tags = { size: String(size) };
    const recorder = new Recorder({ registry: ctx.metrics, name: 'sweep', tags, elapsed: ctx.elapsed });
    let i = 0;
    const result = await runClosedLoop({
      vus: concurrency, durationMs: stepDurationMs(ctx), signal: ctx.signal, recorder,
      timeoutMs: cfg.acquire_timeout_ms + ctx.targets.pg!.timeouts.operationMs,
      fn: () => {
        const q = MIX[i++ % MIX.length]!;
        return pool.query(q.text, q.values);
      },
    });
    const ok = recorder.duration.count;
    const throughput = ok / (result.elapsedMs / 1000);
    ctx.metrics.gauge('sweep_throughput', tags, 'req/s').set(throughput);
    return { size, throughput, p95: recorder.duration.percentile(95), errorRate: recorder.errors.value };
  } finally {
    await endPool(pool);
  }
}

async function serverSlots(pool: pg.Pool): Promise<{ maxConnections: number; reserved: number; inUse: number }> {
  const res = await pool.query<{ max: number; reserved: number; in_use: number }>(CONNECTION_BUDGET);
  const r = res.rows[0]!;
  return { maxConnections: r.max, reserved: r.reserved, inUse: r.in_use };
}

export const sizingCheck: Check = {
  id: 'pool.sizing',
  category: 'pool',
  title: 'Pool size sweep: throughput and p95 per size',
  needs: ['pg'],
  writes: false,
  thresholds: (config) => ({
    sweep_errors: [`rate<${config.thresholds.query_error_rate}`],
    configured_size_share: [{ warn: `value>=${config.pool.sweep.warn_below}` }],
  }),
  async run(ctx) {
    const cfg = ctx.config.pool;
    const slots = await serverSlots(ctx.targets.pg!.admin);
    const limit = sweepLimit({ ...slots, maxSize: cfg.sweep.max_size });
    const sizes = sizesToTry(limit, cfg.size);
    const concurrency = cfg.sweep.concurrency ?? Math.min(64, 2 * Math.max(...sizes));
    ctx.info('sweep', { sizes, concurrency, step_ms: stepDurationMs(ctx), limit, ...slots });
    const points: SweepPoint[] = [];
    for (const size of sizes) {
      if (ctx.signal.aborted) break;
      ctx.progress(`pool size ${size} (${points.length + 1}/${sizes.length})`);
      points.push(await measureSize(ctx, size, concurrency));
    }
    ctx.info('per_size', points.map((p) => ({ size: p.size, rps: Math.round(p.throughput), p95_ms: round(p.p95), error_rate: p.errorRate })));
    report(ctx, points, concurrency);
  },
};

function report(ctx: CheckContext, points: SweepPoint[], concurrency: number): void {
  const cfg = ctx.config.pool;
  const choice = chooseSize(points, cfg.sweep.tolerance, ctx.config.thresholds.query_time_ms, ctx.config.thresholds.query_error_rate);
  if (!choice) {
    ctx.finding({ severity: 'error', subject: 'pool size', title: 'No pool size served requests without errors', recommendation: 'See the sweep errors; the server refused or failed the query mix at every size.' });
    return;
  }
  const { chosen, best } = choice;
  ctx.metrics.gauge('recommended_pool_size', {}, 'connections').set(chosen.size);
  const { share, measured } = configuredShare(points, cfg.size, best);
  ctx.metrics.gauge('configured_size_share', {}, 'ratio').set(share);
  ctx.rate('throughput_rps', `sweep_throughput{size:${chosen.size}}`, chosen.throughput);
  const curve = points.map((p) => `${p.size}: ${Math.round(p.throughput)} req/s, p95 ${round(p.p95)} ms`).join('; ');
  const pct = Math.round(share * 100);
  const compare = cfg.size === chosen.size
    ? `Your configured size (${cfg.size}) is that size.`
    : `Your configured size ${cfg.size} reaches ${pct}% of the best throughput${measured ? '' : ' (estimated from the largest size swept below it)'}${cfg.size > chosen.size ? `; ${cfg.size - chosen.size} connections more than needed per instance` : ''}.`;
  ctx.finding({
    severity: share < cfg.sweep.warn_below ? 'warn' : 'info',
    subject: 'pool size',
    title: `Pool size ${chosen.size} gives ${Math.round(chosen.throughput)} req/s, within ${Math.round(cfg.sweep.tolerance * 100)}% of the best (${Math.round(best.throughput)} req/s at ${best.size}). ${compare}`,
    detail: `${concurrency} concurrent requests, a short read-only mix (catalog lookup, small aggregation). Per size: ${curve}.${choice.p95Met ? '' : ` No size kept p95 under ${ctx.config.thresholds.query_time_ms} ms.`}`,
    ...(share < cfg.sweep.warn_below || cfg.size > chosen.size * 2
      ? { recommendation: `Set the application's pool size near ${chosen.size} per instance (and keep instances × size under max_connections); re-run the sweep with your real concurrency (config.pool.sweep.concurrency).` }
      : {}),
    data: { chosen: chosen.size, best: best.size, configured: cfg.size, share, points },
  });
}
