// cache.concurrency: GET/SET at rising in-flight counts, showing where throughput stops growing and p99 starts climbing.
import { Recorder } from '../../exec/recorder.js';
import { Trend } from '../../metrics/trend.js';
import { createRng } from '../../workload/prng.js';
import { KeyedCommand } from '../../targets/redis/wire/commands.js';
import type { Check, CheckContext } from '../types.js';
import { checkKeys, endConnections, openConnections, payload, pingBeside, populate, redisOf, stepDurationMs } from './common.js';
import { curveFindings, type CurvePoint } from './curve.js';
import { CACHE_CONCURRENCY, CACHE_CONCURRENCY_THROUGHPUT, CACHE_CONNECTIONS_LOST, pingControl } from './metrics.js';
import { concurrencyHeadline } from './headline.js';
import { runWireLoop } from './wire-loop.js';

/** Share of the mixed operations that are SETs (the rest are GETs), like a read-mostly cache. */
export const SET_SHARE = 0.2;

const OPS = ['get', 'set'] as const;

/** A level's point and the connections that carried it: `level` VUs placed round-robin over `connections`. */
interface Step {
  point: CurvePoint;
  connections: number;
}

/**
 * Operations in flight per connection when `level` VUs share `connections` round-robin: `12` or, uneven, `12–13`.
 * It is what `redis-benchmark -c <connections> -P <depth>` must use to compare like for like (docs/checks/cache.md).
 */
export function depthPerConnection(level: number, connections: number): string {
  const low = Math.floor(level / connections);
  const high = Math.ceil(level / connections);
  return low === high ? String(low) : `${low}–${high}`;
}

async function step(ctx: CheckContext, level: number, prefix: string, value: string): Promise<Step> {
  const cfg = ctx.config.cache;
  const clients = await openConnections(ctx, Math.min(level, cfg.connections));
  const connections = clients.length;
  const tags = { concurrency: String(level) };
  // One recorder per operation, so GET and SET each have their own error share.
  const recorders = OPS.map((op) => new Recorder({ registry: ctx.metrics, metrics: CACHE_CONCURRENCY, tags: { ...tags, op }, elapsed: ctx.elapsed, outcomeCounters: true }));
  const [gets, sets] = recorders as [Recorder, Recorder];
  const rngs = Array.from({ length: level }, (_, vu) => createRng(ctx.config.workload.seed, 700, level, vu));
  const ops = [
    { command: new KeyedCommand('GET', prefix), recorder: gets },
    { command: new KeyedCommand('SET', prefix, [], [value, 'EX', String(cfg.ttl_s)]), recorder: sets },
  ];
  ctx.progress(`${level} in flight`);
  for (const r of recorders) r.start();
  const pings = pingBeside(ctx, clients, tags, CACHE_CONCURRENCY.duration);
  const result = await runWireLoop({
    conns: clients, vus: level, durationMs: stepDurationMs(ctx), signal: ctx.signal, ops,
    pick(vu, next) {
      const rng = rngs[vu]!;
      next.key = rng.int(0, cfg.key_space - 1);
      next.op = rng.chance(SET_SHARE) ? 1 : 0;
    },
  });
  for (const r of recorders) r.stop();
  const share = pings.stop(gets.duration);
  // Each step's connections end with it, so the next step starts from the server's usual state.
  await endConnections(clients);
  const ok = result.succeeded;
  const errors = recorders.reduce((n, r) => n + r.errors.hits, 0);
  if (ok === 0) return { point: { level, throughput: 0, p50: 0, p99: 0, errors, share }, connections };
  const merged = new Trend();
  for (const r of recorders) merged.merge(r.duration);
  const throughput = ok / (result.elapsedMs / 1000);
  ctx.metrics.gauge(CACHE_CONCURRENCY_THROUGHPUT, tags).set(throughput);
  return { point: { level, throughput, p50: merged.percentile(50), p99: merged.percentile(99), errors, share }, connections };
}

export const cacheConcurrencyCheck: Check = {
  id: 'cache.concurrency',
  category: 'cache',
  typicalQuickMs: 2100,
  headline: concurrencyHeadline,
  title: 'Cache under rising concurrency',
  needs: ['redis'],
  metrics: [...CACHE_CONCURRENCY.all, CACHE_CONCURRENCY_THROUGHPUT, pingControl(CACHE_CONCURRENCY.duration), CACHE_CONNECTIONS_LOST],
  writes: true,
  // Per level and per operation: a stall in one step (or of SETs alone) must not hide in a rate pooled over the curve.
  thresholds: (config) => ({
    ...Object.fromEntries(config.cache.concurrency_levels.flatMap((level) => OPS.map((op) => [`cache_concurrency_errors{concurrency:${level},op:${op}}`, [`rate<${config.cache.max_error_rate}`]]))),
    cache_concurrency_timeouts: [`count<=${config.cache.max_timeouts}`],
    cache_connections_lost: ['count==0'],
  }),
  async run(ctx) {
    const cfg = ctx.config.cache;
    const prefix = checkKeys(ctx, 'conc');
    const value = payload(cfg.value_bytes);
    await populate(redisOf(ctx).client, prefix, cfg.key_space, value, cfg.ttl_s, ctx.signal);
    const steps: Step[] = [];
    for (const level of [...cfg.concurrency_levels].sort((a, b) => a - b)) {
      if (ctx.signal.aborted) break;
      steps.push(await step(ctx, level, prefix, value));
    }
    const curve = steps.map((s) => s.point);
    const round = (v: number) => Math.round(v * 100) / 100;
    // Each level says how many connections carried it and how deep: 48 in flight on 4 connections is 12 pipelined per
    // connection, which is what a like-for-like comparison (`redis-benchmark -c 4 -P 12`) must reproduce.
    ctx.info('curve', steps.map(({ point: p, connections }) => ({
      concurrency: p.level, connections, in_flight_per_connection: depthPerConnection(p.level, connections),
      ops_per_s: Math.round(p.throughput), p50_ms: round(p.p50), p99_ms: round(p.p99), errors: p.errors, get_p50_ms: p.share?.p50_ms, ping_p50_ms: p.share?.ping_p50_ms,
    })));
    const top = steps.at(-1);
    if (top) ctx.info('connections', `${top.connections} connection${top.connections === 1 ? '' : 's'} carried up to ${top.point.level} in flight (${depthPerConnection(top.point.level, top.connections)} per connection; cache.connections ${cfg.connections}); compare with redis-benchmark -c ${top.connections} -P ${Math.ceil(top.point.level / top.connections)}`);
    const max = curve.filter((p) => p.throughput > 0).reduce<CurvePoint | undefined>((best, p) => (!best || p.throughput > best.throughput ? p : best), undefined);
    if (max) ctx.metrics.headline('cache_concurrency_throughput', { concurrency: String(max.level) });
    if (max) ctx.rate('throughput_rps', `cache_concurrency_throughput{concurrency:${max.level}}`, max.throughput);
    for (const f of curveFindings(curve.filter((p) => p.throughput > 0))) ctx.finding(f);
    for (const p of curve.filter((x) => x.errors > 0)) {
      ctx.finding({
        severity: 'error', subject: `concurrency ${p.level}`, title: `${p.errors} operations failed at ${p.level} in flight`,
        detail: `See cache_concurrency_errors{concurrency:${p.level}} per operation and cache_concurrency_timeouts: a stalled or overloaded Redis shows as timeouts here.`,
        data: { level: p.level, errors: p.errors },
      });
    }
  },
};
