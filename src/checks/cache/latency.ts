// cache.latency: GET, SET with TTL, MGET and a small pipeline, each at the configured concurrency: percentiles, throughput, errors.
import { Recorder } from '../../exec/recorder.js';
import { redactText } from '../../util/redact.js';
import { createRng } from '../../workload/prng.js';
import type { WireConnection } from '../../targets/redis/wire/connection.js';
import { getHit, mget, SetExEncoder, SetExPipeline } from '../../targets/redis/wire/commands.js';
import type { Check, CheckContext } from '../types.js';
import { checkKeys, drive, firstError, latencyDurationMs, latencySettleRule, openConnections, outcomes, payload, pingBeside, populate, redisOf, settleSignal } from './common.js';
import { CACHE_CONNECTIONS_LOST, CACHE_OP, CACHE_OP_THROUGHPUT, pingControl } from './metrics.js';

type Op = (client: WireConnection, vu: number, pick: () => number) => Promise<unknown>;

/** The operations measured, each on its own: one failing is a failure, whatever the others do. */
export const LATENCY_OPS = ['get', 'set', 'mget', 'pipeline'] as const;

function operations(ctx: CheckContext, prefix: string, value: string): Array<[string, Op]> {
  const { ttl_s: ttl, batch_size: batch, concurrency } = ctx.config.cache;
  const key = (i: number) => `${prefix}${i}`;
  const many = (pick: () => number) => Array.from({ length: batch }, () => key(pick()));
  const sets = new SetExEncoder(value, ttl);
  // The pipeline's SETs are written into a Buffer of each VU's own, key numbers in place (see SetExPipeline).
  const pipelines = Array.from({ length: concurrency }, () => new SetExPipeline(prefix, value, ttl));
  const numbers = Array.from({ length: concurrency }, () => new Float64Array(batch));
  return [
    ['get', (c, _vu, pick) => getHit(c, key(pick()))],
    ['set', (c, _vu, pick) => sets.set(c, key(pick()))],
    ['mget', (c, _vu, pick) => mget(c, many(pick))],
    ['pipeline', (c, vu, pick) => {
      const n = numbers[vu]!;
      for (let i = 0; i < n.length; i++) n[i] = pick();
      return pipelines[vu]!.send(c, n);
    }],
  ];
}

export const cacheLatencyCheck: Check = {
  id: 'cache.latency',
  category: 'cache',
  typicalQuickMs: 2400,
  title: 'Cache latency: GET, SET, MGET, pipeline',
  needs: ['redis'],
  metrics: [...CACHE_OP.all, CACHE_OP_THROUGHPUT, pingControl(CACHE_OP.duration), CACHE_CONNECTIONS_LOST],
  writes: true,
  // One threshold per operation: a SET failing every time must not hide in a rate pooled with thousands of GETs.
  thresholds: (config) => ({
    ...Object.fromEntries(LATENCY_OPS.map((op) => [`cache_op_duration{op:${op}}`, [`p(95)<${config.thresholds.cache_latency_ms}`]])),
    ...Object.fromEntries(LATENCY_OPS.map((op) => [`cache_op_errors{op:${op}}`, [`rate<${config.cache.max_error_rate}`]])),
    cache_op_timeouts: [`count<=${config.cache.max_timeouts}`],
    cache_connections_lost: ['count==0'],
  }),
  async run(ctx) {
    const cfg = ctx.config.cache;
    ctx.metrics.headline('cache_op_duration', { op: 'get' });
    const prefix = checkKeys(ctx, 'lat');
    const value = payload(cfg.value_bytes);
    const clients = await openConnections(ctx, Math.min(cfg.concurrency, cfg.connections));
    ctx.progress(`writing ${cfg.key_space} keys`);
    await populate(redisOf(ctx).client, prefix, cfg.key_space, value, cfg.ttl_s, ctx.signal);
    ctx.info('setup', { keys: cfg.key_space, value_bytes: cfg.value_bytes, concurrency: cfg.concurrency, connections: clients.length, batch_size: cfg.batch_size, ttl_s: cfg.ttl_s, ...(cfg.arrival_rate ? { arrival_rate: cfg.arrival_rate } : {}) });

    // How long each operation ran: the whole window, or less once its count settled (latencySettleRule).
    const windows: Record<string, number> = {};
    for (const [index, [name, op]] of operations(ctx, prefix, value).entries()) {
      if (ctx.signal.aborted) break;
      ctx.progress(`${name} at ${cfg.concurrency} in flight`);
      const recorder = new Recorder({ registry: ctx.metrics, metrics: CACHE_OP, tags: { op: name }, elapsed: ctx.elapsed, outcomeCounters: true });
      const rngs = Array.from({ length: cfg.concurrency }, (_, vu) => createRng(ctx.config.workload.seed, 500, index, vu));
      const pings = pingBeside(ctx, clients, { op: name }, CACHE_OP.duration);
      const settle = settleSignal(recorder, latencySettleRule(ctx));
      const result = await drive(ctx, {
        recorder, vus: cfg.concurrency, durationMs: latencyDurationMs(ctx), rate: cfg.arrival_rate,
        signal: settle.signal ? AbortSignal.any([ctx.signal, settle.signal]) : ctx.signal,
        fn: (vu) => {
          const rng = rngs[vu]!;
          return op(clients[vu % clients.length]!, vu, () => rng.int(0, cfg.key_space - 1));
        },
      }).finally(() => settle.stop());
      windows[name] = Math.round(result.elapsedMs);
      ctx.info(`client_share_${name}`, pings.stop(recorder.duration));
      const ok = recorder.duration.count;
      if (ok > 0) {
        ctx.metrics.gauge(CACHE_OP_THROUGHPUT, { op: name }).set(ok / (result.elapsedMs / 1000));
        ctx.rate('response_time_ms', `cache_op_duration{op:${name}}`, recorder.duration.percentile(95));
        ctx.rate('throughput_rps', `cache_op_throughput{op:${name}}`, ok / (result.elapsedMs / 1000));
      }
      ctx.info(`outcomes_${name}`, outcomes(result, recorder));
      const err = firstError(recorder) ?? (recorder.droppedCount > 0 ? 'dropped: every in-flight slot was busy at the arrival rate' : undefined);
      if (err !== undefined) {
        ctx.finding({
          severity: 'error', subject: name, title: `${name} failed: ${redactText(err)}`,
          detail: `${recorder.errors.hits} of ${recorder.errors.total} ${name} operations attempted did not succeed: ${recorder.failed} failed, ${recorder.timedOut} timed out (command timeout ${cfg.command_timeout_ms} ms), ${recorder.droppedCount} dropped.`,
          recommendation: 'Check the Redis server\'s load (INFO, SLOWLOG) and the network between this host and Redis; a stalled server or a blocking command (KEYS, big DEL) shows up as timeouts here.',
          data: { op: name, errors: recorder.errors.hits, total: recorder.errors.total },
        });
      }
    }
    ctx.info('window_ms', windows);
  },
};
