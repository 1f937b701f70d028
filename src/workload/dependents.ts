// Finds objects outside the workload schema that depend on something inside it: DROP SCHEMA … CASCADE would destroy them.
import type { PgPool, PgPooledSession } from '../targets/pg/types.js';

/**
 * Dependents (normal and automatic dependencies; internal ones such as TOAST tables and array types go with their owner)
 * of every relation, type and function in the schema, and of the schema itself, whose own schema is another one.
 * Rules, triggers, column defaults and policies have no schema of their own: theirs is their table's. Anything whose
 * schema cannot be told is counted as outside, so doubt keeps the schema rather than dropping a user's object.
 */
const DEPENDENTS_SQL = `
WITH ours AS (
  SELECT 'pg_class'::regclass AS classid, c.oid AS objid FROM pg_class c WHERE c.relnamespace = $1::regnamespace
  UNION ALL SELECT 'pg_type'::regclass, t.oid FROM pg_type t WHERE t.typnamespace = $1::regnamespace
  UNION ALL SELECT 'pg_proc'::regclass, p.oid FROM pg_proc p WHERE p.pronamespace = $1::regnamespace
  UNION ALL SELECT 'pg_namespace'::regclass, $1::regnamespace::oid
), deps AS (
  SELECT DISTINCT d.classid, d.objid
  FROM pg_depend d JOIN ours o ON d.refclassid = o.classid AND d.refobjid = o.objid
  WHERE d.deptype IN ('n', 'a')
)
SELECT what FROM (
  SELECT pg_describe_object(d.classid, d.objid, 0) AS what,
         CASE d.classid
           WHEN 'pg_rewrite'::regclass THEN (SELECT c.relnamespace FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class WHERE r.oid = d.objid)
           WHEN 'pg_trigger'::regclass THEN (SELECT c.relnamespace FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.oid = d.objid)
           WHEN 'pg_attrdef'::regclass THEN (SELECT c.relnamespace FROM pg_attrdef a JOIN pg_class c ON c.oid = a.adrelid WHERE a.oid = d.objid)
           WHEN 'pg_policy'::regclass THEN (SELECT c.relnamespace FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE p.oid = d.objid)
           ELSE (SELECT n.oid FROM pg_namespace n WHERE n.nspname = (pg_identify_object(d.classid, d.objid, 0)).schema)
         END AS nsp
  FROM deps d
) x
WHERE nsp IS DISTINCT FROM $1::regnamespace::oid
ORDER BY what`;

/** Plain-words descriptions (`view v_report`, `constraint fk on table orders`) of the outside objects that depend on `schema`. */
export async function outsideDependents(db: PgPool | PgPooledSession, schema: string): Promise<string[]> {
  const res = await db.query<{ what: string }>(DEPENDENTS_SQL, [schema]);
  return res.rows.map((r) => r.what);
}

export function refusalToDrop(schema: string, dependents: string[]): string {
  const shown = dependents.slice(0, 10).join('; ');
  const more = dependents.length > 10 ? `; and ${dependents.length - 10} more` : '';
  return `schema "${schema}" was not dropped: objects outside it depend on it and DROP SCHEMA … CASCADE would destroy them (${shown}${more}). Remove those dependencies, or drop the schema yourself.`;
}
