// Catalog and probe SQL of integrity.foreign_keys: declared foreign keys, *_id columns without one, and the orphan anti-join.
import { qualified, quoteIdent } from '../../workload/sql.js';

export interface ForeignKey {
  name: string;
  schema: string;
  table: string;
  columns: string[];
  ref_schema: string;
  ref_table: string;
  ref_columns: string[];
  validated: boolean;
  /** MATCH FULL: a key with some but not all columns NULL is a violation too. */
  match_full: boolean;
  /** Relations (the tables or any of their partitions) where the constraint's enforcement triggers are disabled. */
  disabled_on: string[];
}

/**
 * Declared foreign keys of tables in the schemas; clones on partitions are left out (the parent's constraint covers
 * them), but their triggers are not: a partition whose FK triggers are disabled lets orphans in.
 */
export const FOREIGN_KEYS_SQL = `
  SELECT k.conname AS name, n.nspname AS schema, c.relname AS table,
    ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(num, i) JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num ORDER BY u.i) AS columns,
    rn.nspname AS ref_schema, rc.relname AS ref_table,
    ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(num, i) JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num ORDER BY u.i) AS ref_columns,
    k.convalidated AS validated,
    k.confmatchtype = 'f' AS match_full,
    ARRAY(
      WITH RECURSIVE clones(oid) AS (SELECT k.oid UNION ALL SELECT x.oid FROM pg_constraint x JOIN clones ON x.conparentid = clones.oid)
      SELECT DISTINCT format('%I.%I', tn.nspname, tc.relname) FROM pg_trigger t JOIN pg_class tc ON tc.oid = t.tgrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
      WHERE t.tgconstraint IN (SELECT oid FROM clones) AND t.tgenabled = 'D' ORDER BY 1
    ) AS disabled_on
  FROM pg_constraint k
  JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_class rc ON rc.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
  WHERE k.contype = 'f' AND k.conparentid = 0 AND n.nspname = ANY($1::text[])
  ORDER BY n.nspname, c.relname, k.conname`;

export interface ImplicitCandidate {
  schema: string;
  table: string;
  column: string;
  ref_schema: string;
  ref_table: string;
  ref_column: string;
  /** The table is partitioned: NOT VALID foreign keys cannot be added to it. */
  partitioned: boolean;
}

/**
 * Columns named <table>_id (or <singular>_id of a plural table name) whose type matches that table's one-column primary
 * key, in the same schema, not the table's own key, and not the first column of any declared foreign key.
 */
export const IMPLICIT_FK_SQL = `
  WITH pk AS (
    SELECT c.oid AS relid, n.nspname AS schema, c.relname AS table, a.attname AS column, a.atttypid AS typ
    FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1]
    WHERE k.contype = 'p' AND array_length(k.conkey, 1) = 1 AND n.nspname = ANY($1::text[])
  ), cols AS (
    SELECT c.oid AS relid, n.nspname AS schema, c.relname AS table, a.attname AS column, a.atttypid AS typ, a.attnum, c.relkind = 'p' AS partitioned
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND a.attname LIKE '%\\_id' AND n.nspname = ANY($1::text[])
      AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)
  )
  SELECT cols.schema, cols.table, cols.column::text AS column, pk.schema AS ref_schema, pk.table AS ref_table, pk.column::text AS ref_column, cols.partitioned
  FROM cols JOIN pk ON pk.schema = cols.schema
    AND left(cols.column, -3) IN (pk.table, regexp_replace(pk.table, 's$', ''), regexp_replace(pk.table, 'ies$', 'y'), regexp_replace(pk.table, 'es$', ''))
    AND (cols.typ = pk.typ OR (cols.typ IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) AND pk.typ IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)))
  WHERE cols.relid <> pk.relid
    AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = cols.relid AND k.contype = 'f' AND k.conkey[1] = cols.attnum)
    -- Rails-style polymorphic references (<name>_id next to <name>_type) point at several tables: not one foreign key.
    AND NOT EXISTS (SELECT 1 FROM pg_attribute t WHERE t.attrelid = cols.relid AND t.attname = left(cols.column, -3) || '_type' AND NOT t.attisdropped)
    -- A partitioned table whose every partition declares its own foreign key on the column (pagila's payment) has one.
    AND NOT (cols.partitioned
      AND EXISTS (SELECT 1 FROM pg_partition_tree(cols.relid) p WHERE p.isleaf)
      AND NOT EXISTS (SELECT 1 FROM pg_partition_tree(cols.relid) p WHERE p.isleaf AND NOT EXISTS (
        SELECT 1 FROM pg_constraint k JOIN pg_attribute pa ON pa.attrelid = k.conrelid AND pa.attnum = k.conkey[1]
        WHERE k.conrelid = p.relid AND k.contype = 'f' AND pa.attname = cols.column)))
  ORDER BY cols.schema, cols.table, cols.column`;

/** Values applications use for "none" instead of NULL; orphans that all hold one of them are a convention, not lost parents. */
export const SENTINELS = new Set(['0', '-1', '']);

export interface OrphanRow {
  /** Violating rows in total. */
  n: string;
  /** Distinct violating keys in total. */
  keys: string;
  /** Rows whose key is partly NULL (MATCH FULL only). */
  partial: string;
  key: string;
  rows: string;
}

/**
 * Child rows that break the constraint: a fully non-NULL key with no parent row, and under MATCH FULL also a key with
 * some columns NULL and some not. Grouped by key, so the sample shows distinct keys, most frequent first, with the
 * totals on every row.
 */
export function orphansSql(f: { schema: string; table: string; columns: string[]; ref_schema: string; ref_table: string; ref_columns: string[]; match_full?: boolean }, sample: number): string {
  const child = qualified(f.schema, f.table);
  const parent = qualified(f.ref_schema, f.ref_table);
  const cols = f.columns.map((c) => `c.${quoteIdent(c)}`);
  const notNull = cols.map((c) => `${c} IS NOT NULL`).join(' AND ');
  const join = f.columns.map((c, i) => `p.${quoteIdent(f.ref_columns[i]!)} = c.${quoteIdent(c)}`).join(' AND ');
  const keyText = cols.length === 1 ? `${cols[0]}::text` : `concat_ws(', ', ${cols.map((c) => `coalesce(${c}::text, 'NULL')`).join(', ')})`;
  const partial = f.match_full && cols.length > 1 ? `(${cols.map((c) => `${c} IS NULL`).join(' OR ')}) AND NOT (${cols.map((c) => `${c} IS NULL`).join(' AND ')})` : 'false';
  return `SELECT sum(count(*)) OVER () AS n, count(*) OVER () AS keys, sum(count(*) FILTER (WHERE partial)) OVER () AS partial, key, count(*) AS rows
    FROM (SELECT ${keyText} AS key, ${partial} AS partial FROM ${child} c
      WHERE (${notNull} AND NOT EXISTS (SELECT 1 FROM ${parent} p WHERE ${join})) OR (${partial})) o
    GROUP BY key ORDER BY count(*) DESC, key LIMIT ${Math.max(1, sample)}`;
}
