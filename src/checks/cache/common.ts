// What the cache checks share: durations per mode, connections, values, pre-populated keys, and the measuring loop.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { runArrivalRate } from '../../exec/arrival-rate.js';
import { runClosedLoop } from '../../exec/closed-loop.js';
import type { Recorder } from '../../exec/recorder.js';
import { withTimeout } from '../../exec/timeout.js';
import type { ExecResult, IterationFn } from '../../exec/types.js';
import { removeKeys } from '../../targets/redis/keys.js';
import { endClient, type RedisTarget } from '../../targets/redis/target.js';
import type { CheckContext } from '../types.js';
import { describeError } from '../../util/errors.js';
import { redactText } from '../../util/redact.js';

const byMode = (ctx: CheckContext, configured: number | undefined, quick: number, full: number): number =>
  (configured ?? (ctx.mode === 'full' ? full : quick)) * 1000;

export const latencyDurationMs = (ctx: CheckContext) => byMode(ctx, ctx.config.cache.duration_s, 1.5, 10);
export const hitRateDurationMs = (ctx: CheckContext) => byMode(ctx, ctx.config.cache.hit_rate_duration_s, 4, 20);
export const stepDurationMs = (ctx: CheckContext) => byMode(ctx, ctx.config.cache.step_duration_s, 1, 5);

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
 * Watches a connection for the whole check: a connection lost while the check uses it (the server restarted, a
 * CLIENT KILL, a timeout on the network) is a failure with its reason, even when ioredis reconnects and resends.
 */
function supervise(ctx: CheckContext, client: Redis, lost: { reported: boolean }): void {
  let lastError: string | undefined;
  client.on('error', (err: Error) => (lastError = describeError(err)));
  client.on('close', () => {
    if (ctx.signal.aborted) return;
    ctx.metrics.counter('cache_connections_lost').add();
    if (lost.reported) return;
    lost.reported = true;
    ctx.finding({
      severity: 'error', subject: 'connection', title: `a Redis connection was lost during the check: ${redactText(lastError ?? 'closed by the server or the network')}`,
      detail: 'Commands in flight on it failed or were resent after the reconnect; the figures around that moment include the outage.',
      recommendation: 'Look for a restart, a failover, CLIENT KILL, a timeout (timeout, tcp-keepalive) or a proxy between this host and Redis.',
    });
  });
}

/** `n` connected connections of their own, ended when the check ends. */
export async function openConnections(ctx: CheckContext, n: number): Promise<Redis[]> {
  const target = redisOf(ctx);
  const clients = Array.from({ length: n }, () => target.duplicate());
  // Recorded at zero, so the threshold on lost connections always has a value.
  ctx.metrics.describe('cache_connections_lost', { meaning: 'count', better: 'lower', description: 'connections of the check that the server or the network closed' });
  ctx.metrics.counter('cache_connections_lost');
  const lost = { reported: false };
  for (const c of clients) supervise(ctx, c, lost);
  ctx.defer(() => endConnections(clients));
  await Promise.all(clients.map((c) => withTimeout(c.connect(), target.timeouts.connectMs + 500, 'connecting to Redis')));
  return clients;
}

/** Ends connections of openConnections on purpose: their closing is not a loss. */
export async function endConnections(clients: Redis[]): Promise<void> {
  for (const c of clients) c.removeAllListeners('close');
  await Promise.all(clients.map((c) => endClient(c)));
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
export function drive(ctx: CheckContext, opts: { recorder: Recorder; fn: IterationFn; vus: number; durationMs: number; rate?: number | undefined }): Promise<ExecResult> {
  const timeoutMs = ctx.config.cache.command_timeout_ms * 2 + 1000;
  const base = { recorder: opts.recorder, fn: opts.fn, signal: ctx.signal, timeoutMs, durationMs: opts.durationMs };
  return opts.rate ? runArrivalRate({ ...base, rate: opts.rate, maxVus: opts.vus, drainMs: timeoutMs }) : runClosedLoop({ ...base, vus: opts.vus });
}

/** Every attempt of a run of one operation, for the report: nothing that did not succeed is left out. */
export function outcomes(result: ExecResult, recorder: Recorder): Record<string, number> {
  return {
    offered: result.offered, started: result.started, succeeded: recorder.succeeded, failed: recorder.failed,
    timed_out: recorder.timedOut, dropped: recorder.droppedCount,
  };
}

/** Declares the metrics a Recorder named `name` writes: its trend is the operation's one latency record. */
export function describeOpMetrics(ctx: CheckContext, name: string, what: string): void {
  const m = ctx.metrics;
  m.describe(`${name}_duration`, { meaning: 'latency', description: `${what}, timed once` });
  m.describe(`${name}_errors`, { meaning: 'share', better: 'lower', description: 'attempts that did not succeed (failed, timed out or dropped) over attempts' });
  m.describe(`${name}_error_kinds`, { meaning: 'count', better: 'lower' });
  m.describe(`${name}_dropped`, { meaning: 'count', better: 'lower', description: 'operations the open loop could not start: every in-flight slot busy' });
  m.describe(`${name}_timeouts`, { meaning: 'count', better: 'lower', description: 'operations that hit the command timeout: a stalled or overloaded Redis' });
  m.describe(`${name}_throughput`, { meaning: 'throughput', description: 'operations that succeeded per second' });
}

/** The first error message of a recorder, for findings (redacted when the result is built). */
export function firstError(recorder: Recorder): string | undefined {
  return recorder.lastErrors[0];
}
