// Per-table row counts and content checksums (rows hashed in primary-key order), computed the same way on the source and the restore.
import type pg from 'pg';
import { qualified, quoteIdent } from '../../workload/sql.js';

export interface TableRef {
  schema: string;
  table: string;
  /** Primary-key columns in key order; empty when the table has none (rows are then ordered by their whole text). */
  pk: string[];
}

export interface TableSum {
  rows: number;
  sum: string | null;
}

/** Ordinary tables of the schemas (all user schemas when `schemas` is null), each with its primary-key columns. */
export const TABLES_SQL = `
  SELECT n.nspname AS schema, c.relname AS table,
    ARRAY(SELECT a.attname::text FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY u(k, o)
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = u.k WHERE i.indrelid = c.oid AND i.indisprimary ORDER BY u.o) AS pk
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND c.relpersistence = 'p'
    AND CASE WHEN $1::text[] IS NULL THEN n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
             ELSE n.nspname = ANY($1::text[]) END
  ORDER BY 1, 2`;

/** Size on disk of those tables with their indexes and TOAST: the "data" that throughput is measured against. */
export const DATA_SIZE_SQL = `
  SELECT coalesce(sum(pg_total_relation_size(format('%I.%I', s, t)::regclass)), 0) AS bytes FROM unnest($1::text[], $2::text[]) AS r(s, t)`;

/**
 * One scan per table: the row count and md5 over the md5 of each row's text, in primary-key order. Both sides run
 * from the same client with the same settings, so the text forms of values (dates, floats) are comparable.
 */
export function tableSumSql(t: TableRef): string {
  const alias = 'stackprobe_row';
  const order = t.pk.length > 0 ? t.pk.map((c) => `${alias}.${quoteIdent(c)}`).join(', ') : `${alias}::text`;
  return `SELECT count(*) AS rows, md5(string_agg(md5(${alias}::text), '' ORDER BY ${order})) AS sum FROM ONLY ${qualified(t.schema, t.table)} ${alias}`;
}

export async function tableSums(db: pg.ClientBase, tables: TableRef[], signal: AbortSignal): Promise<Map<string, TableSum>> {
  const out = new Map<string, TableSum>();
  for (const t of tables) {
    signal.throwIfAborted();
    const r = (await db.query<{ rows: string; sum: string | null }>(tableSumSql(t))).rows[0]!;
    out.set(`${t.schema}.${t.table}`, { rows: Number(r.rows), sum: r.sum });
  }
  return out;
}

export interface Mismatch {
  table: string;
  source: TableSum;
  restored: TableSum | undefined;
}

/** Tables whose count or checksum differ, or that the restore lacks. */
export function compareSums(source: Map<string, TableSum>, restored: Map<string, TableSum>): Mismatch[] {
  const out: Mismatch[] = [];
  for (const [table, s] of source) {
    const r = restored.get(table);
    if (!r || r.rows !== s.rows || r.sum !== s.sum) out.push({ table, source: s, restored: r });
  }
  return out;
}
