// The statements that widen a sequence's columns to bigint so they run: the int2/int4 columns that reference them
// through foreign keys widen too, and views and rules that depend on any of them are dropped first and re-created after.
import type { ReadOnlySession } from './read-only.js';

export interface FedColumn {
  schema: string;
  table: string;
  column: string;
}

/**
 * $1: the fed columns as JSON. `cols` follows foreign keys from each to the columns referencing it (recursively; a
 * partition's own key is widened on its partitioned root, since ALTER TYPE recurses from there). `deps` are the rewrite
 * rules depending on a widened column: a view's or materialized view's (and then, recursively, the views built on it)
 * or a rule on a table. ALTER COLUMN … TYPE refuses to run while any of them exists.
 */
export const WIDEN_PLAN_SQL = `
  WITH RECURSIVE fed AS (
    SELECT a.attrelid AS rel, a.attnum FROM json_to_recordset($1::json) AS x(schema text, "table" text, "column" text)
    JOIN pg_namespace n ON n.nspname = x.schema JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = x."table"
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = x."column"
  ), cols(rel, attnum, depth) AS (
    SELECT rel, attnum, 0 FROM fed
    UNION
    SELECT k.conrelid, k.conkey[array_position(k.confkey, cols.attnum)], cols.depth + 1
    FROM cols JOIN pg_constraint k ON k.contype = 'f' AND k.confrelid = cols.rel AND cols.attnum = ANY (k.confkey) AND k.conparentid = 0
    WHERE cols.depth < 16
  ), widened AS (
    SELECT DISTINCT format('%I.%I', rn.nspname, r.relname) AS root, a.attname, a.atttypid
    FROM cols c JOIN pg_attribute a ON a.attrelid = c.rel AND a.attnum = c.attnum
    JOIN pg_class r ON r.oid = coalesce(pg_partition_root(c.rel), c.rel) JOIN pg_namespace rn ON rn.oid = r.relnamespace
  ), deps(rule, rel, depth) AS (
    SELECT r.oid, r.ev_class, 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
    JOIN cols c ON d.refobjid = c.rel AND d.refobjsubid = c.attnum
    WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
    UNION
    SELECT r.oid, r.ev_class, deps.depth + 1 FROM deps
    JOIN pg_class v ON v.oid = deps.rel AND v.relkind IN ('v', 'm')
    JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = v.oid
    JOIN pg_rewrite r ON r.oid = d.objid AND r.ev_class <> v.oid
    WHERE deps.depth < 16
  ), relations AS (
    -- A view or materialized view to drop and re-create, at its deepest position in the chain.
    SELECT d.rel, max(d.depth) AS depth FROM deps d JOIN pg_class c ON c.oid = d.rel WHERE c.relkind IN ('v', 'm') GROUP BY d.rel
  )
  SELECT
    (SELECT coalesce(json_agg(format('ALTER TABLE %s ALTER COLUMN %I TYPE bigint;', w.root, w.attname) ORDER BY w.root, w.attname), '[]')
       FROM widened w WHERE w.atttypid IN ('int2'::regtype, 'int4'::regtype)) AS alters,
    (SELECT coalesce(json_agg(json_build_object('depth', x.depth, 'name', x.name, 'drop', x.drop, 'create', x.create) ORDER BY x.depth, x.name), '[]') FROM (
       SELECT r.depth, format('%I.%I', n.nspname, c.relname) AS name,
         format('DROP %sVIEW %I.%I;', CASE c.relkind WHEN 'm' THEN 'MATERIALIZED ' ELSE '' END, n.nspname, c.relname) AS drop,
         format('CREATE %sVIEW %I.%I%s AS %s', CASE c.relkind WHEN 'm' THEN 'MATERIALIZED ' ELSE '' END, n.nspname, c.relname,
           coalesce(' WITH (' || array_to_string(c.reloptions, ', ') || ')', ''), rtrim(btrim(pg_get_viewdef(c.oid, true)), ';') || ';')
         || coalesce((SELECT ' ' || string_agg(pg_get_indexdef(i.indexrelid) || ';', ' ') FROM pg_index i WHERE i.indrelid = c.oid), '')
         || coalesce((SELECT ' ' || string_agg(pg_get_ruledef(ru.oid, true), ' ') FROM pg_rewrite ru WHERE ru.ev_class = c.oid AND ru.rulename <> '_RETURN'), '') AS create
       FROM relations r JOIN pg_class c ON c.oid = r.rel JOIN pg_namespace n ON n.oid = c.relnamespace
       UNION ALL
       -- A rule on a table (not a view's own): dropped by name, re-created from its definition.
       SELECT 0, format('rule %I on %I.%I', ru.rulename, n.nspname, c.relname), format('DROP RULE %I ON %I.%I;', ru.rulename, n.nspname, c.relname), pg_get_ruledef(ru.oid, true)
       FROM (SELECT DISTINCT rule FROM deps) d JOIN pg_rewrite ru ON ru.oid = d.rule JOIN pg_class c ON c.oid = ru.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p') AND ru.rulename <> '_RETURN'
    ) x) AS dependents`;

export interface Dependent {
  depth: number;
  name: string;
  drop: string;
  /** The statement(s) that re-create it, each ending in `;`. */
  create: string;
}

export interface WidenPlan {
  /** Every statement, in an order that runs: drops (deepest view first), the ALTERs, re-creations (shallowest first). */
  statements: string[];
  /** The ALTER TABLE … TYPE bigint statements alone. */
  alters: string[];
  dependents: Dependent[];
}

/** Orders a plan: a view built on another view is dropped before it and re-created after it. */
export function orderPlan(alters: string[], dependents: Dependent[]): WidenPlan {
  const drops = [...dependents].sort((a, b) => b.depth - a.depth).map((d) => d.drop);
  const creates = [...dependents].sort((a, b) => a.depth - b.depth).map((d) => d.create);
  return { statements: [...drops, ...alters, ...creates], alters, dependents };
}

export async function widenPlan(db: ReadOnlySession, fed: FedColumn[]): Promise<WidenPlan> {
  const [row] = await db.query<{ alters: string[]; dependents: Dependent[] }>(WIDEN_PLAN_SQL, [JSON.stringify(fed)]);
  return orderPlan(row!.alters, row!.dependents);
}
