// health.vacuum: dead tuples and their share, last (auto)vacuum and analyze, tables whose autovacuum falls behind, and
// transaction-ID / multixact wraparound age per database and table with the distance to the forced-shutdown limit.
import { qualified } from '../../workload/sql.js';
import type { Check, CheckContext } from '../types.js';
import { healthSession } from './session.js';
import { estimateBloat, type BloatEstimate, type BloatInput } from './vacuum-bloat.js';
import { BLOAT_INPUT_SQL, DATABASES_SQL, TABLES_SQL } from './vacuum-sql.js';
import { bytes } from './words.js';
import { AUTOVACUUM_BEHIND, BLOATED_TABLES, BLOAT_BYTES, DEAD_SHARE_MAX, DEAD_TUPLES, DEAD_TUPLE_TABLES, WRAPAROUND_SHARE } from './metrics.js';

/** Transaction IDs (and multixacts) wrap at 2^31 of age. */
export const WRAP_LIMIT = 2 ** 31;
/** PostgreSQL 14+ refuses new transaction IDs 3 million before wraparound (1 million before 14): the earlier one counts. */
export const STOP_LIMIT = WRAP_LIMIT - 3_000_000;

interface TableRow {
  schema: string; table: string; live: number; dead: number; reltuples: number;
  last_vacuum: string | null; last_autovacuum: string | null; last_analyze: string | null; last_autoanalyze: string | null;
  modified_since_analyze: number; av_threshold: number; av_scale: number; av_table_enabled: boolean; av_server_enabled: boolean;
  xid_age: number; mxid_age: number;
}
interface DatabaseRow { database: string; xid_age: number; mxid_age: number; freeze_max_age: number; current: boolean }

export const deadShare = (t: Pick<TableRow, 'live' | 'dead'>): number => (t.live + t.dead > 0 ? t.dead / (t.live + t.dead) : 0);
/** Autovacuum vacuums a table once its dead tuples pass threshold + scale_factor × reltuples. */
export const autovacuumTrigger = (t: Pick<TableRow, 'av_threshold' | 'av_scale' | 'reltuples'>): number => t.av_threshold + t.av_scale * t.reltuples;

export const vacuumCheck: Check = {
  id: 'health.vacuum',
  category: 'health',
  title: 'Vacuum: dead tuples, autovacuum falling behind, transaction-ID wraparound',
  needs: ['pg'],
  metrics: [AUTOVACUUM_BEHIND, BLOATED_TABLES, BLOAT_BYTES, DEAD_SHARE_MAX, DEAD_TUPLES, DEAD_TUPLE_TABLES, WRAPAROUND_SHARE],
  writes: false,
  thresholds: (config) => {
    const v = config.health.vacuum;
    return {
      autovacuum_behind: [{ warn: 'count==0' }],
      dead_tuple_tables: [{ warn: 'count==0' }],
      bloated_tables: [{ warn: 'count==0' }],
      wraparound_share: [{ fail: `value<${v.wraparound_fail_share}`, warn: `value<${v.wraparound_warn_share}` }],
    };
  },
  async run(ctx) {
    const m = ctx.metrics;
    m.headline('autovacuum_behind');
    const db = await healthSession(ctx, 'stackprobe-health');
    const tables = await db.query<TableRow>(TABLES_SQL, [ctx.config.health.schemas ?? null]);
    const databases = await db.query<DatabaseRow>(DATABASES_SQL);
    judgeTables(ctx, tables);
    judgeBloat(ctx, await db.query<BloatInput>(BLOAT_INPUT_SQL, [ctx.config.health.schemas ?? null]));
    judgeWraparound(ctx, tables, databases);
  },
};

function judgeTables(ctx: CheckContext, tables: TableRow[]): void {
  const cfg = ctx.config.health.vacuum;
  const behind = tables.filter((t) => t.dead >= cfg.dead_min_rows && t.dead > autovacuumTrigger(t));
  const deadHeavy = tables.filter((t) => t.dead >= cfg.dead_min_rows && deadShare(t) >= cfg.dead_share_warn);
  const m = ctx.metrics;
  m.counter(AUTOVACUUM_BEHIND).add(behind.length);
  m.counter(DEAD_TUPLE_TABLES).add(deadHeavy.length);
  m.gauge(DEAD_SHARE_MAX).set(Math.max(0, ...tables.filter((t) => t.dead >= cfg.dead_min_rows).map(deadShare)));
  m.gauge(DEAD_TUPLES).set(tables.reduce((s, t) => s + t.dead, 0));
  ctx.info('tables', tables.slice(0, cfg.top).map((t) => ({
    table: `${t.schema}.${t.table}`, live: t.live, dead: t.dead, dead_share: Math.round(deadShare(t) * 1000) / 1000,
    autovacuum_trigger: Math.round(autovacuumTrigger(t)), last_vacuum: t.last_vacuum, last_autovacuum: t.last_autovacuum,
    last_analyze: t.last_analyze, last_autoanalyze: t.last_autoanalyze, xid_age: t.xid_age, xid_remaining: STOP_LIMIT - t.xid_age,
    mxid_age: t.mxid_age,
  })));
  for (const t of new Set([...behind, ...deadHeavy])) {
    const name = qualified(t.schema, t.table);
    const off = !t.av_server_enabled ? 'autovacuum is off for the whole server' : !t.av_table_enabled ? 'autovacuum is disabled for this table (autovacuum_enabled = off)' : undefined;
    const last = t.last_autovacuum ?? t.last_vacuum;
    ctx.finding({
      severity: 'warn',
      subject: `${t.schema}.${t.table}`,
      title: `${t.schema}.${t.table}: ${Math.round(t.dead)} dead tuples (${(deadShare(t) * 100).toFixed(0)}% of its tuples), autovacuum triggers at ${Math.round(autovacuumTrigger(t))}${off ? `; ${off}` : ''}`,
      detail: `Last vacuum: ${last ?? 'never'}; last analyze: ${t.last_autoanalyze ?? t.last_analyze ?? 'never'}. Dead tuples take space, slow scans and bloat indexes until vacuum removes them.`,
      recommendation: off === undefined
        ? `VACUUM (ANALYZE) ${name}; if it keeps falling behind, lower its autovacuum_vacuum_scale_factor (ALTER TABLE ${name} SET (autovacuum_vacuum_scale_factor = 0.05)) or raise autovacuum_vacuum_cost_limit; check for long transactions holding the xmin (health.activity).`
        : !t.av_server_enabled
          ? `VACUUM (ANALYZE) ${name}; and turn autovacuum back on (autovacuum = on).`
          : `VACUUM (ANALYZE) ${name}; and re-enable autovacuum: ALTER TABLE ${name} RESET (autovacuum_enabled)`,
      data: {
        ...t, dead_share: deadShare(t), autovacuum_trigger: autovacuumTrigger(t),
        statements: [`VACUUM (ANALYZE) ${name}`, ...(off !== undefined && t.av_server_enabled ? [`ALTER TABLE ${name} RESET (autovacuum_enabled)`] : [])],
      },
    });
  }
}

function judgeBloat(ctx: CheckContext, inputs: BloatInput[]): void {
  const cfg = ctx.config.health.vacuum;
  const estimates = inputs.map(estimateBloat).filter((e): e is BloatEstimate => e !== null);
  const bloated = estimates.filter((e) => e.bloat_share >= cfg.bloat_warn_share && e.bloat_bytes >= cfg.bloat_min_bytes);
  ctx.metrics.counter(BLOATED_TABLES).add(bloated.length);
  ctx.metrics.gauge(BLOAT_BYTES).set(estimates.reduce((t, e) => t + e.bloat_bytes, 0));
  ctx.info('bloat', [...estimates].sort((a, b) => b.bloat_bytes - a.bloat_bytes).slice(0, cfg.top));
  const unknown = inputs.length - estimates.length;
  if (unknown > 0) ctx.info('bloat_not_estimated', `${unknown} tables: a column without statistics (never analysed, or not readable in pg_stats by this role)`);
  for (const e of bloated) {
    const name = qualified(e.schema, e.table);
    ctx.finding({
      severity: 'warn',
      subject: `${e.schema}.${e.table}`,
      title: `${e.schema}.${e.table}: ~${(e.bloat_share * 100).toFixed(0)}% bloat (~${bytes(e.bloat_bytes)}): ${e.pages} pages where its rows need ~${e.expected_pages}`,
      detail: 'Estimated from pg_stats average widths and reltuples, not measured: expect ±15 points on plain tables, more with wide TOASTed values or many NULLs. pgstattuple measures it exactly.',
      recommendation: `Space inside the table is reused by new rows; to give it back to the disk rewrite it: pg_repack (online), or VACUUM (FULL, ANALYZE) ${name} in a maintenance window (it locks the table for reads and writes).`,
      data: { ...e, statements: [`VACUUM (FULL, ANALYZE) ${name}`] },
    });
  }
}

function judgeWraparound(ctx: CheckContext, tables: TableRow[], databases: DatabaseRow[]): void {
  const cfg = ctx.config.health.vacuum;
  const worst = Math.max(0, ...databases.map((d) => Math.max(d.xid_age, d.mxid_age) / WRAP_LIMIT));
  ctx.metrics.gauge(WRAPAROUND_SHARE).set(worst);
  ctx.info('wraparound', databases.map((d) => ({ ...d, xid_remaining: STOP_LIMIT - d.xid_age, mxid_remaining: STOP_LIMIT - d.mxid_age })));
  for (const d of databases) {
    const share = Math.max(d.xid_age, d.mxid_age) / WRAP_LIMIT;
    if (share < cfg.wraparound_warn_share) continue;
    const oldest = [...tables].sort((a, b) => b.xid_age - a.xid_age).slice(0, 5).map((t) => `${t.schema}.${t.table} (${Math.round(t.xid_age)})`);
    ctx.finding({
      severity: share >= cfg.wraparound_fail_share ? 'error' : 'warn',
      subject: `database ${d.database}`,
      title: `database ${d.database} has used ${(share * 100).toFixed(0)}% of its transaction IDs: ${Math.round(STOP_LIMIT - Math.max(d.xid_age, d.mxid_age))} left before PostgreSQL stops accepting writes`,
      detail: `xid age ${Math.round(d.xid_age)}, multixact age ${Math.round(d.mxid_age)}, autovacuum_freeze_max_age ${d.freeze_max_age}.${d.current ? ` Oldest tables: ${oldest.join(', ') || 'none readable'}.` : ''}`,
      recommendation: `VACUUM (FREEZE, VERBOSE) the oldest tables of ${d.database} (connect to it), after ending long transactions, prepared transactions and stale replication slots that hold the xmin back (health.activity).`,
      data: { ...d, share },
    });
  }
}
