// health.server: the shared-buffer hit ratio of this database and its tables, temporary files (work_mem too small),
// checkpoints requested vs timed (max_wal_size too small), shared_buffers against the database's size, and where the
// major has them, WAL buffers found full (pg_stat_wal, 14+) and writes done by client backends (pg_stat_io, 16+).
import type { Check, CheckContext } from '../types.js';
import { hasIoStatsView, hasWalStatsView, majorOf } from './features.js';
import { checkpointsSql, DATABASE_SQL, IO_SQL, TABLE_HITS_SQL, WAL_SQL } from './server-sql.js';
import { healthSession, type HealthSession } from './session.js';
import { bytes } from './words.js';
import { BUFFER_HIT_RATIO, CHECKPOINTS_REQUESTED_HIGH, CHECKPOINTS_REQUESTED_SHARE, LOW_BUFFER_HIT_RATIO, TEMP_BYTES } from './metrics.js';

interface Db { hit: number; read: number; temp_files: number; temp_bytes: number; stats_reset: string | null; database_bytes: number; shared_buffers_bytes: number; work_mem: string; max_wal_size: string }
interface Checkpoints { timed: number; requested: number }
interface TableHit { schema: string; table: string; hit: number; read: number; index_hit: number; index_read: number }
interface Wal { records: number; full_page_images: number; bytes: number; buffers_full: number; stats_reset: string | null; wal_buffers: string }
interface Io { backend_writes: number; writes: number }

const ratio = (hit: number, read: number): number | null => (hit + read > 0 ? hit / (hit + read) : null);
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export const serverCheck: Check = {
  id: 'health.server',
  category: 'health',
  title: 'Server: buffer cache hit ratio, temporary files, checkpoints requested vs timed',
  needs: ['pg'],
  metrics: [BUFFER_HIT_RATIO, CHECKPOINTS_REQUESTED_HIGH, CHECKPOINTS_REQUESTED_SHARE, LOW_BUFFER_HIT_RATIO, TEMP_BYTES],
  writes: false,
  thresholds: () => ({
    low_buffer_hit_ratio: [{ warn: 'count==0' }],
    checkpoints_requested_high: [{ warn: 'count==0' }],
  }),
  async run(ctx) {
    const m = ctx.metrics;
    m.headline('buffer_hit_ratio');
    const db = await healthSession(ctx, 'stackprobe-health');
    const d = (await db.query<Db>(DATABASE_SQL))[0]!;
    const cpSql = checkpointsSql(db.versionNum);
    const cp = (await db.query<Checkpoints>(cpSql.sql))[0]!;
    const tables = await db.query<TableHit>(TABLE_HITS_SQL, [ctx.config.health.schemas ?? null]);
    cache(ctx, d, tables);
    tempFiles(ctx, d);
    checkpoints(ctx, d, cp, cpSql.view);
    await walAndIo(ctx, db);
  },
};

/** What a major lacks, said once in the result instead of silently leaving a figure out. */
const lacks = (view: string, since: number, versionNum: number) => `${view} needs PostgreSQL ${since}; this server is PostgreSQL ${majorOf(versionNum)}`;

async function walAndIo(ctx: CheckContext, db: HealthSession): Promise<void> {
  const v = db.versionNum;
  const wal = hasWalStatsView(v) ? (await db.query<Wal>(WAL_SQL))[0] : undefined;
  ctx.info('wal', wal ?? { unavailable: lacks('pg_stat_wal', 14, v) });
  const io = hasIoStatsView(v) ? (await db.query<Io>(IO_SQL))[0] : undefined;
  ctx.info('io', io ? { ...io, backend_write_share: io.writes > 0 ? io.backend_writes / io.writes : null } : { unavailable: lacks('pg_stat_io', 16, v) });
  if (!wal || wal.buffers_full <= 0) return;
  ctx.finding({
    severity: 'info',
    subject: 'wal_buffers',
    title: `the WAL buffers were full ${Math.round(wal.buffers_full)} times since ${wal.stats_reset ?? 'the statistics began'} (${bytes(wal.bytes)} of WAL); wal_buffers is ${wal.wal_buffers}`,
    recommendation: 'A backend that finds the WAL buffers full writes WAL itself and waits: raise wal_buffers (e.g. 16MB, or -1 for 1/32 of shared_buffers; needs a restart).',
    data: { buffers_full: wal.buffers_full, wal_bytes: wal.bytes, wal_buffers: wal.wal_buffers },
  });
}

function cache(ctx: CheckContext, d: Db, tables: TableHit[]): void {
  const cfg = ctx.config.health.server;
  const r = ratio(d.hit, d.read);
  const judged = r !== null && d.hit + d.read >= cfg.min_blocks;
  const low = judged && r < cfg.hit_ratio_warn;
  ctx.metrics.gauge(BUFFER_HIT_RATIO).set(r ?? 1);
  ctx.metrics.counter(LOW_BUFFER_HIT_RATIO).add(low ? 1 : 0);
  ctx.info('database', { ...d, hit_ratio: r, judged });
  ctx.info('tables_by_blocks_read', tables.map((t) => ({ table: `${t.schema}.${t.table}`, read: t.read, hit_ratio: ratio(t.hit, t.read), index_read: t.index_read, index_hit_ratio: ratio(t.index_hit, t.index_read) })));
  if (!low) return;
  const worst = tables.filter((t) => t.read > 0).slice(0, 3).map((t) => `${t.schema}.${t.table} (${Math.round(t.read)} blocks read, ${pct(ratio(t.hit, t.read) ?? 0)} hit)`);
  ctx.finding({
    severity: 'warn',
    subject: 'shared_buffers',
    title: `buffer cache hit ratio ${pct(r)} over ${Math.round(d.hit + d.read)} block requests since ${d.stats_reset ?? 'the statistics began'}: below ${pct(cfg.hit_ratio_warn)}`,
    detail: `shared_buffers ${bytes(d.shared_buffers_bytes)} against a database of ${bytes(d.database_bytes)}. Most read from outside shared buffers: ${worst.join(', ') || 'no table stands out'}.`,
    recommendation: d.shared_buffers_bytes < d.database_bytes
      ? 'Raise shared_buffers (often ~25% of RAM) if the working set fits in memory, or find the scans that read whole tables (health.statements).'
      : 'shared_buffers already holds the whole database: the misses are first reads after a restart or the statistics reset; compare again later.',
    data: { ratio: r, hit: d.hit, read: d.read },
  });
}

function tempFiles(ctx: CheckContext, d: Db): void {
  ctx.metrics.gauge(TEMP_BYTES).set(d.temp_bytes);
  if (d.temp_files <= 0) return;
  ctx.finding({
    severity: 'info',
    subject: 'work_mem',
    title: `${Math.round(d.temp_files)} temporary files (${bytes(d.temp_bytes)}) written by this database since ${d.stats_reset ?? 'the statistics began'}; work_mem is ${d.work_mem}`,
    recommendation: 'Sorts and hashes that do not fit in work_mem spill to disk: health.statements names the statements with temporary blocks; raise work_mem for their role (ALTER ROLE … SET work_mem) rather than server-wide.',
    data: { temp_files: d.temp_files, temp_bytes: d.temp_bytes, work_mem: d.work_mem },
  });
}

function checkpoints(ctx: CheckContext, d: Db, cp: Checkpoints, view: string): void {
  const cfg = ctx.config.health.server;
  const total = cp.timed + cp.requested;
  const share = total > 0 ? cp.requested / total : 0;
  const high = total > 0 && share > cfg.checkpoints_requested_warn;
  ctx.metrics.gauge(CHECKPOINTS_REQUESTED_SHARE).set(share);
  ctx.metrics.counter(CHECKPOINTS_REQUESTED_HIGH).add(high ? 1 : 0);
  ctx.info('checkpoints', { ...cp, requested_share: share, max_wal_size: d.max_wal_size, view });
  if (!high) return;
  ctx.finding({
    severity: 'warn',
    subject: 'max_wal_size',
    title: `${pct(share)} of checkpoints were requested (${Math.round(cp.requested)} of ${Math.round(total)}), not timed; max_wal_size is ${d.max_wal_size}`,
    detail: 'A checkpoint forced by WAL volume comes sooner than checkpoint_timeout: more full-page writes and I/O bursts. CHECKPOINT commands, DROP DATABASE, CREATE DATABASE with STRATEGY FILE_COPY and base backups count as requested too: discount them if you run those often.',
    recommendation: 'Raise max_wal_size so that checkpoints are mostly timed (disk permitting).',
    data: { ...cp, share },
  });
}
