// Catalog queries of health.indexes. $1 is the schema list (NULL: every non-system schema but stackprobe's).
import { SCHEMA_FILTER } from './session.js';

/** When the statistics idx_scan counts from were last reset (NULL: never, i.e. since initdb or a crash). */
export const STATS_SINCE_SQL = `
SELECT stats_reset::text AS since, extract(epoch FROM now() - stats_reset)::float8 AS age_s, pg_is_in_recovery() AS replica
  FROM pg_stat_database WHERE datname = current_database()`;

/**
 * Valid indexes never scanned. Unique and exclusion indexes (with or without a constraint) are left out: they enforce
 * a rule, and dropping one changes what the table accepts. So are indexes that support a foreign key: they serve the
 * parent's deletes, which may simply not have happened yet, and dropping one would be the next foreign-key finding.
 */
export const UNUSED_SQL = `
SELECT n.nspname AS schema, t.relname AS "table", i.relname AS index, pg_relation_size(x.indexrelid)::float8 AS bytes,
       pg_get_indexdef(x.indexrelid) AS definition
  FROM pg_stat_user_indexes s
  JOIN pg_index x ON x.indexrelid = s.indexrelid
  JOIN pg_class i ON i.oid = x.indexrelid
  JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE s.idx_scan = 0 AND x.indisvalid AND NOT x.indisunique AND NOT x.indisexclusion AND NOT x.indisprimary
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u', 'x'))
   AND NOT EXISTS (
         SELECT 1 FROM pg_constraint f
          WHERE f.contype = 'f' AND f.conrelid = x.indrelid AND x.indpred IS NULL
            AND (string_to_array(x.indkey::text, ' ')::int2[])[1:cardinality(f.conkey)] @> f.conkey
            AND (string_to_array(x.indkey::text, ' ')::int2[])[1:cardinality(f.conkey)] <@ f.conkey)
   AND pg_relation_size(x.indexrelid) >= $2
   -- A partition's share of a partitioned index cannot be dropped on its own (the parent's index requires it).
   AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = x.indexrelid)
   AND ${SCHEMA_FILTER}
 ORDER BY bytes DESC, schema, index`;

/**
 * Plain btree indexes whose columns are a leading prefix of another btree index with the same predicate: the longer
 * one serves the same lookups. Identical indexes are not here: they come from the shared model (index-model.ts), which
 * integrity.catalog uses too. Partitions of a partitioned index are left out (the parent's index stands for them).
 */
export const REDUNDANT_SQL = `
WITH ix AS (
  SELECT x.indexrelid AS oid, x.indrelid AS rel, c.relam AS am, x.indisunique AS uniq, x.indnkeyatts AS nkey,
         string_to_array(x.indkey::text, ' ')::int[] AS cols,
         (string_to_array(x.indkey::text, ' ')::int[])[1:x.indnkeyatts] AS keys,
         string_to_array(x.indclass::text, ' ')::oid[] AS classes,
         string_to_array(x.indcollation::text, ' ')::oid[] AS colls,
         string_to_array(x.indoption::text, ' ')::int[] AS opts,
         coalesce(pg_get_expr(x.indpred, x.indrelid), '') AS pred,
         coalesce(pg_get_expr(x.indexprs, x.indrelid), '') AS exprs,
         EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u', 'x')) AS backs,
         n.nspname AS schema, t.relname AS "table", c.relname AS index, t.relkind = 'p' AS partitioned
    FROM pg_index x
    JOIN pg_class c ON c.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
   WHERE x.indisvalid AND x.indislive AND ${SCHEMA_FILTER}
     AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = x.indexrelid)
)
SELECT DISTINCT ON (a.oid) a.schema, a.table, a.index, b.index AS covered_by, false AS identical, a.partitioned,
       pg_relation_size(a.oid)::float8 AS bytes, pg_get_indexdef(a.oid) AS definition, pg_get_indexdef(b.oid) AS covered_definition
  FROM ix a JOIN ix b ON a.rel = b.rel AND a.oid <> b.oid AND a.am = b.am AND a.pred = b.pred AND a.exprs = b.exprs
 WHERE NOT a.backs
   AND a.am = (SELECT oid FROM pg_am WHERE amname = 'btree') AND NOT a.uniq AND a.exprs = '' AND a.cols = a.keys
   AND cardinality(a.keys) < cardinality(b.keys) AND b.keys[1:cardinality(a.keys)] = a.keys
   AND b.classes[1:cardinality(a.keys)] = a.classes AND b.colls[1:cardinality(a.keys)] = a.colls
   AND b.opts[1:cardinality(a.keys)] = a.opts
 ORDER BY a.oid, cardinality(b.keys), b.oid`;

/**
 * Foreign keys whose columns lead no valid, non-partial index of the referencing table: a DELETE or key UPDATE on the
 * referenced table then scans the whole referencing table for each row.
 */
export const FK_WITHOUT_INDEX_SQL = `
SELECT n.nspname AS schema, t.relname AS "table", k.conname AS "constraint",
       ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(attnum, i)
               JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum ORDER BY u.i) AS columns,
       rn.nspname AS parent_schema, r.relname AS parent_table, greatest(t.reltuples, 0)::float8 AS rows, t.relkind = 'p' AS partitioned
  FROM pg_constraint k
  JOIN pg_class t ON t.oid = k.conrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  JOIN pg_class r ON r.oid = k.confrelid
  JOIN pg_namespace rn ON rn.oid = r.relnamespace
 WHERE k.contype = 'f' AND ${SCHEMA_FILTER}
   -- A partition's clone of its parent's key is the parent's finding: one index on the parent serves every partition.
   AND k.conparentid = 0
   AND greatest(t.reltuples, 0) >= $2
   AND NOT EXISTS (
         SELECT 1 FROM pg_index x
          WHERE x.indrelid = k.conrelid AND x.indisvalid AND x.indpred IS NULL
            AND (string_to_array(x.indkey::text, ' ')::int2[])[1:cardinality(k.conkey)] @> k.conkey
            AND (string_to_array(x.indkey::text, ' ')::int2[])[1:cardinality(k.conkey)] <@ k.conkey)
 ORDER BY rows DESC, schema, "table", "constraint"`;

/** Indexes left invalid by a failed CREATE INDEX CONCURRENTLY or REINDEX: maintained on every write, never used. */
export const INVALID_SQL = `
SELECT n.nspname AS schema, t.relname AS "table", i.relname AS index, pg_get_indexdef(x.indexrelid) AS definition,
       pg_relation_size(x.indexrelid)::float8 AS bytes
  FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid
  JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE NOT x.indisvalid AND ${SCHEMA_FILTER}
 ORDER BY schema, index`;

/**
 * Big tables read mostly by sequential scans (the statistics-only signal of a missing index, without
 * pg_stat_statements): scans, rows per scan, and the share of scans that were sequential. $2: minimum live rows.
 */
export const SEQ_SCAN_TABLES_SQL = `
SELECT n.nspname AS schema, c.relname AS "table", s.seq_scan::float8 AS seq_scans, coalesce(s.idx_scan, 0)::float8 AS index_scans,
       round(s.seq_tup_read::numeric / nullif(s.seq_scan, 0))::float8 AS rows_per_seq_scan, s.n_live_tup::float8 AS live_rows
  FROM pg_stat_user_tables s
  JOIN pg_class c ON c.oid = s.relid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE ${SCHEMA_FILTER} AND s.n_live_tup >= $2 AND s.seq_scan > 0
   AND s.seq_scan::float8 / (s.seq_scan + coalesce(s.idx_scan, 0)) >= 0.5
 ORDER BY s.seq_tup_read DESC
 LIMIT 20`;
