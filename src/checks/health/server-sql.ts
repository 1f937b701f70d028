// Catalog queries of health.server; which view holds the checkpoint counters (pg_stat_checkpointer from 17) is chosen here
// by the feature, from features.ts.
import { hasCheckpointerView } from './features.js';

export const DATABASE_SQL = `
SELECT blks_hit::float8 AS hit, blks_read::float8 AS read, temp_files::float8 AS temp_files, temp_bytes::float8 AS temp_bytes,
       stats_reset::text AS stats_reset, pg_database_size(current_database())::float8 AS database_bytes,
       pg_size_bytes(current_setting('shared_buffers'))::float8 AS shared_buffers_bytes,
       current_setting('work_mem') AS work_mem, current_setting('max_wal_size') AS max_wal_size
  FROM pg_stat_database WHERE datname = current_database()`;

export function checkpointsSql(versionNum: number): { view: string; sql: string } {
  return hasCheckpointerView(versionNum)
    ? { view: 'pg_stat_checkpointer', sql: `SELECT num_timed::float8 AS timed, num_requested::float8 AS requested FROM pg_stat_checkpointer` }
    : { view: 'pg_stat_bgwriter', sql: `SELECT checkpoints_timed::float8 AS timed, checkpoints_req::float8 AS requested FROM pg_stat_bgwriter` };
}

/** WAL volume since the statistics reset and how often a backend found the WAL buffers full (pg_stat_wal, 14+). */
export const WAL_SQL = `
SELECT wal_records::float8 AS records, wal_fpi::float8 AS full_page_images, wal_bytes::float8 AS bytes,
       wal_buffers_full::float8 AS buffers_full, stats_reset::text AS stats_reset, current_setting('wal_buffers') AS wal_buffers
  FROM pg_stat_wal`;

/** Relation blocks written by client backends themselves against all writers (pg_stat_io, 16+). */
export const IO_SQL = `
SELECT coalesce(sum(writes) FILTER (WHERE backend_type = 'client backend'), 0)::float8 AS backend_writes,
       coalesce(sum(writes), 0)::float8 AS writes
  FROM pg_stat_io WHERE object = 'relation'`;

/** Tables that read the most blocks from outside shared buffers. $1: schemas (NULL: all but system and stackprobe's). */
export const TABLE_HITS_SQL = `
SELECT n.nspname AS schema, s.relname AS "table", s.heap_blks_hit::float8 AS hit, s.heap_blks_read::float8 AS read,
       coalesce(s.idx_blks_hit, 0)::float8 AS index_hit, coalesce(s.idx_blks_read, 0)::float8 AS index_read
  FROM pg_statio_user_tables s JOIN pg_namespace n ON n.nspname = s.schemaname
 WHERE (CASE WHEN $1::text[] IS NULL THEN n.nspname <> 'stackprobe' ELSE n.nspname = ANY($1::text[]) END)
 ORDER BY s.heap_blks_read DESC NULLS LAST LIMIT 10`;
