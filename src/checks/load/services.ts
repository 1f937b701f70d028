// Opens what the load needs in this process — its own PostgreSQL pool, a Redis connection — and the resource monitor.
import os from 'node:os';
import path from 'node:path';
import { ResourceMonitor } from '../../resources/monitor.js';
import { HostSource } from '../../resources/host.js';
import { PgStatsSource } from '../../resources/pg.js';
import { ProcessSource } from '../../resources/process.js';
import { QueueDepthSource, RedisInfoSource } from '../../resources/redis.js';
import type { ResourceSource } from '../../resources/types.js';
import type { Workload } from '../../workload/types.js';
import type { CheckContext } from '../types.js';
import type { Config } from '../../config/schema.js';
import type { LoadConfig } from '../../config/sections/load.js';
import { describeError } from '../../util/errors.js';
import { redactText } from '../../util/redact.js';
import { segmentAccounts } from '../../workload/plan.js';
import { SessionPool } from '../../targets/pg/wire/pool.js';
import type { SessionTarget } from '../../targets/pg/wire/session.js';
import { removeCacheKeys, TaskTidy, type StepServices } from './steps.js';
import { openReconnectingWire } from '../../targets/redis/connect.js';
import { CONNECTIONS_LOST, PG_NOOP } from './metrics.js';

/** The load's task queue: its own setting, else the tasks category's (where the user's worker listens). */
export const taskQueue = (config: Config): string => config.load.task_queue ?? config.tasks.queue;

/** 20 no-op round trips a second per pool: enough for percentiles over a stage, a small share of a session's time. */
export const NOOP_EVERY_MS = 50;

/** Sessions of the load carry this application_name (and a suffix per worker), so they can be found in pg_stat_activity. */
export const LOAD_APP_NAME = 'stackprobe-load';

/**
 * The connections of `poolSize` split between the load's pool and the read-only pool of the custom steps, by their
 * share of the weights, so the load never holds more than poolSize (+1 for a side that is left nearly idle).
 */
export function splitPool(load: LoadConfig, poolSize: number): { main: number; read: number } {
  if (load.custom.length === 0) return { main: poolSize, read: 0 };
  const custom = load.custom.reduce((n, c) => n + c.weight, 0);
  const all = custom + Object.values(load.weights).reduce((n, w) => n + w, 0);
  const read = Math.min(poolSize, Math.max(1, Math.round(poolSize * (all > 0 ? custom / all : 1))));
  return { main: Math.max(1, poolSize - read), read };
}

/**
 * The load's measuring sessions (src/targets/pg/wire): the main pool for the workload's statements and, when the load
 * has custom steps, a read-only one for the user's SQL. Opened on demand, so an unused pool costs no connection.
 */
export function loadPools(pg: SessionTarget, load: LoadConfig, sizes: { main: number; read: number }, applicationName: string, connectMs: number): { pool: SessionPool; readPool?: SessionPool } {
  const common = { statementTimeoutMs: load.request_timeout_ms, acquireTimeoutMs: connectMs };
  const pool = new SessionPool(pg, { ...common, max: sizes.main, applicationName });
  if (sizes.read === 0) return { pool };
  return { pool, readPool: new SessionPool(pg, { ...common, max: sizes.read, applicationName: `${applicationName}-custom`, readOnly: true }) };
}

export function openServices(ctx: CheckContext, workload: Workload, poolSize: number): StepServices {
  const load = ctx.config.load;
  const sizes = splitPool(load, poolSize);
  const pg = ctx.targets.pg!;
  const pools = loadPools(pg, load, sizes, LOAD_APP_NAME, ctx.config.timeouts.connect_ms);
  ctx.defer(() => pools.pool.end());
  const { segment } = workload.membership;
  const services: StepServices = { ...pools, plan: workload.plan, statementTimeoutMs: load.request_timeout_ms, writeAccounts: segmentAccounts(workload.plan.accounts.length, segment.index, segment.count) };
  // The client's own share beside every PostgreSQL step latency, on the sessions that carry them (worker threads sample
  // their own sessions and send the figure back with each stage's metrics, worker.ts).
  const noop = ctx.metrics.trend(PG_NOOP);
  pools.pool.sampleNoop(NOOP_EVERY_MS, (ms) => noop.record(ms));
  if (pools.readPool) ctx.defer(() => pools.readPool!.end());
  const redisTarget = ctx.targets.redis;
  if (redisTarget) {
    const redis = openReconnectingWire(redisTarget.wire, lostRedis(ctx));
    services.redis = redis;
    services.keyPrefix = redisTarget.keyPrefix;
    ctx.defer(async () => {
      try {
        await removeCacheKeys(redis, redisTarget.keyPrefix);
      } finally {
        await redis.close(); // closing it on purpose is not a loss
      }
    });
  }
  const celery = ctx.targets.celery;
  if (celery) {
    const tidy = new TaskTidy(celery);
    services.celery = celery;
    services.task = { name: ctx.config.load.task_name, queue: taskQueue(ctx.config), tidy };
    ctx.defer(() => tidy.done());
  }
  return services;
}

/**
 * A Redis connection of the load that the server or the network closes (or that stalls past the command timeout)
 * fails the check with the reason, even though the requests after it go on over a new connection (counted in
 * load_connections_lost, recorded at zero from the start).
 */
function lostRedis(ctx: CheckContext): (reason: Error) => void {
  let reported = false;
  return (reason) => {
    if (ctx.signal.aborted) return;
    ctx.metrics.counter(CONNECTIONS_LOST).add();
    if (reported) return;
    reported = true;
    ctx.finding({
      severity: 'error', subject: 'connection', title: `the load's Redis connection was lost: ${redactText(describeError(reason))}`,
      detail: 'Requests in flight on it failed; the next ones went over a new connection; the stage figures around that moment include the outage.',
      recommendation: 'Look for a restart, a failover, CLIENT KILL, a stalled server, a timeout (timeout, tcp-keepalive) or a proxy between this host and Redis.',
    });
  };
}

export function startMonitor(ctx: CheckContext, onSample: (readings: Map<string, number>) => void): ResourceMonitor {
  const sources: ResourceSource[] = [new HostSource(path.resolve(ctx.config.output)), new ProcessSource(), new PgStatsSource(ctx.targets.pg!.admin)];
  if (ctx.targets.redis) sources.push(new RedisInfoSource(ctx.targets.redis.client));
  const celery = ctx.targets.celery;
  if (celery) sources.push(new QueueDepthSource(() => celery.queueDepth(taskQueue(ctx.config))));
  const monitor = new ResourceMonitor({ registry: ctx.metrics, sources, elapsed: ctx.elapsed, log: ctx.log, onSample });
  monitor.start();
  ctx.defer(() => monitor.stop());
  ctx.info('resources', { sampled: sources.map((s) => s.name), serverIsLocal: ctx.targets.pg!.location.local, cpus: os.availableParallelism() });
  return monitor;
}
