// What the cache checks share: durations per mode, connections, values, pre-populated keys, and the measuring loop.
import { randomBytes } from 'node:crypto';
import type { RedisClient as Redis } from '../../targets/redis/types.js';
import { runArrivalRate } from '../../exec/arrival-rate.js';
import { runClosedLoop } from '../../exec/closed-loop.js';
import type { Recorder } from '../../exec/recorder.js';
import type { ExecResult, IterationFn } from '../../exec/types.js';
import { removeKeys } from '../../targets/redis/keys.js';
import type { RedisTarget } from '../../targets/redis/target.js';
import type { WireConnection } from '../../targets/redis/wire/connection.js';
import type { CheckContext } from '../types.js';
import type { Tags } from '../../metrics/registry.js';
import type { Trend } from '../../metrics/trend.js';
import { startPings } from '../../targets/redis/wire/ping.js';
import { describeError } from '../../util/errors.js';
import { redactText } from '../../util/redact.js';
import { CACHE_CONNECTIONS_LOST, pingControl } from './metrics.js';
import type { TrendDecl } from '../../metrics/declare.js';
import { settleRuleFor, type SettleRule } from '../../exec/settle.js';

const byMode = (ctx: CheckContext, configured: number | undefined, quick: number, full: number): number =>
  (configured ?? (ctx.mode === 'full' ? full : quick)) * 1000;

// Quick mode's lengths are what each verdict's noise needs, no more (docs/checks/cache.md, "How long each check measures"):
// a latency p95 is judged over thousands of operations per second, so a second of them is enough; the hit rate is judged
// against what the reads made allow, its noise computed from their number; a concurrency step's verdict is its errors.
export const latencyDurationMs = (ctx: CheckContext) => byMode(ctx, ctx.config.cache.duration_s, 1, 10);

/**
 * When a cache.latency window may end before latencyDurationMs: once its operation has `samples` successes and at least
 * `minMs` has passed, the queries' rule (src/exec/settle.ts: its counts and their noise model). Every operation passes
 * that count within the floor on a 2-core host at load 10 (GET and SET 70,000 a second, MGET of 10 keys 18,000), so the
 * floor is what sets the length: 0.5 s in quick mode (it was 1 s), 2 s in full (10 s). What moves a p95 on a loaded
 * host is stalls, and a stall delays only the operations in flight (a closed loop starts none while the client is
 * stalled): at 8 in flight, a p95 above 10 ms needs one stall of 10 ms or more per 160 operations, a share of the
 * host's time in stalls that does not depend on the window's length; a shorter window lets the share it happens to see
 * vary more (√2 from 1 s to 0.5 s), around a verdict that is 12-60 times below its limit here. Whole windows: an
 * explicit duration_s, an arrival_rate (in an open loop a stall's backlog is the figure, and it needs the whole
 * window), and a check whose thresholds the config sets itself (it may judge a p99.9).
 */
export function latencySettleRule(ctx: CheckContext): SettleRule | undefined {
  const cache = ctx.config.cache;
  return settleRuleFor(ctx.mode, cache.duration_s !== undefined || cache.arrival_rate !== undefined, ctx.config.checks['cache.latency']?.thresholds);
}

/**
 * A signal that fires once `recorder` has `rule.samples` successes and `rule.minMs` has passed, looked at every 10 ms
 * (a timer, so the measuring path pays nothing per operation); `stop()` ends the watch.
 */
export function settleSignal(recorder: Recorder, rule: SettleRule | undefined): { signal: AbortSignal | undefined; stop(): void } {
  if (!rule) return { signal: undefined, stop: () => undefined };
  const settled = new AbortController();
  const from = performance.now() + rule.minMs;
  const watch = setInterval(() => {
    if (performance.now() >= from && recorder.duration.count >= rule.samples) {
      clearInterval(watch);
      settled.abort();
    }
  }, 10);
  return { signal: settled.signal, stop: () => clearInterval(watch) };
}
/**
 * cache.hit_rate's length: the configured one, 20 s in full mode; in quick mode at least 2 s and up to 4 s, ending once its
 * reads are enough for the hit rate to show thresholds.cache_hit_rate (see hit-rate.ts): a slow, loaded host reads less
 * per second, and a short run over too few reads would warn about the workload, not the cache.
 */
export function hitRateSpanMs(ctx: CheckContext): { minMs: number; maxMs: number } {
  const fixed = ctx.config.cache.hit_rate_duration_s ?? (ctx.mode === 'full' ? 20 : undefined);
  return fixed !== undefined ? { minMs: fixed * 1000, maxMs: fixed * 1000 } : { minMs: 2000, maxMs: 4000 };
}
/**
 * cache.concurrency's step per level: 0.5 s in quick mode, 2 s in full (it was 5). Its verdicts are each level's error
 * share and timeouts; at 2 s the lowest level (1 in flight, 20 % SETs) still makes 10,000 SETs and 40,000 GETs on a
 * 2-core host at load 10, so a 1 % error share is counted over a hundred failures, and each level's p99 (the curve, an
 * information) over enough samples to hold its rank to p98.8–p99.2. 12 s less in a full run.
 */
export const stepDurationMs = (ctx: CheckContext) => byMode(ctx, ctx.config.cache.step_duration_s, 0.5, 2);

export function redisOf(ctx: CheckContext): RedisTarget {
  return ctx.targets.redis!;
}

/** A value of the configured size (random, so compression or dedup on the way cannot flatter the numbers). */
export function payload(bytes: number): string {
  return randomBytes(Math.ceil(bytes / 2)).toString('hex').slice(0, bytes);
}

/** A namespace for one check's keys inside the run's prefix; removed when the check ends (the target removes the rest). */
export function checkKeys(ctx: CheckContext, name: string): string {
  const target = redisOf(ctx);
  const prefix = `${target.keyPrefix}${name}:`;
  ctx.defer(() => removeKeys(target.client, prefix));
  return prefix;
}

/**
 * Connections of the measuring path for the whole check: one the server or the network closes while the check uses it
 * (a restart, a CLIENT KILL, a stall past the command timeout) is a failure with its reason; its commands fail.
 */
function onLost(ctx: CheckContext, lost: { reported: boolean }): (reason: Error) => void {
  return (reason) => {
    if (ctx.signal.aborted) return;
    ctx.metrics.counter(CACHE_CONNECTIONS_LOST).add();
    if (lost.reported) return;
    lost.reported = true;
    ctx.finding({
      severity: 'error', subject: 'connection', title: `a Redis connection was lost during the check: ${redactText(describeError(reason))}`,
      detail: 'Commands in flight on it failed; the figures around that moment include the outage.',
      recommendation: 'Look for a restart, a failover, CLIENT KILL, a stalled server, a timeout (timeout, tcp-keepalive) or a proxy between this host and Redis.',
    });
  };
}

/** `n` connected connections of the measuring path, closed when the check ends. */
export async function openConnections(ctx: CheckContext, n: number): Promise<WireConnection[]> {
  const target = redisOf(ctx);
  // Recorded at zero, so the threshold on lost connections always has a value.
  ctx.metrics.counter(CACHE_CONNECTIONS_LOST);
  const lost = onLost(ctx, { reported: false });
  const opened = await Promise.allSettled(Array.from({ length: n }, () => target.connectWire(lost)));
  const clients = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  ctx.defer(() => endConnections(clients));
  const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
  return clients;
}

/** Ends connections of openConnections on purpose: their closing is not a loss. */
export async function endConnections(clients: WireConnection[]): Promise<void> {
  await Promise.all(clients.map((c) => c.close()));
}

/** Writes `count` keys `${prefix}${i}` with the TTL, in pipelined chunks. */
export async function populate(client: Redis, prefix: string, count: number, value: string, ttlS: number, signal: AbortSignal): Promise<void> {
  const chunk = 500;
  for (let start = 0; start < count && !signal.aborted; start += chunk) {
    const pipe = client.pipeline();
    for (let i = start; i < Math.min(count, start + chunk); i++) pipe.set(`${prefix}${i}`, value, 'EX', ttlS);
    const results = await pipe.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }
}

/** Runs `fn` closed loop at `vus` in flight, or open loop when an arrival rate is given; bounded by the command timeout. */
export function drive(ctx: CheckContext, opts: { recorder: Recorder; fn: IterationFn; vus: number; durationMs: number; rate?: number | undefined; signal?: AbortSignal }): Promise<ExecResult> {
  const timeoutMs = ctx.config.cache.command_timeout_ms * 2 + 1000;
  const base = { recorder: opts.recorder, fn: opts.fn, signal: opts.signal ?? ctx.signal, timeoutMs, durationMs: opts.durationMs };
  return opts.rate ? runArrivalRate({ ...base, rate: opts.rate, maxVus: opts.vus, drainMs: timeoutMs }) : runClosedLoop({ ...base, vus: opts.vus });
}

/** Every attempt of a run of one operation, for the report: nothing that did not succeed is left out. */
export function outcomes(result: ExecResult, recorder: Recorder): Record<string, number> {
  return {
    offered: result.offered, started: result.started, succeeded: recorder.succeeded, failed: recorder.failed,
    timed_out: recorder.timedOut, dropped: recorder.droppedCount,
  };
}

/** The first error message of a recorder, for findings (redacted when the result is built). */
export function firstError(recorder: Recorder): string | undefined {
  return recorder.lastErrors[0];
}

/**
 * Starts PINGs on `conns` beside the operations of one run (see startPings), recorded as `cache_ping_duration` with the
 * run's tags; `stop()` ends them and returns p50s of the operation and of the PING, for the report beside each other.
 */
export function pingBeside(ctx: CheckContext, conns: readonly WireConnection[], tags: Tags, beside: TrendDecl): { stop(op: Trend): Record<string, number> } {
  const trend = ctx.metrics.trend(pingControl(beside), tags);
  const pings = startPings(conns, (ms) => trend.record(ms));
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    stop(op) {
      pings.stop();
      const none: Record<string, number> = {};
      if (trend.count === 0 || op.count === 0) return none;
      const p50 = op.percentile(50);
      const ping = trend.percentile(50);
      return { p50_ms: round(p50), ping_p50_ms: round(ping), ping_share_of_p50: round(Math.min(1, ping / p50)) };
    },
  };
}
