// pool.pgbouncer: PgBouncer's pools, waits, stats and config from its admin console, and pooled vs direct connect cost.
import type { PgLocation } from '../../targets/pg/spec.js';
import type { OtherServer } from '../../targets/pg/target.js';
import { NotPgBouncerError, openPgBouncerAdmin, type PgBouncerAdmin } from '../../targets/pgbouncer/admin.js';
import { describeError, SkipCheck } from '../../util/errors.js';
import type { Check, CheckContext } from '../types.js';
import { round } from './acquire.js';
import { connectOnce } from './connect.js';
import { readConfig, readPools, readStats, serverFor, totals } from './pgbouncer-analysis.js';
import { pgbouncerFindings } from './pgbouncer-findings.js';
import { ACQUIRE_DURATION, PGBOUNCER_CLIENTS_WAITING, PGBOUNCER_CL_ACTIVE_SERIES, PGBOUNCER_CL_WAITING_SERIES, PGBOUNCER_MAX_WAIT_MS, PGBOUNCER_SV_ACTIVE_SERIES } from './metrics.js';

/** The configured console's URL names the target's host and port: the target's connections go through it. */
function sameServer(consoleUrl: string, target: PgLocation): boolean {
  const a = new URL(consoleUrl);
  return a.hostname.replace(/^\[|\]$/g, '') === target.host.toLowerCase() && Number(a.port || 5432) === target.port;
}

/** Opens the console named in the config, or finds one next to the database URL; SkipCheck when there is none. */
async function locate(ctx: CheckContext): Promise<{ admin: PgBouncerAdmin; targetBehind: boolean }> {
  const explicit = ctx.config.pool.pgbouncer_admin_url;
  const pgt = ctx.targets.pg!;
  try {
    if (explicit === undefined) return { admin: await pgt.openPgBouncerConsole(), targetBehind: true };
    return { admin: await openPgBouncerAdmin(explicit, pgt.timeouts.connectMs), targetBehind: sameServer(explicit, pgt.location) };
  } catch (err) {
    if (!(err instanceof NotPgBouncerError)) throw err;
    // Named in the config: whatever is wrong with it is the user's to fix, so the check fails with the reason.
    if (explicit !== undefined) throw new Error(`config.pool.pgbouncer_admin_url: ${err.message}`);
    if (err.reason === 'not-allowed') throw new SkipCheck(`the database URL points at PgBouncer, but ${err.message.replace(/^.*?, but /, '')}; or set config.pool.pgbouncer_admin_url`);
    throw new SkipCheck(`the database URL is not PgBouncer (no admin console at ${pgt.location.host}:${pgt.location.port}) and config.pool.pgbouncer_admin_url is not set`);
  }
}

/** SHOW POOLS into gauges and one-second time series. */
async function samplePools(ctx: CheckContext, admin: PgBouncerAdmin): Promise<void> {
  const t = totals(readPools(await admin.show('POOLS')));
  const at = Math.round(ctx.elapsed() * 1000) / 1000;
  ctx.metrics.gauge(PGBOUNCER_CLIENTS_WAITING).set(t.clWaiting);
  ctx.metrics.gauge(PGBOUNCER_MAX_WAIT_MS).set(t.maxWaitMs);
  ctx.metrics.timeSeries(PGBOUNCER_CL_WAITING_SERIES).points.push([at, t.clWaiting]);
  ctx.metrics.timeSeries(PGBOUNCER_CL_ACTIVE_SERIES).points.push([at, t.clActive]);
  ctx.metrics.timeSeries(PGBOUNCER_SV_ACTIVE_SERIES).points.push([at, t.svActive]);
}

/** New connections through PgBouncer against new connections straight to the server behind it. */
async function pooledVsDirect(ctx: CheckContext, admin: PgBouncerAdmin): Promise<void> {
  const server = serverFor(await admin.show('DATABASES'), ctx.targets.pg!.location.database);
  const n = ctx.config.pool.acquire_samples ?? (ctx.mode === 'full' ? 100 : 20);
  const measure = async (kind: 'pooled' | 'direct', to?: OtherServer): Promise<unknown> => {
    const trend = ctx.metrics.trend(ACQUIRE_DURATION, { kind });
    let next = performance.now() + 1000;
    for (let i = 0; i < n && !ctx.signal.aborted; i++) {
      const t0 = performance.now();
      try {
        const c = await connectOnce(ctx, to);
        trend.record(performance.now() - t0);
        await c.end();
      } catch (err) {
        return err;
      }
      if (performance.now() > next) {
        next += 1000;
        await samplePools(ctx, admin);
      }
    }
    return undefined;
  };
  ctx.progress(`${n} connections through PgBouncer`);
  const pooledErr = await measure('pooled');
  if (pooledErr !== undefined) throw new Error(`connecting through PgBouncer failed: ${describeError(pooledErr)}`);
  if (!server) {
    ctx.finding({ severity: 'info', subject: 'pgbouncer', title: 'The server behind PgBouncer is reached over a socket or is unknown: no direct comparison' });
    return;
  }
  ctx.progress(`${n} connections straight to ${server.host}:${server.port}`);
  const directErr = await measure('direct', server);
  const pooled = ctx.metrics.trend(ACQUIRE_DURATION, { kind: 'pooled' });
  const d = ctx.metrics.trend(ACQUIRE_DURATION, { kind: 'direct' });
  if (directErr !== undefined || d.count === 0) {
    ctx.finding({ severity: 'info', subject: 'pgbouncer', title: `Could not connect to the server behind PgBouncer (${server.host}:${server.port}) directly from here: ${describeError(directErr)}; no direct comparison` });
    return;
  }
  const p = pooled.percentile(50);
  const q = d.percentile(50);
  ctx.info('pooled_vs_direct', { pooled_p50_ms: round(p), direct_p50_ms: round(q) });
  ctx.finding({
    severity: 'info',
    subject: 'pgbouncer',
    title: `A new connection through PgBouncer costs ${round(p)} ms (p50), straight to PostgreSQL ${round(q)} ms: ${q >= p * 1.5 ? `connecting straight to PostgreSQL is ${round(q / p)}× slower than through PgBouncer` : 'PgBouncer saves little on connecting here'}`,
    detail: `p95 ${round(pooled.percentile(95))} ms through PgBouncer, ${round(d.percentile(95))} ms direct, ${pooled.count} + ${d.count} connections, each with a first SELECT 1.`,
    data: { pooled_p50_ms: p, direct_p50_ms: q },
  });
}

export const pgbouncerCheck: Check = {
  id: 'pool.pgbouncer',
  category: 'pool',
  title: 'PgBouncer: pools, client waits, pool mode',
  needs: ['pg'],
  metrics: [ACQUIRE_DURATION, PGBOUNCER_CLIENTS_WAITING, PGBOUNCER_MAX_WAIT_MS],
  writes: false,
  thresholds: (config) => ({
    pgbouncer_max_wait_ms: [{ fail: `max<${config.pool.pgbouncer_max_wait_ms}`, warn: `max<${config.thresholds.connection_time_ms}` }],
    pgbouncer_clients_waiting: [{ warn: 'max==0' }],
  }),
  async run(ctx) {
    const m = ctx.metrics;
    m.headline('pgbouncer_max_wait_ms');
    const { admin, targetBehind } = await locate(ctx);
    ctx.defer(() => admin.close());
    ctx.info('pgbouncer', { version: admin.version, console: admin.url, target_through_pgbouncer: targetBehind });
    await samplePools(ctx, admin);
    if (targetBehind) await pooledVsDirect(ctx, admin);
    const pools = readPools(await admin.show('POOLS'));
    await samplePools(ctx, admin);
    const stats = readStats(await admin.show('STATS'));
    const config = readConfig(await admin.show('CONFIG'));
    ctx.info('pgbouncer_config', config);
    ctx.info('pgbouncer_pools', pools);
    pgbouncerFindings(ctx, { pools, stats, config });
  },
};
