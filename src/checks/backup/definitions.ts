// Definitions of the objects in scope (columns, constraints, indexes, triggers, rules, views, functions, types, sequences), fingerprinted by name so the restore's can be compared with the source's.
import type pg from 'pg';
import { IN_SCOPE, inScope } from './scope.js';

/**
 * One row per object: its kind, a qualified name, and the md5 of the definition as the server prints it. pg_dump keeps
 * names, and both sides run on the same server version with the same search_path, so equal objects print equally.
 * Objects that extensions own are left out (CREATE EXTENSION recreates them), as are internal triggers.
 */
export const DEFINITIONS_SQL = `
  WITH rel AS (
    SELECT c.oid, c.relname, c.relkind, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${IN_SCOPE}
  ), typ AS (
    SELECT t.oid, t.typname, t.typtype, n.nspname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE t.typtype IN ('d', 'e') AND ${inScope('t.oid', 'pg_type')}
  ), fn AS (
    SELECT p.oid, p.proname, n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE p.prokind IN ('f', 'p') AND ${inScope('p.oid', 'pg_proc')}
  )
  SELECT kind, name, md5(def) AS def FROM (
    SELECT 'column' AS kind, format('%I.%I.%I', r.nspname, r.relname, a.attname) AS name,
      concat_ws(' ', format_type(a.atttypid, a.atttypmod), a.attnotnull::text, pg_get_expr(d.adbin, d.adrelid), co.collname::text, a.attgenerated::text, a.attidentity::text) AS def
    FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = r.oid AND d.adnum = a.attnum
    LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0
    WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f')
    UNION ALL
    SELECT 'constraint', format('%I.%I.%I', coalesce(r.nspname, t.nspname), coalesce(r.relname, t.typname), con.conname), pg_get_constraintdef(con.oid)
    FROM pg_constraint con LEFT JOIN rel r ON r.oid = con.conrelid LEFT JOIN typ t ON t.oid = con.contypid
    WHERE r.oid IS NOT NULL OR t.oid IS NOT NULL
    UNION ALL
    SELECT 'index', format('%I.%I', r.nspname, ic.relname), pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN rel r ON r.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
    UNION ALL
    SELECT 'trigger', format('%I.%I.%I', r.nspname, r.relname, tg.tgname), concat_ws(' ', pg_get_triggerdef(tg.oid), tg.tgenabled::text)
    FROM pg_trigger tg JOIN rel r ON r.oid = tg.tgrelid WHERE NOT tg.tgisinternal
    UNION ALL
    SELECT 'rule', format('%I.%I.%I', r.nspname, r.relname, ru.rulename), pg_get_ruledef(ru.oid)
    FROM pg_rewrite ru JOIN rel r ON r.oid = ru.ev_class WHERE ru.rulename <> '_RETURN'
    UNION ALL
    SELECT CASE r.relkind WHEN 'v' THEN 'view' ELSE 'materialised view' END, format('%I.%I', r.nspname, r.relname), pg_get_viewdef(r.oid)
    FROM rel r WHERE r.relkind IN ('v', 'm')
    UNION ALL
    SELECT 'sequence', format('%I.%I', r.nspname, r.relname), concat_ws(' ', format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
    FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid
    UNION ALL
    SELECT 'function', format('%I.%I(%s)', f.nspname, f.proname, pg_get_function_identity_arguments(f.oid)), pg_get_functiondef(f.oid) FROM fn f
    UNION ALL
    SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'enum type' END, format('%I.%I', t.nspname, t.typname),
      coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
               format_type((SELECT bt.typbasetype FROM pg_type bt WHERE bt.oid = t.oid), NULL))
    FROM typ t
  ) d`;

export interface DefinitionDiff {
  kind: string;
  name: string;
  what: 'missing' | 'differs' | 'extra';
}

export async function definitions(db: pg.ClientBase, params: [string[] | null, string[]]): Promise<Map<string, string>> {
  const rows = (await db.query<{ kind: string; name: string; def: string | null }>(DEFINITIONS_SQL, params)).rows;
  return new Map(rows.map((r) => [`${r.kind}\t${r.name}`, r.def ?? '']));
}

/** Objects the restore lacks, defines differently, or has in addition (key = kind TAB name). */
export function compareDefinitions(source: Map<string, string>, restored: Map<string, string>): DefinitionDiff[] {
  const out: DefinitionDiff[] = [];
  const split = (k: string) => { const [kind, name] = k.split('\t') as [string, string]; return { kind, name }; };
  for (const [k, def] of source) {
    const r = restored.get(k);
    if (r === undefined) out.push({ ...split(k), what: 'missing' });
    else if (r !== def) out.push({ ...split(k), what: 'differs' });
  }
  for (const k of restored.keys()) if (!source.has(k)) out.push({ ...split(k), what: 'extra' });
  return out;
}
