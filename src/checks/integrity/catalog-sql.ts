// Catalog queries of integrity.catalog: invalid and duplicate indexes, sequence headroom, tables never analysed.

export const INVALID_INDEXES_SQL = `
  SELECT n.nspname AS schema, t.relname AS table, c.relname AS index, i.indisunique AS unique, c.relkind = 'I' AS partitioned, pg_relation_size(c.oid) AS bytes
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE NOT i.indisvalid AND n.nspname = ANY($1::text[])
  ORDER BY 1, 2, 3`;

/**
 * Each sequence's position against the smaller of its own maximum and the range of the narrowest column it feeds: the
 * column that owns it (serial, identity) or any column whose DEFAULT calls nextval() on it (a shared sequence, owned by
 * nobody). A bigint sequence behind an integer column overflows at 2^31-1. last_value is NULL before the first
 * nextval() or without the privilege to read it. Descending sequences are measured towards their minimum.
 */
export const SEQUENCES_SQL = `
  SELECT n.nspname AS schema, c.relname AS sequence, s.last_value::numeric AS last_value, s.increment_by < 0 AS descending,
    d.col AS column, d.tschema AS table_schema, d.tbl AS table, format_type(d.typ, NULL) AS column_type, coalesce(d.fed, 0) AS fed, d.owned,
    coalesce(d.feeds, '{}') AS feeds, coalesce(d.fed_cols, '[]') AS fed_cols,
    CASE WHEN s.increment_by > 0 THEN least(s.max_value::numeric, coalesce(d.limit_hi, s.max_value::numeric))
         ELSE greatest(s.min_value::numeric, coalesce(-d.limit_hi - 1, s.min_value::numeric)) END AS limit,
    s.start_value::numeric AS start,
    (SELECT attidentity <> '' FROM pg_attribute WHERE attrelid = d.relid AND attname = d.col) AS identity
  FROM pg_sequences s
  JOIN pg_namespace n ON n.nspname = s.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename
  LEFT JOIN LATERAL (
    SELECT t.oid AS relid, tn.nspname AS tschema, t.relname AS tbl, a.attname::text AS col, a.atttypid AS typ, u.owned,
      CASE a.atttypid WHEN 'int2'::regtype THEN 32767::numeric WHEN 'int4'::regtype THEN 2147483647::numeric WHEN 'int8'::regtype THEN 9223372036854775807::numeric END AS limit_hi,
      count(*) OVER () AS fed,
      array_agg(format('%s.%s.%s (%s)', tn.nspname, t.relname, a.attname, format_type(a.atttypid, NULL))) OVER () AS feeds,
      json_agg(json_build_object('schema', tn.nspname, 'table', t.relname, 'column', a.attname)) OVER () AS fed_cols
    FROM (
      SELECT dep.refobjid AS relid, dep.refobjsubid AS attnum, true AS owned FROM pg_depend dep
      WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid AND dep.refclassid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i')
      UNION
      SELECT ad.adrelid, ad.adnum, false FROM pg_depend dep JOIN pg_attrdef ad ON ad.oid = dep.objid
      WHERE dep.classid = 'pg_attrdef'::regclass AND dep.refclassid = 'pg_class'::regclass AND dep.refobjid = c.oid
        AND NOT EXISTS (SELECT 1 FROM pg_depend o WHERE o.classid = 'pg_class'::regclass AND o.objid = c.oid AND o.refobjid = ad.adrelid AND o.refobjsubid = ad.adnum AND o.deptype IN ('a', 'i'))
    ) u
    JOIN pg_class t ON t.oid = u.relid JOIN pg_namespace tn ON tn.oid = t.relnamespace JOIN pg_attribute a ON a.attrelid = u.relid AND a.attnum = u.attnum
    -- Partitions copy their parent's default: the parent's column stands for them.
    WHERE NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = t.oid)
    ORDER BY 7 NULLS LAST, 3, 4
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
