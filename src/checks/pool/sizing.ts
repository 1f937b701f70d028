// pool.sizing: the same short query mix at pool sizes 1, 2, 4, …, in several interleaved rounds; a size is recommended
// only when it beats the configured one by more than the noise the rounds showed.
import type { PgPool } from '../../targets/pg/types.js';
import { runClosedLoop } from '../../exec/closed-loop.js';
import { Recorder } from '../../exec/recorder.js';
import { Trend } from '../../metrics/trend.js';
import { withTimeout } from '../../exec/timeout.js';
import type { Check, CheckContext } from '../types.js';
import { POOL_APP } from './connect.js';
import { SessionPool } from '../../targets/pg/wire/pool.js';
import { serverCores } from './cores.js';
import { reportSweep } from './sizing-report.js';
import { coreLimitFor, roundOrder, settledOnConfigured, sizesToTry, sweepLimit, type SizeSamples } from './sweep.js';
import { CONNECTION_BUDGET, MIX } from './sizing-mix.js';
import { CONFIGURED_SIZE_SHORTFALL, RECOMMENDED_POOL_SIZE, SWEEP, SWEEP_THROUGHPUT, SWEEP_ROUND_THROUGHPUT_SERIES } from './metrics.js';
import { sizingHeadline } from './headline.js';

/**
 * Quick mode leaves out sizes above 4× the core limit (8 connections per core) on small servers, unless the configured
 * size is larger: such a size is recommended only when it beats every size within the core limit by more than the
 * noise, and quick mode's short steps rarely show that. --full tries every size up to the slots' limit.
 */
export function quickSizeCap(mode: string, cores: number | undefined, configured: number): number | undefined {
  const coreLimit = coreLimitFor(cores);
  if (mode !== 'quick' || coreLimit === undefined) return undefined;
  return Math.max(4 * coreLimit, configured);
}

/**
 * Seconds per size and round: 0.5 in quick mode, 1.5 in full (it was 3). A step's throughput is a count, thousands of
 * requests (about 9,000 at size 10 in 1.5 s on a 2-core host), so its counting noise is about 1 %, a fifth of the 5 %
 * tolerance; what separates rounds is the host's drift (7-20 % between rounds of the same size even in 3 s steps), and
 * the verdict subtracts the spread the rounds show: a shorter step widens that spread, which makes a size harder, not
 * easier, to call better. What full mode buys over quick is more rounds (5) and steps three times as long. The 3 s steps made the
 * sweep 42 s when it settled after 2 rounds and 108 s when a size stayed ahead of the configured one through all 5
 * (a size about 8 % ahead, within the rounds' noise: "no size is measurably better"), which alone took a full run past
 * four minutes.
 */
export function stepDurationMs(ctx: CheckContext): number {
  return (ctx.config.pool.sweep.step_duration_s ?? (ctx.mode === 'full' ? 1.5 : 0.5)) * 1000;
}

export function sweepRounds(ctx: CheckContext): number {
  return ctx.config.pool.sweep.rounds ?? (ctx.mode === 'full' ? 5 : 3);
}

/** The default rounds end early once the verdict is settled (settledOnConfigured); rounds the config sets all run. */
export function mayStopEarly(ctx: CheckContext): boolean {
  return ctx.config.pool.sweep.rounds === undefined;
}

/**
 * One round at one size: a fresh pool of measuring sessions (src/targets/pg/wire: one round trip per request, a FIFO of
 * waiters like PgPool's), every session opened first, then the mix; successful requests per second and the round's p95.
 * Measured on the lean path so that the client's own CPU (on a host shared with the server) does not flatten the curve.
 */
async function measureRound(ctx: CheckContext, size: number, concurrency: number): Promise<{ throughput: number; p95: number }> {
  const cfg = ctx.config.pool;
  const pgt = ctx.targets.pg!;
  const pool = new SessionPool(pgt, { max: size, acquireTimeoutMs: cfg.acquire_timeout_ms, statementTimeoutMs: pgt.timeouts.operationMs, applicationName: POOL_APP });
  ctx.defer(() => pool.end());
  try {
    // Open every session first: the sweep compares steady-state throughput, not connection set-up.
    await withTimeout(Promise.all(Array.from({ length: size }, () => pool.use(async () => undefined))), cfg.acquire_timeout_ms + 1000, 'opening the pool');
    const recorder = new Recorder({ registry: ctx.metrics, metrics: SWEEP, tags: { size: String(size) }, elapsed: ctx.elapsed });
    const before = Trend.decode(recorder.duration.encode());
    let i = 0;
    const result = await runClosedLoop({
      vus: concurrency, durationMs: stepDurationMs(ctx), signal: ctx.signal, recorder,
      timeoutMs: cfg.acquire_timeout_ms + pgt.timeouts.operationMs,
      fn: () => {
        const n = i++ % MIX.length;
        const q = MIX[n]!;
        return pool.use(async (s) => {
          if (!s.isPrepared(`stackprobe_sweep_${n}`)) await s.prepare(`stackprobe_sweep_${n}`, q.text);
          return s.run(s.request(`stackprobe_sweep_${n}`, q.values));
        });
      },
    });
    // The trend holds every round of this size; this round's requests are what it gained.
    const round = Trend.decode(recorder.duration.encode());
    round.histogram.subtract(before.histogram);
    return { throughput: round.count / (result.elapsedMs / 1000), p95: round.percentile(95) };
  } finally {
    await pool.end();
  }
}

async function serverSlots(pool: PgPool): Promise<{ maxConnections: number; reserved: number; inUse: number }> {
  const res = await pool.query<{ max: number; reserved: number; in_use: number }>(CONNECTION_BUDGET);
  const r = res.rows[0]!;
  return { maxConnections: r.max, reserved: r.reserved, inUse: r.in_use };
}

function declare(ctx: CheckContext): void {
  const m = ctx.metrics;
  m.headline('recommended_pool_size');
}

export const sizingCheck: Check = {
  id: 'pool.sizing',
  category: 'pool',
  typicalQuickMs: 8000,
  headline: sizingHeadline,
  title: 'Pool size sweep: throughput and p95 per size, with noise',
  needs: ['pg'],
  metrics: [...SWEEP.all, SWEEP_THROUGHPUT, RECOMMENDED_POOL_SIZE, CONFIGURED_SIZE_SHORTFALL],
  writes: false,
  thresholds: (config) => ({
    sweep_errors: [`rate<${config.thresholds.query_error_rate}`],
    configured_size_shortfall: [{ warn: `value<=${Number((1 - config.pool.sweep.warn_below).toPrecision(6))}` }],
  }),
  async run(ctx) {
    declare(ctx);
    const cfg = ctx.config.pool;
    const pgt = ctx.targets.pg!;
    const slots = await serverSlots(pgt.admin);
    const cores = serverCores(pgt.location.local, cfg.sweep.server_cores, pgt.facts.private);
    const slotLimit = sweepLimit({ ...slots, maxSize: cfg.sweep.max_size });
    const quickCap = quickSizeCap(ctx.mode, cores.cores, cfg.size);
    const limit = Math.min(slotLimit, quickCap ?? slotLimit);
    const sizes = sizesToTry(limit, cfg.size);
    const concurrency = cfg.sweep.concurrency ?? Math.min(64, 2 * Math.max(...sizes));
    const rounds = sweepRounds(ctx);
    ctx.info('sweep', { sizes, rounds, concurrency, step_ms: stepDurationMs(ctx), limit, quick_size_cap: quickCap ?? null, server_cores: cores.cores ?? null, server_cores_from: cores.source, ...slots });
    const perSize = new Map<number, Array<{ throughput: number; p95: number }>>(sizes.map((s) => [s, []]));
    const samplesSoFar = (): SizeSamples[] => sizes.map((size) => {
      const measured = perSize.get(size)!;
      const tags = { size: String(size) };
      return { size, rounds: measured.map((m) => m.throughput), roundP95: measured.map((m) => m.p95), p95: ctx.metrics.trend(SWEEP.duration, tags).percentile(95), errorRate: ctx.metrics.rate(SWEEP.errors, tags).value };
    });
    for (let r = 0; r < rounds && !ctx.signal.aborted; r++) {
      for (const size of roundOrder(sizes, r)) {
        if (ctx.signal.aborted) break;
        ctx.progress(`round ${r + 1}/${rounds}: pool size ${size}`);
        perSize.get(size)!.push(await measureRound(ctx, size, concurrency));
        ctx.metrics.timeSeries(SWEEP_ROUND_THROUGHPUT_SERIES, { size: String(size) }).points.push([Math.round(ctx.elapsed() * 1000) / 1000, perSize.get(size)!.at(-1)!.throughput]);
      }
      // The rounds left could not change the verdict: the time they would take buys nothing.
      if (r + 1 < rounds && !ctx.signal.aborted && mayStopEarly(ctx) && settledOnConfigured(samplesSoFar(), { configured: cfg.size, p95LimitMs: ctx.config.thresholds.query_time_ms })) {
        ctx.info('settled_after_rounds', { rounds: r + 1, of: rounds, why: `no size's range of throughput lies wholly above the configured size ${cfg.size}'s, and further rounds only widen the ranges: no size can become measurably better` });
        break;
      }
    }
    const samples: SizeSamples[] = sizes.map((size) => {
      const tags = { size: String(size) };
      const g = ctx.metrics.gauge(SWEEP_THROUGHPUT, tags);
      const measured = perSize.get(size)!;
      const roundsOf = measured.map((m) => m.throughput);
      for (const v of roundsOf) g.set(v);
      const sorted = [...roundsOf].sort((a, b) => a - b);
      if (sorted.length) g.set(sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2);
      return { size, rounds: roundsOf, roundP95: measured.map((m) => m.p95), p95: ctx.metrics.trend(SWEEP.duration, tags).percentile(95), errorRate: ctx.metrics.rate(SWEEP.errors, tags).value };
    });
    reportSweep(ctx, samples, { concurrency, cores });
  },
};
