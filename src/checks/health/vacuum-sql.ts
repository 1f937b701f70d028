// Catalog queries of health.vacuum. Autovacuum's own trigger per table (reloptions over server settings), dead tuples,
// last (auto)vacuum/analyze, and transaction-ID and multixact ages per table and per database.
import { SCHEMA_FILTER } from './session.js';

const opt = (name: string) => `(SELECT option_value FROM pg_options_to_table(c.reloptions) WHERE option_name = '${name}')`;

export const TABLES_SQL = `
SELECT n.nspname AS schema, c.relname AS "table", s.n_live_tup::float8 AS live, s.n_dead_tup::float8 AS dead,
       greatest(c.reltuples, 0)::float8 AS reltuples,
       s.last_vacuum::text AS last_vacuum, s.last_autovacuum::text AS last_autovacuum,
       s.last_analyze::text AS last_analyze, s.last_autoanalyze::text AS last_autoanalyze,
       s.n_mod_since_analyze::float8 AS modified_since_analyze,
       coalesce(${opt('autovacuum_vacuum_threshold')}, current_setting('autovacuum_vacuum_threshold'))::float8 AS av_threshold,
       coalesce(${opt('autovacuum_vacuum_scale_factor')}, current_setting('autovacuum_vacuum_scale_factor'))::float8 AS av_scale,
       coalesce(${opt('autovacuum_enabled')}, 'on')::boolean AS av_table_enabled,
       current_setting('autovacuum')::boolean AS av_server_enabled,
       greatest(age(c.relfrozenxid), age(toast.relfrozenxid))::float8 AS xid_age,
       greatest(mxid_age(c.relminmxid), mxid_age(toast.relminmxid))::float8 AS mxid_age
  FROM pg_stat_user_tables s
  JOIN pg_class c ON c.oid = s.relid
  LEFT JOIN pg_class toast ON toast.oid = c.reltoastrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE ${SCHEMA_FILTER}
 ORDER BY s.n_dead_tup DESC`;

export const DATABASES_SQL = `
SELECT datname AS database, age(datfrozenxid)::float8 AS xid_age, mxid_age(datminmxid)::float8 AS mxid_age,
       current_setting('autovacuum_freeze_max_age')::float8 AS freeze_max_age, datname = current_database() AS current
  FROM pg_database WHERE datallowconn OR datname = current_database()
 ORDER BY xid_age DESC`;

/**
 * What a table's size estimate needs: its pages and rows, block size and fillfactor, and the summed average width of
 * its columns from pg_stats (only usable when every column has statistics this role may read).
 */
export const BLOAT_INPUT_SQL = `
SELECT n.nspname AS schema, c.relname AS "table", c.relpages::float8 AS pages, greatest(c.reltuples, 0)::float8 AS tuples,
       current_setting('block_size')::float8 AS block_size,
       coalesce((SELECT option_value FROM pg_options_to_table(c.reloptions) WHERE option_name = 'fillfactor'), '100')::float8 AS fillfactor,
       (SELECT sum(s.avg_width)::float8 FROM pg_stats s WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND NOT s.inherited) AS row_width,
       (SELECT max(s.null_frac)::float8 FROM pg_stats s WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND NOT s.inherited) AS max_null_frac,
       (SELECT count(*)::int FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       (SELECT count(*)::int FROM pg_stats s WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND NOT s.inherited) AS columns_with_stats
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'm') AND c.relpages > 0 AND ${SCHEMA_FILTER}
 ORDER BY c.relpages DESC
 LIMIT 200`;
