// Definitions of the objects in scope (columns, constraints, indexes, triggers, rules, policies, views, functions, types, sequences), read by name with what re-creating each one needs, and compared as text first.
import type { PgSession } from '../../targets/pg/types.js';
import { IN_SCOPE, inScope } from './scope.js';

/** A policy's expressions, printed as the clauses that define them (the same text re-creates them on the restored copy). */
export const POLICY_CLAUSES = `concat_ws(' ', 'USING (' || pg_get_expr(po.polqual, po.polrelid) || ')', 'WITH CHECK (' || pg_get_expr(po.polwithcheck, po.polrelid) || ')')`;

/**
 * One row per object: its kind, a qualified name, the part of its definition that prints the same whenever it means
 * the same (`fixed`: a column's type, a trigger's enabled state), and the part the server deparses from a parse tree
 * (`body`: an expression, a CREATE statement, a view's query), which a restore may print differently for the same
 * meaning. `schema`/`rel`/`member`/`args` say where the object lives, so the body can be re-created on the restored
 * copy; `flag` is kind-specific (a generated column, a domain's constraint, a cloned trigger's parent, why pg_dump
 * leaves an index out). Objects that extensions own are left out (CREATE EXTENSION recreates them), as are internal
 * triggers.
 */
export const DEFINITIONS_SQL = `
  WITH rel AS (
    SELECT c.oid, c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${IN_SCOPE}
  ), typ AS (
    SELECT t.oid, t.typname, t.typtype, n.nspname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE t.typtype IN ('d', 'e') AND ${inScope('t.oid', 'pg_type')}
  ), fn AS (
    SELECT p.oid, p.proname, n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE p.prokind IN ('f', 'p') AND ${inScope('p.oid', 'pg_proc')}
  )
  SELECT 'column' AS kind, format('%I.%I.%I', r.nspname, r.relname, a.attname) AS name,
    concat_ws(' ', format_type(a.atttypid, a.atttypmod), a.attnotnull::text, co.collname::text, a.attgenerated::text, a.attidentity::text) AS fixed,
    pg_get_expr(d.adbin, d.adrelid) AS body, r.nspname AS schema, r.relname AS rel, a.attname::text AS member, NULL AS args,
    CASE WHEN a.attgenerated <> '' THEN 'generated' END AS flag
  FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = r.oid AND d.adnum = a.attnum
  LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0
  WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f')
  UNION ALL
  SELECT 'constraint', format('%I.%I.%I', coalesce(r.nspname, t.nspname), coalesce(r.relname, t.typname), con.conname),
    con.contype::text, pg_get_constraintdef(con.oid), coalesce(r.nspname, t.nspname), coalesce(r.relname, t.typname), con.conname::text, NULL,
    CASE WHEN t.oid IS NOT NULL THEN 'domain' WHEN con.contype = 't' THEN 'trigger' END
  FROM pg_constraint con LEFT JOIN rel r ON r.oid = con.conrelid LEFT JOIN typ t ON t.oid = con.contypid
  WHERE r.oid IS NOT NULL OR t.oid IS NOT NULL
  UNION ALL
  -- pg_dump skips an index that is not valid (a failed CREATE INDEX CONCURRENTLY), except a partitioned table's own.
  SELECT 'index', format('%I.%I', r.nspname, ic.relname), '', pg_get_indexdef(i.indexrelid), r.nspname, r.relname, ic.relname::text, NULL,
    CASE WHEN NOT i.indisready OR NOT (i.indisvalid OR ic.relkind = 'I') THEN 'invalid' END
  FROM pg_index i JOIN rel r ON r.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
  UNION ALL
  -- A partition's clone of its parent's trigger is not dumped: the parent's CREATE TRIGGER makes it again.
  SELECT 'trigger', format('%I.%I.%I', r.nspname, r.relname, tg.tgname), tg.tgenabled::text, pg_get_triggerdef(tg.oid), r.nspname, r.relname, tg.tgname::text, NULL,
    (SELECT format('%I.%I.%I', pn.nspname, pc.relname, ptg.tgname) FROM pg_trigger ptg JOIN pg_class pc ON pc.oid = ptg.tgrelid
     JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE ptg.oid = (to_jsonb(tg) ->> 'tgparentid')::oid)
  FROM pg_trigger tg JOIN rel r ON r.oid = tg.tgrelid WHERE NOT tg.tgisinternal
  UNION ALL
  SELECT 'rule', format('%I.%I.%I', r.nspname, r.relname, ru.rulename), ru.ev_enabled::text, pg_get_ruledef(ru.oid), r.nspname, r.relname, ru.rulename::text, NULL, NULL
  FROM pg_rewrite ru JOIN rel r ON r.oid = ru.ev_class WHERE ru.rulename <> '_RETURN'
  UNION ALL
  SELECT 'policy', format('%I.%I.%I', r.nspname, r.relname, po.polname),
    concat_ws(' ', CASE WHEN po.polpermissive THEN 'permissive' ELSE 'restrictive' END, po.polcmd::text,
      (SELECT string_agg(x.role, ',' ORDER BY x.role) FROM (SELECT CASE WHEN o = 0 THEN 'public' ELSE quote_ident(pg_get_userbyid(o)) END AS role FROM unnest(po.polroles) o) x)),
    ${POLICY_CLAUSES}, r.nspname, r.relname, po.polname::text, NULL, po.polcmd::text
  FROM pg_policy po JOIN rel r ON r.oid = po.polrelid
  UNION ALL
  SELECT 'row security', format('%I.%I', r.nspname, r.relname), concat_ws(' ', 'enabled', CASE WHEN r.relforcerowsecurity THEN 'forced' END), NULL,
    r.nspname, r.relname, NULL, NULL, NULL
  FROM rel r WHERE r.relrowsecurity
  UNION ALL
  SELECT CASE r.relkind WHEN 'v' THEN 'view' ELSE 'materialised view' END, format('%I.%I', r.nspname, r.relname), '', pg_get_viewdef(r.oid),
    r.nspname, r.relname, NULL, NULL, NULL
  FROM rel r WHERE r.relkind IN ('v', 'm')
  UNION ALL
  SELECT 'sequence', format('%I.%I', r.nspname, r.relname), concat_ws(' ', format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle),
    NULL, r.nspname, r.relname, NULL, NULL, NULL
  FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid
  UNION ALL
  SELECT 'function', format('%I.%I(%s)', f.nspname, f.proname, pg_get_function_identity_arguments(f.oid)), '', pg_get_functiondef(f.oid),
    f.nspname, NULL, f.proname::text, pg_get_function_identity_arguments(f.oid), NULL
  FROM fn f
  UNION ALL
  SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'enum type' END, format('%I.%I', t.nspname, t.typname),
    coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
             format_type((SELECT bt.typbasetype FROM pg_type bt WHERE bt.oid = t.oid), NULL)),
    NULL, t.nspname, t.typname, NULL, NULL, NULL
  FROM typ t`;

export interface Definition {
  kind: string;
  name: string;
  fixed: string;
  body: string | null;
  schema: string;
  rel: string | null;
  member: string | null;
  args: string | null;
  flag: string | null;
}

/** Keyed by kind TAB qualified name. */
export type Definitions = Map<string, Definition>;

export const defKey = (d: Pick<Definition, 'kind' | 'name'>): string => `${d.kind}\t${d.name}`;

export async function definitions(db: PgSession, params: [string[] | null, string[]]): Promise<Definitions> {
  const rows = (await db.query<Definition>(DEFINITIONS_SQL, params)).rows;
  return new Map(rows.map((r) => [defKey(r), r]));
}

/** Why pg_dump leaves this object out on purpose, when it does: its absence from a restore is then no loss of the dump's doing. */
export function leftOutByDesign(d: Definition): string | undefined {
  return d.kind === 'index' && d.flag === 'invalid' ? 'invalid' : undefined;
}

export interface DefinitionDiff {
  kind: string;
  name: string;
  what: 'missing' | 'differs' | 'extra' | 'left out by design';
  /** The two forms that differ, as compared: after re-parsing, when the server could re-parse them. */
  source?: string;
  restored?: string;
  /** Why the source's form could not be re-created on the restored copy (then the forms are compared as printed). */
  why?: string;
}

/** The whole printout, for the first comparison. */
export const printed = (d: Definition): string => `${d.fixed}\n${d.body ?? ''}`;

/**
 * Objects the restore lacks, has in addition, or prints differently (key = kind TAB name). Those printed differently
 * are only candidates: `settle` (normalise.ts) decides whether they differ in meaning.
 */
export function compareText(source: Definitions, restored: Definitions): { diffs: DefinitionDiff[]; candidates: string[] } {
  const diffs: DefinitionDiff[] = [];
  const candidates: string[] = [];
  for (const [k, s] of source) {
    const r = restored.get(k);
    if (r === undefined) diffs.push({ kind: s.kind, name: s.name, what: leftOutByDesign(s) ? 'left out by design' : 'missing' });
    else if (printed(r) !== printed(s)) candidates.push(k);
  }
  for (const [k, r] of restored) if (!source.has(k)) diffs.push({ kind: r.kind, name: r.name, what: 'extra' });
  return { diffs, candidates };
}
