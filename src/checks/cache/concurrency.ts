// cache.concurrency: GET/SET at rising in-flight counts, showing where throughput stops growing and p99 starts climbing.
import { Recorder } from '../../exec/recorder.js';
import { endClient } from '../../targets/redis/target.js';
import { createRng } from '../../workload/prng.js';
import type { Check, CheckContext } from '../types.js';
import { checkKeys, drive, openConnections, payload, populate, redisOf, stepDurationMs } from './common.js';
import { curveFindings, type CurvePoint } from './curve.js';

/** Share of the mixed operations that are SETs (the rest are GETs), like a read-mostly cache. */
const SET_SHARE = 0.2;

async function step(ctx: CheckContext, level: number, prefix: string, value: string): Promise<CurvePoint | undefined> {
  const cfg = ctx.config.cache;
  const clients = await openConnections(ctx, Math.min(level, cfg.connections));
  const tags = { concurrency: String(level) };
  const recorder = new Recorder({ registry: ctx.metrics, name: 'cache_concurrency', tags, elapsed: ctx.elapsed });
  const rngs = Array.from({ length: level }, (_, vu) => createRng(ctx.config.workload.seed, 700, level, vu));
  ctx.progress(`${level} in flight`);
  const result = await drive(ctx, {
    recorder, vus: level, durationMs: stepDurationMs(ctx),
    fn: (vu) => {
      const rng = rngs[vu]!;
      const client = clients[vu % clients.length]!;
      const key = `${prefix}${rng.int(0, cfg.key_space - 1)}`;
      return rng.chance(SET_SHARE) ? client.set(key, value, 'EX', cfg.ttl_s) : client.get(key);
    },
  });
  // Each step's connections end with it, so the next step starts from the server's usual state.
  await Promise.all(clients.map((c) => endClient(c)));
  const ok = recorder.duration.count;
  if (ok === 0) return undefined;
  const throughput = ok / (result.elapsedMs / 1000);
  ctx.metrics.gauge('cache_concurrency_throughput', tags, 'ops/s').set(throughput);
  return { level, throughput, p50: recorder.duration.percentile(50), p99: recorder.duration.percentile(99), errors: recorder.errors.hits };
}

export const cacheConcurrencyCheck: Check = {
  id: 'cache.concurrency',
  category: 'cache',
  title: 'Cache under rising concurrency',
  needs: ['redis'],
  writes: true,
  thresholds: (config) => ({
    cache_concurrency_errors: [`rate<${config.cache.max_error_rate}`],
  }),
  async run(ctx) {
    const cfg = ctx.config.cache;
    const prefix = checkKeys(ctx, 'conc');
    const value = payload(cfg.value_bytes);
    await populate(redisOf(ctx).client, prefix, cfg.key_space, value, cfg.ttl_s, ctx.signal);
    const curve: CurvePoint[] = [];
    for (const level of [...cfg.concurrency_levels].sort((a, b) => a - b)) {
      if (ctx.signal.aborted) break;
      const point = await step(ctx, level, prefix, value);
      if (point) curve.push(point);
    }
    const round = (v: number) => Math.round(v * 100) / 100;
    ctx.info('curve', curve.map((p) => ({ concurrency: p.level, ops_per_s: Math.round(p.throughput), p50_ms: round(p.p50), p99_ms: round(p.p99), errors: p.errors })));
    const max = curve.reduce<CurvePoint | undefined>((best, p) => (!best || p.throughput > best.throughput ? p : best), undefined);
    if (max) ctx.rate('throughput_rps', `cache_concurrency_throughput{concurrency:${max.level}}`, max.throughput);
    for (const f of curveFindings(curve)) ctx.finding(f);
  },
};
