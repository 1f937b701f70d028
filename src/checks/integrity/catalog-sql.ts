// Catalog queries of integrity.catalog: invalid and duplicate indexes, sequence headroom, tables never analysed.

export const INVALID_INDEXES_SQL = `
  SELECT n.nspname AS schema, t.relname AS table, c.relname AS index, i.indisunique AS unique, pg_relation_size(c.oid) AS bytes
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE NOT i.indisvalid AND n.nspname = ANY($1::text[])
  ORDER BY 1, 2, 3`;

/** Indexes with the same table, columns, operator classes, collations, expressions and predicate: all but one are dead weight. */
export const DUPLICATE_INDEXES_SQL = `
  SELECT n.nspname AS schema, t.relname AS table, array_agg(c.relname::text ORDER BY i.indisprimary DESC, i.indisunique DESC, c.relname) AS indexes,
    sum(pg_relation_size(c.oid)) AS bytes
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = ANY($1::text[]) AND i.indisvalid
  GROUP BY n.nspname, t.relname, i.indrelid, c.relam, i.indkey::text, i.indclass::text, i.indcollation::text,
    coalesce(pg_get_expr(i.indexprs, i.indrelid), ''), coalesce(pg_get_expr(i.indpred, i.indrelid), '')
  HAVING count(*) > 1
  ORDER BY 1, 2`;

/**
 * Each sequence's position against the smaller of its own maximum and the range of the column it feeds (a bigint
 * sequence behind an integer column overflows at 2^31-1). last_value is NULL before the first nextval() or without
 * the privilege to read it. Descending sequences are measured towards their minimum.
 */
export const SEQUENCES_SQL = `
  SELECT n.nspname AS schema, c.relname AS sequence, s.last_value::numeric AS last_value, s.increment_by < 0 AS descending,
    d.col AS column, d.tbl AS table, format_type(d.typ, NULL) AS column_type,
    CASE WHEN s.increment_by > 0 THEN least(s.max_value::numeric, coalesce(d.limit_hi, s.max_value::numeric))
         ELSE greatest(s.min_value::numeric, coalesce(-d.limit_hi - 1, s.min_value::numeric)) END AS limit,
    s.start_value::numeric AS start,
    (SELECT attidentity <> '' FROM pg_attribute WHERE attrelid = d.relid AND attname = d.col) AS identity
  FROM pg_sequences s
  JOIN pg_namespace n ON n.nspname = s.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename
  LEFT JOIN LATERAL (
    SELECT t.oid AS relid, t.relname AS tbl, a.attname::text AS col, a.atttypid AS typ,
      CASE a.atttypid WHEN 'int2'::regtype THEN 32767::numeric WHEN 'int4'::regtype THEN 2147483647::numeric WHEN 'int8'::regtype THEN 9223372036854775807::numeric END AS limit_hi
    FROM pg_depend dep JOIN pg_class t ON t.oid = dep.refobjid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = dep.refobjsubid
    WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid AND dep.refclassid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i')
    LIMIT 1
  ) d ON true
  WHERE n.nspname = ANY($1::text[])
  ORDER BY 1, 2`;

/** Tables with data that neither ANALYZE nor autovacuum has ever analysed: the planner guesses their sizes. */
export const NEVER_ANALYZED_SQL = `
  SELECT s.schemaname AS schema, s.relname AS table, s.n_live_tup AS rows
  FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
  WHERE s.schemaname = ANY($1::text[]) AND s.last_analyze IS NULL AND s.last_autoanalyze IS NULL
    AND (s.n_live_tup > 0 OR c.relpages > 0) AND c.relkind = 'r'
  ORDER BY 1, 2`;
