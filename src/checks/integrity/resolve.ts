// Resolves a table named in the config ("schema.table" or "table") and its columns against the catalog, as a finding when it cannot.
import type { ColumnsDecl } from '../../config/sections/integrity.js';
import type { CheckContext } from '../types.js';
import type { ReadOnlySession } from './read-only.js';
import { unverified } from './scope.js';

const TABLES_SQL = `
  SELECT n.nspname AS schema, c.relname AS table,
    ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname = $1 AND ($2::text IS NULL OR n.nspname = $2) AND n.nspname = ANY($3::text[])`;

export interface ResolvedTable {
  schema: string;
  table: string;
  columns: string[];
}

/** Splits "schema.table" at the last dot outside double quotes; a bare name has no schema. */
export function splitTableRef(ref: string): { schema?: string; table: string } {
  const unq = (s: string) => (s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replaceAll('""', '"') : s);
  let inQuotes = false;
  let dot = -1;
  for (let i = 0; i < ref.length; i++) {
    if (ref[i] === '"') inQuotes = !inQuotes;
    else if (ref[i] === '.' && !inQuotes) dot = i;
  }
  return dot < 0 ? { table: unq(ref) } : { schema: unq(ref.slice(0, dot)), table: unq(ref.slice(dot + 1)) };
}

/** The declared table and columns, or undefined after recording why (missing, ambiguous, unknown column). */
export async function resolveDeclaration(ctx: CheckContext, db: ReadOnlySession, schemas: string[], decl: ColumnsDecl, where: string): Promise<ResolvedTable | undefined> {
  const ref = splitTableRef(decl.table);
  const rows = await db.query<ResolvedTable>(TABLES_SQL, [ref.table, ref.schema ?? null, ref.schema ? [ref.schema] : schemas]);
  if (rows.length !== 1) {
    const why = rows.length === 0 ? `no table "${decl.table}" in ${ref.schema ? `schema "${ref.schema}"` : `the checked schemas (${schemas.join(', ') || 'none'})`}`
      : `"${decl.table}" is ambiguous: ${rows.map((r) => `${r.schema}.${r.table}`).join(', ')}`;
    unverified(ctx, `${where}: ${why}`, 'This declaration was not checked.', decl.table, 'Name the table as "schema.table" exactly as in the database.');
    return undefined;
  }
  const t = rows[0]!;
  const missing = decl.columns.filter((c) => !t.columns.includes(c));
  if (missing.length > 0) {
    unverified(ctx, `${where}: ${t.schema}.${t.table} has no column ${missing.map((c) => `"${c}"`).join(', ')}`, 'This declaration was not checked.', `${t.schema}.${t.table}`,
      `Columns of ${t.schema}.${t.table}: ${t.columns.join(', ')}.`);
    return undefined;
  }
  return t;
}
