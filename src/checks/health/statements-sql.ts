// Catalog queries of health.statements, and the one place that knows pg_stat_statements' version-dependent column names.
import { quoteIdent } from '../../workload/sql.js';

export const EXTENSION_SQL = `
SELECT e.extversion AS version, n.nspname AS schema,
       current_setting('shared_preload_libraries') AS preload
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'pg_stat_statements'`;

export const PRELOAD_SQL = `SELECT current_setting('shared_preload_libraries') AS preload`;

/** pg_stat_statements 1.8 (PostgreSQL 13) split planning from execution and renamed total_time to total_exec_time. */
export function timeColumns(extversion: string): { total: string; mean: string; stddev: string; max: string } {
  const [major = 0, minor = 0] = extversion.split('.').map(Number);
  const split = major > 1 || (major === 1 && minor >= 8);
  return split
    ? { total: 'total_exec_time', mean: 'mean_exec_time', stddev: 'stddev_exec_time', max: 'max_exec_time' }
    : { total: 'total_time', mean: 'mean_time', stddev: 'stddev_time', max: 'max_time' };
}

/** Every statement of the current database, with the figures the lists show. */
export function statementsSql(extversion: string, schema: string): string {
  const c = timeColumns(extversion);
  return `
SELECT s.queryid::text AS queryid, s.query, r.rolname AS role,
       s.calls::float8 AS calls, s.${c.total}::float8 AS total_ms, s.${c.mean}::float8 AS mean_ms,
       s.${c.stddev}::float8 AS stddev_ms, s.${c.max}::float8 AS max_ms, s.rows::float8 AS rows,
       s.shared_blks_hit::float8 AS shared_hit, s.shared_blks_read::float8 AS shared_read,
       (s.temp_blks_read + s.temp_blks_written)::float8 AS temp_blocks
  FROM ${quoteIdent(schema)}.pg_stat_statements s
  LEFT JOIN pg_roles r ON r.oid = s.userid
 WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
 ORDER BY s.${c.total} DESC
 LIMIT 5000`;
}

/** Size and shape of the relations a plan reads: row estimate, columns, and columns that lead a valid index. */
export const RELATIONS_SQL = `
SELECT n.nspname AS schema, c.relname AS "table", greatest(c.reltuples, 0)::float8 AS rows,
       ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       ARRAY(SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
              WHERE i.indrelid = c.oid AND i.indisvalid) AS indexed
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))`;

/** Column statistics to fill a parameter with: the most common values and the histogram, as text. */
export const COLUMN_STATS_SQL = `
SELECT schemaname AS schema, tablename AS "table", attname AS "column",
       (most_common_vals::text)::text[] AS mcv, (histogram_bounds::text)::text[] AS histogram
  FROM pg_stats
 WHERE attname = $1 AND tablename = ANY($2::text[])
 ORDER BY schemaname = ANY(current_schemas(false)) DESC
 LIMIT 1`;

export const PREPARED_TYPES_SQL = `SELECT parameter_types::text[] AS types FROM pg_prepared_statements WHERE name = $1`;

/** The EXPLAIN EXECUTE of a prepared statement with each value quoted by the server, never by us. */
export const EXPLAIN_EXECUTE_SQL = `
SELECT format('EXPLAIN (FORMAT JSON, VERBOSE) EXECUTE %I%s', $1::text,
              CASE WHEN cardinality($2::text[]) = 0 THEN ''
                   ELSE '(' || (SELECT string_agg(coalesce(quote_literal(v), 'NULL'), ', ' ORDER BY i) FROM unnest($2::text[]) WITH ORDINALITY AS u(v, i)) || ')' END) AS sql`;
