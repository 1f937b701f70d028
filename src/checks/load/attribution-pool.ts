// The client side of attribution, recorded in every thread that runs a stage: how long requests waited for a free
// PostgreSQL session (connects included) against the time of the PostgreSQL steps they were part of.
import { metric, type CounterDecl, type MetricDecl } from '../../metrics/declare.js';
import type { MetricRegistry } from '../../metrics/registry.js';
import { unit, type Unit } from '../../metrics/unit.js';
import type { SessionPool } from '../../targets/pg/wire/pool.js';
import { M } from './metrics.js';

/** An input of the attribution, never judged between runs (`better: none`): the latencies it explains are. */
const input = (name: string, meaning: 'duration' | 'count', u: Unit, description: string): CounterDecl =>
  metric.counter({ name, meaning, better: 'none', unit: u, description });

/** Declared once; recorded per stage (tag `stage`) by run-stage.ts, summed over threads by the merge. */
export const POOL_METRICS = {
  waitMs: input('load_pg_pool_wait_ms', 'duration', unit.ms, 'time the stage\'s requests waited for a free PostgreSQL session of the load\'s pools (opening a new one included), summed over requests'),
  acquired: input('load_pg_pool_acquired', 'count', unit.count(), 'sessions handed to requests (and to the no-op sampler) in the stage'),
  waited: input('load_pg_pool_waited', 'count', unit.count(), 'of those, the ones that found no idle session and waited'),
  connectMs: input('load_pg_connect_ms', 'duration', unit.ms, 'time spent opening new PostgreSQL sessions in the stage (connect, TLS, authentication, startup), summed'),
  connects: input('load_pg_connects', 'count', unit.count(), 'PostgreSQL sessions the load opened in the stage'),
  stepMs: input('load_pg_step_time_ms', 'duration', unit.ms, 'time of the stage\'s PostgreSQL steps (pg_read, pg_write, custom, replay:…), pool wait included, summed: the denominator of load_pool_wait_share'),
};

/** Declares a group of metrics in a registry up front, so their meanings are known before anything is recorded. */
export function declareAll(registry: MetricRegistry, decls: Record<string, MetricDecl>): void {
  for (const d of Object.values(decls)) registry.declare(d);
}

export type PoolStats = SessionPool['stats'];

/** The pools' running totals added together, copied. */
export function poolStatsOf(pools: SessionPool[]): PoolStats {
  const out = { acquired: 0, waited: 0, waitMs: 0, opened: 0, openMs: 0 };
  for (const p of pools) {
    out.acquired += p.stats.acquired;
    out.waited += p.stats.waited;
    out.waitMs += p.stats.waitMs;
    out.opened += p.stats.opened;
    out.openMs += p.stats.openMs;
  }
  return out;
}

const NOT_PG = new Set(['cache_get', 'cache_set', 'cache_del', 'task_submit']);

/** Records the stage's pool figures (after − before) and its PostgreSQL step time into the stage's registry. */
export function recordPoolStats(registry: MetricRegistry, stage: number, before: PoolStats, after: PoolStats): void {
  const tags = { stage: String(stage) };
  const add = (d: CounterDecl, v: number) => registry.counter(d, tags).add(v);
  add(POOL_METRICS.waitMs, after.waitMs - before.waitMs);
  add(POOL_METRICS.acquired, after.acquired - before.acquired);
  add(POOL_METRICS.waited, after.waited - before.waited);
  add(POOL_METRICS.connectMs, after.openMs - before.openMs);
  add(POOL_METRICS.connects, after.opened - before.opened);
  let stepMs = 0;
  for (const e of registry.trends.values()) {
    if (e.name !== M.step.name || e.tags.stage !== tags.stage || NOT_PG.has(e.tags.step ?? '')) continue;
    const t = e.metric;
    if (t.count > 0) stepMs += t.histogram.mean / 1000 * t.count;
  }
  add(POOL_METRICS.stepMs, stepMs);
}
