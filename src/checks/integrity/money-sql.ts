// Catalog and sampling SQL of integrity.types: columns with their declarations, and a bounded sample of number columns' values.
import { qualified, quoteIdent } from '../../workload/sql.js';
import type { ValueStats } from './money-evidence.js';

/**
 * Columns with their type resolved through domains (a domain over double precision is double precision), numeric's
 * declared scale, the domain's name and comment, the column's comment, and the table's size estimate for sampling.
 */
export const COLUMNS_SQL = `
  SELECT n.nspname AS schema, c.relname AS table, a.attname::text AS column, format_type(b.oid, b.typmod) AS type,
    CASE WHEN b.oid = 'numeric'::regtype THEN 'numeric' WHEN b.oid = 'float4'::regtype THEN 'real' WHEN b.oid = 'float8'::regtype THEN 'double precision'
         WHEN b.oid = 'money'::regtype THEN 'money' END AS number_type,
    CASE WHEN b.oid = 'numeric'::regtype AND b.typmod >= 4 THEN (b.typmod - 4) & 65535 END AS scale,
    CASE WHEN b.oid <> a.atttypid THEN format_type(a.atttypid, a.atttypmod) END AS domain,
    CASE WHEN b.oid <> a.atttypid THEN obj_description(a.atttypid, 'pg_type') END AS domain_comment,
    col_description(c.oid, a.attnum) AS comment, c.relkind = 'p' AS partitioned, greatest(c.reltuples, 0)::float8 AS est_rows
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL (
    WITH RECURSIVE d(oid, typmod, depth) AS (
      SELECT a.atttypid, a.atttypmod, 0
      UNION ALL SELECT t.typbasetype, t.typtypmod, d.depth + 1 FROM d JOIN pg_type t ON t.oid = d.oid WHERE t.typtype = 'd' AND d.depth < 32
    ) SELECT oid, typmod FROM d ORDER BY depth DESC LIMIT 1
  ) b
  WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND n.nspname = ANY($1::text[])
    AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)
  ORDER BY n.nspname, c.relname, a.attnum`;

/** Rows read per table at most: enough to see a distribution, bounded whatever the table's size. */
export const SAMPLE_ROWS = 5000;

/** A finite value as numeric, NULL for NaN and ±Infinity (which compare above every number). */
function finite(column: string, type: string): string {
  const c = `t.${quoteIdent(column)}`;
  if (type === 'money') return `${c}::numeric`;
  return `CASE WHEN ${c} BETWEEN '-1e30' AND '1e30' THEN ${c}::numeric END`;
}

/**
 * One statement per table: reads at most SAMPLE_ROWS rows (a TABLESAMPLE SYSTEM spread over the pages of a big plain
 * table, the first rows otherwise) and returns, per column, the counts ValueStats describes as one JSON array.
 */
export function sampleSql(schema: string, table: string, columns: Array<{ column: string; type: string }>, estRows: number, partitioned: boolean): string {
  const pct = !partitioned && estRows > SAMPLE_ROWS * 4 ? Math.max(0.01, Math.min(100, (100 * SAMPLE_ROWS * 4) / estRows)) : null;
  const from = `${qualified(schema, table)} t${pct !== null ? ` TABLESAMPLE SYSTEM (${pct.toFixed(4)}) REPEATABLE (42)` : ''}`;
  const inner = columns.map((c, i) => `${finite(c.column, c.type)} AS v${i}`).join(', ');
  const stats = columns.map((_, i) => {
    const v = `v${i}`;
    return `json_build_object('n', count(${v}), 'lo', min(${v}), 'hi', max(${v}),
      'frac', count(*) FILTER (WHERE ${v} <> trunc(${v})),
      'cents', count(*) FILTER (WHERE ${v} <> trunc(${v}) AND ${v} = round(${v}, 2)),
      'oddCents', count(*) FILTER (WHERE ${v} <> trunc(${v}) AND ${v} = round(${v}, 2) AND ${v} * 4 <> trunc(${v} * 4)),
      'fine', count(*) FILTER (WHERE ${v} <> round(${v}, 4)))`;
  }).join(', ');
  return `SELECT json_build_array(${stats}) AS stats FROM (SELECT ${inner} FROM ${from} LIMIT ${SAMPLE_ROWS}) s`;
}

/** JSON numbers of numeric min/max may arrive as numbers; counts always do. */
export function toStats(raw: Record<string, unknown>): ValueStats {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    n: Number(raw.n), lo: num(raw.lo), hi: num(raw.hi), frac: Number(raw.frac), cents: Number(raw.cents),
    oddCents: Number(raw.oddCents), fine: Number(raw.fine),
  };
}
