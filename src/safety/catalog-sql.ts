// Catalog queries of the read check (resolve.ts): names to objects the way the server would find them, and from objects
// to what runs when they are used (operator and cast functions, view rules, row-level policies, domain constraints).
// Every one reads only pg_catalog and takes arrays, so a statement costs a few round trips, not one per name.

/**
 * Candidates of each name: qualified names in their schema; unqualified ones in the session's search path with its
 * implicit schemas (current_schemas(true)), or anywhere when `anywhere` (a name inside a function's body, whose search
 * path is not known for sure). `attr`: attribute notation, only functions of one argument.
 */
export const FUNCTIONS_BY_NAME_SQL = `
SELECT DISTINCT p.oid::text AS oid
  FROM unnest($1::text[], $2::text[], $3::bool[], $4::bool[]) AS r(schema, name, attr, anywhere)
  JOIN pg_proc p ON p.proname = r.name AND (NOT r.attr OR p.pronargs = 1)
  JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE CASE WHEN r.schema IS NOT NULL THEN n.nspname = r.schema ELSE r.anywhere OR n.nspname = ANY (current_schemas(true)) END`;

/** Candidates of each name in one catalog (`rel`, its name and namespace columns), resolved as for functions above. */
function byNameSql(rel: string, nameColumn: string, namespaceColumn: string): string {
  return `
SELECT DISTINCT x.oid::text AS oid
  FROM unnest($1::text[], $2::text[], $3::bool[]) AS r(schema, name, anywhere)
  JOIN ${rel} x ON x.${nameColumn} = r.name
  JOIN pg_namespace n ON n.oid = x.${namespaceColumn}
 WHERE CASE WHEN r.schema IS NOT NULL THEN n.nspname = r.schema ELSE r.anywhere OR n.nspname = ANY (current_schemas(true)) END`;
}

export const OPERATORS_BY_NAME_SQL = byNameSql('pg_operator', 'oprname', 'oprnamespace');
export const TYPES_BY_NAME_SQL = byNameSql('pg_type', 'typname', 'typnamespace');
export const RELATIONS_BY_NAME_SQL = byNameSql('pg_class', 'relname', 'relnamespace');

/** What an object makes run, as (catalog, oid) pairs: `cls` is pg_proc, pg_operator, pg_class or pg_type. */
export interface DependencyRow {
  from: string;
  /** The object it comes from, as the server names it (regoperator, regclass, regtype). */
  label: string;
  cls: string;
  oid: string;
}

/** An operator runs its function; the planner calls its selectivity estimators. */
export const OPERATOR_DEPENDENCIES_SQL = `
SELECT o.oid::text AS "from", o.oid::regoperator::text AS label, 'pg_proc' AS cls, f.fn::oid::text AS oid
  FROM pg_operator o, unnest(ARRAY[o.oprcode::oid, o.oprrest::oid, o.oprjoin::oid]) AS f(fn)
 WHERE o.oid = ANY ($1::oid[]) AND f.fn <> 0`;

/**
 * Reading a relation runs its view rule's query and its row-level policies: their exact dependencies, recorded by the
 * server when they were created (functions, operators, relations and types by oid, not by text). The server's own
 * views (pg_catalog, information_schema) record none and are the server's: they are not expanded.
 */
export const RELATION_DEPENDENCIES_SQL = `
SELECT DISTINCT c.oid::text AS "from", c.oid::regclass::text AS label, d.refclassid::regclass::text AS cls, d.refobjid::text AS oid
  FROM pg_class c
  JOIN pg_depend d ON (d.classid = 'pg_rewrite'::regclass AND d.objid IN (SELECT r.oid FROM pg_rewrite r WHERE r.ev_class = c.oid))
                   OR (d.classid = 'pg_policy'::regclass AND d.objid IN (SELECT p.oid FROM pg_policy p WHERE p.polrelid = c.oid))
 WHERE c.oid = ANY ($1::oid[]) AND d.refobjid <> c.oid`;

/**
 * The text of what reading a relation runs, deparsed by the server: a view's query (pg_get_viewdef) and its row-level
 * policies' expressions. pg_depend does not record dependencies on the server's own (pinned) objects, so a view calling
 * pg_catalog.pg_terminate_backend has none there: its deparsed query, parsed again, names it. The server's own views
 * (pg_catalog, information_schema) are the server's and are not expanded.
 */
export const RELATION_DEFINITIONS_SQL = `
SELECT c.oid::regclass::text AS label, pg_get_viewdef(c.oid) AS sql
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = ANY ($1::oid[]) AND c.relkind = 'v' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
UNION ALL
SELECT p.polrelid::regclass::text, 'SELECT ' || pg_get_expr(p.polqual, p.polrelid)
  FROM pg_policy p WHERE p.polrelid = ANY ($1::oid[]) AND p.polqual IS NOT NULL`;

/** A domain's constraints, deparsed (VALUE stands for the value): a cast to the domain evaluates them. */
export const DOMAIN_DEFINITIONS_SQL = `
SELECT con.contypid::regtype::text AS label, 'SELECT ' || pg_get_expr(con.conbin, 0) AS sql
  FROM pg_constraint con WHERE con.contypid = ANY ($1::oid[]) AND con.conbin IS NOT NULL`;

export interface DefinitionRow {
  label: string;
  sql: string;
}

/**
 * A cast to a type runs its cast function, its input function (for a literal) and, for a domain, its constraints;
 * an array's element type and a domain's base type come along.
 */
export const TYPE_DEPENDENCIES_SQL = `
SELECT t.oid::text AS "from", t.oid::regtype::text AS label, 'pg_proc' AS cls, t.typinput::oid::text AS oid FROM pg_type t WHERE t.oid = ANY ($1::oid[])
UNION SELECT t.oid::text, t.oid::regtype::text, 'pg_type', t.typelem::text FROM pg_type t WHERE t.oid = ANY ($1::oid[]) AND t.typelem <> 0
UNION SELECT t.oid::text, t.oid::regtype::text, 'pg_type', t.typbasetype::text FROM pg_type t WHERE t.oid = ANY ($1::oid[]) AND t.typbasetype <> 0
UNION SELECT c.casttarget::text, c.casttarget::regtype::text, 'pg_proc', c.castfunc::text FROM pg_cast c WHERE c.casttarget = ANY ($1::oid[]) AND c.castfunc <> 0
UNION SELECT con.contypid::text, con.contypid::regtype::text, d.refclassid::regclass::text, d.refobjid::text
        FROM pg_constraint con JOIN pg_depend d ON d.classid = 'pg_constraint'::regclass AND d.objid = con.oid
       WHERE con.contypid = ANY ($1::oid[]) AND d.refobjid <> con.contypid`;

/**
 * Functions the server may call without their name or an operator in the text, when they are not its own: implicit
 * casts (inserted around any expression) and operator-class support functions (a sort's comparison, a hash join's
 * hash, chosen by the column's type). Checked for every statement; real schemas have few, mostly extensions' C.
 */
export const USER_IMPLICIT_FUNCTIONS_SQL = `
SELECT c.castfunc::text AS oid, format('implicit cast %s -> %s', c.castsource::regtype, c.casttarget::regtype) AS via
  FROM pg_cast c JOIN pg_proc p ON p.oid = c.castfunc
 WHERE c.castcontext = 'i' AND p.pronamespace <> 'pg_catalog'::regnamespace
UNION ALL
SELECT a.amproc::oid::text, format('support function %s of operator family %I.%I', a.amprocnum, fn.nspname, f.opfname)
  FROM pg_amproc a JOIN pg_proc p ON p.oid = a.amproc
  JOIN pg_opfamily f ON f.oid = a.amprocfamily JOIN pg_namespace fn ON fn.oid = f.opfnamespace
 WHERE p.pronamespace <> 'pg_catalog'::regnamespace`;

export interface FunctionRow {
  oid: string;
  schema: string;
  name: string;
  /** schema.name(argument types), as the server resolved it. */
  signature: string;
  /** name(argument types) without the schema, the form of the allow-list. */
  local: string;
  volatility: 'i' | 's' | 'v';
  language: string;
  kind: string;
  src: string | null;
  /** CREATE FUNCTION of a SQL-standard body (BEGIN ATOMIC, 14+), whose text is not in prosrc. */
  definition: string | null;
  extension: string | null;
  /** An aggregate's transition, final, combine, (de)serial and moving-aggregate functions. */
  support: string[];
  /** Objects a SQL-standard body (BEGIN ATOMIC) or the signature depends on, as `catalog:oid`. */
  deps: string[];
}

export const FUNCTIONS_SQL = `
SELECT p.oid::text AS oid, n.nspname AS schema, p.proname AS name,
       format('%I.%I(%s)', n.nspname, p.proname, oidvectortypes(p.proargtypes)) AS signature,
       p.proname || '(' || oidvectortypes(p.proargtypes) || ')' AS local,
       p.provolatile AS volatility, l.lanname AS language, p.prokind::text AS kind,
       CASE WHEN l.lanname = 'sql' AND n.nspname <> 'pg_catalog' AND p.prosrc <> '' THEN p.prosrc END AS src,
       CASE WHEN l.lanname = 'sql' AND n.nspname <> 'pg_catalog' AND p.prosrc = '' THEN pg_get_functiondef(p.oid) END AS definition,
       (SELECT e.extname::text FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
         WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' LIMIT 1) AS extension,
       ARRAY(SELECT f::text FROM unnest(ARRAY[a.aggtransfn::oid, a.aggfinalfn::oid, a.aggcombinefn::oid, a.aggserialfn::oid,
                                              a.aggdeserialfn::oid, a.aggmtransfn::oid, a.aggminvtransfn::oid, a.aggmfinalfn::oid]) AS f
              WHERE f <> 0) AS support,
       ARRAY(SELECT d.refclassid::regclass::text || ':' || d.refobjid FROM pg_depend d
              WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'n' AND n.nspname <> 'pg_catalog') AS deps
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_language l ON l.oid = p.prolang
  LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid
 WHERE p.oid = ANY ($1::oid[])`;
