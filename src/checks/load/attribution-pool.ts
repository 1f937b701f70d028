// The client side of attribution, recorded in every thread that runs a stage: how long requests waited for a free
// PostgreSQL session (connects included) against the time of the PostgreSQL steps they were part of.
import { metric, type MetricDecl } from '../../metrics/declare.js';
import type { MetricRegistry } from '../../metrics/registry.js';
import { unitOfLabel } from '../../metrics/unit.js';
import type { SessionPool } from '../../targets/pg/wire/pool.js';
import { M } from './metrics.js';

export interface MetricDeclaration {
  name: string;
  kind: 'counter' | 'gauge' | 'trend' | 'rate' | 'series';
  unit: string;
  meaning: 'latency' | 'duration' | 'throughput' | 'count' | 'defects' | 'state' | 'share' | 'size';
  better: 'lower' | 'higher' | 'none';
  description: string;
  basis?: 'measured' | 'derived' | 'expected' | 'cumulative' | 'client';
}

/**
 * Declared once; recorded per stage (tag `stage`) by run-stage.ts, summed over threads by the merge. Inputs of the
 * attribution, never judged between runs (`better: none`): the latencies they explain are.
 */
export const POOL_METRICS = {
  waitMs: { name: 'load_pg_pool_wait_ms', kind: 'counter', unit: 'ms', meaning: 'duration', better: 'none', description: 'time the stage\'s requests waited for a free PostgreSQL session of the load\'s pools (opening a new one included), summed over requests' },
  acquired: { name: 'load_pg_pool_acquired', kind: 'counter', unit: 'count', meaning: 'count', better: 'none', description: 'sessions handed to requests (and to the no-op sampler) in the stage' },
  waited: { name: 'load_pg_pool_waited', kind: 'counter', unit: 'count', meaning: 'count', better: 'none', description: 'of those, the ones that found no idle session and waited' },
  connectMs: { name: 'load_pg_connect_ms', kind: 'counter', unit: 'ms', meaning: 'duration', better: 'none', description: 'time spent opening new PostgreSQL sessions in the stage (connect, TLS, authentication, startup), summed' },
  connects: { name: 'load_pg_connects', kind: 'counter', unit: 'count', meaning: 'count', better: 'none', description: 'PostgreSQL sessions the load opened in the stage' },
  stepMs: { name: 'load_pg_step_time_ms', kind: 'counter', unit: 'ms', meaning: 'duration', better: 'none', description: 'time of the stage\'s PostgreSQL steps (pg_read, pg_write, custom, replay:…), pool wait included, summed: the denominator of load_pool_wait_share' },
} as const satisfies Record<string, MetricDeclaration>;

/** The registry's declaration (src/metrics/declare.ts) of one of these, made once per object. */
const made = new WeakMap<MetricDeclaration, MetricDecl>();
export function asDecl<K extends MetricDeclaration['kind']>(d: MetricDeclaration & { kind: K }): MetricDecl<K> {
  let decl = made.get(d);
  if (!decl) {
    const spec = { name: d.name, meaning: d.meaning, better: d.better, description: d.description, unit: unitOfLabel(d.unit), ...(d.basis ? { basis: d.basis } : {}) };
    decl = d.kind === 'series' ? metric.series(spec) : metric[d.kind](spec);
    made.set(d, decl);
  }
  return decl as MetricDecl<K>;
}

/** Declares metrics in a registry from their declarations. */
export function declare(registry: MetricRegistry, decls: Record<string, MetricDeclaration>): void {
  for (const d of Object.values(decls)) registry.declare(asDecl(d));
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
  const add = (d: MetricDeclaration & { kind: 'counter' }, v: number) => registry.counter(asDecl(d), tags).add(v);
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
