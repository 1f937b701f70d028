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
  /** The constraint's enforcement triggers on either table are disabled (ALTER TABLE … DISABLE TRIGGER ALL). */
  triggers_disabled: boolean;
}

/** Declared foreign keys of tables in the schemas; clones on partitions are left out (the parent's constraint covers them). */
export const FOREIGN_KEYS_SQL = `
  SELECT k.conname AS name, n.nspname AS schema, c.relname AS table,
    ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(num, i) JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num ORDER BY u.i) AS columns,
    rn.nspname AS ref_schema, rc.relname AS ref_table,
    ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(num, i) JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num ORDER BY u.i) AS ref_columns,
    k.convalidated AS validated,
    EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgconstraint = k.oid AND t.tgenabled = 'D') AS triggers_disabled
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
    SELECT c.oid AS relid, n.nspname AS schema, c.relname AS table, a.attname AS column, a.atttypid AS typ, a.attnum
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND a.attname LIKE '%\\_id' AND n.nspname = ANY($1::text[])
      AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)
  )
  SELECT cols.schema, cols.table, cols.column::text AS column, pk.schema AS ref_schema, pk.table AS ref_table, pk.column::text AS ref_column
  FROM cols JOIN pk ON pk.schema = cols.schema
    AND left(cols.column, -3) IN (pk.table, regexp_replace(pk.table, 's$', ''), regexp_replace(pk.table, 'ies$', 'y'), regexp_replace(pk.table, 'es$', ''))
    AND (cols.typ = pk.typ OR (cols.typ IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) AND pk.typ IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)))
  WHERE cols.relid <> pk.relid
    AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = cols.relid AND k.contype = 'f' AND k.conkey[1] = cols.attnum)
  ORDER BY cols.schema, cols.table, cols.column`;

/**
 * Child rows whose key is fully non-null and has no parent row (MATCH SIMPLE semantics), with the total count on every
 * row so one scan gives the count and a sample. The child is read with ONLY when it is a plain table's own rows.
 */
export function orphansSql(f: { schema: string; table: string; columns: string[]; ref_schema: string; ref_table: string; ref_columns: string[] }, sample: number): string {
  const child = qualified(f.schema, f.table);
  const parent = qualified(f.ref_schema, f.ref_table);
  const cols = f.columns.map((c) => `c.${quoteIdent(c)}`);
  const notNull = cols.map((c) => `${c} IS NOT NULL`).join(' AND ');
  const join = f.columns.map((c, i) => `p.${quoteIdent(f.ref_columns[i]!)} = c.${quoteIdent(c)}`).join(' AND ');
  const keyText = cols.length === 1 ? `${cols[0]}::text` : `concat_ws(', ', ${cols.map((c) => `${c}::text`).join(', ')})`;
  return `SELECT count(*) OVER () AS n, ${keyText} AS key FROM ${child} c WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${parent} p WHERE ${join}) LIMIT ${Math.max(1, sample)}`;
}
