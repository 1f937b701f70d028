// What the round trip dumps and compares: the schemas in scope, the pg_dump arguments that select them exactly, and the size budget (tables left out, closed over foreign keys).

/** The schemas in scope: a list of exact names, or every non-system schema except some (the user's own, or the whole database). */
export type SchemaSet = { only: string[] } | { except: string[] };

/** A table, partition or materialised view in scope, with what deciding and comparing it needs. */
export interface Relation {
  oid: number;
  schema: string;
  name: string;
  /** `r` table (or partition), `m` materialised view. */
  kind: 'r' | 'm';
  unlogged: boolean;
  /** Heap + TOAST bytes: what pg_dump and the checksum read. */
  bytes: number;
  /** The top of its partition tree (itself when not a partition): the unit kept or left out whole. */
  root: number;
  /** Primary-key columns in key order; empty when there is none. */
  pk: string[];
  populated: boolean;
}

/** A pattern for pg_dump's -n/-t options that matches exactly this name: quoted, so case is kept and `.`, `*`, `?` are literal. */
export function exactPattern(...names: string[]): string {
  return names.map((n) => `"${n.replaceAll('"', '""')}"`).join('.');
}

/**
 * `extensions`: those installed in the named schemas; a schema-scoped dump leaves extensions out (-e, pg_dump 14+,
 * brings them back), so a table using their types would not restore.
 */
export function dumpArgs(set: SchemaSet, excludedData: Pick<Relation, 'schema' | 'name'>[], withBlobs: boolean, extensions: string[] = []): string[] {
  const only = 'only' in set;
  const schemaArgs = only ? [...set.only.flatMap((s) => ['-n', exactPattern(s)]), ...extensions.flatMap((e) => ['-e', exactPattern(e)])] : set.except.flatMap((s) => ['-N', exactPattern(s)]);
  // Large objects are in no schema: a schema-scoped dump leaves them out unless asked (--blobs), a whole-database one keeps them.
  const blobs = only ? (withBlobs ? ['--blobs'] : []) : (withBlobs ? [] : ['--no-blobs']);
  return [...schemaArgs, ...blobs, ...excludedData.map((r) => `--exclude-table-data=${exactPattern(r.schema, r.name)}`)];
}

/** The filter the catalog queries share: $1 = names to keep (or null), $2 = names to leave out. */
export function schemaParams(set: SchemaSet): [string[] | null, string[]] {
  return 'only' in set ? [set.only, []] : [null, set.except];
}

const SYSTEM_SCHEMA = `(n.nspname IN ('pg_catalog', 'information_schema') OR n.nspname LIKE 'pg\\_%')`;
/** Objects an extension owns are recreated by CREATE EXTENSION, not dumped as data. */
const notExtensionMember = (oid: string, catalog: string) => `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${catalog}'::regclass AND e.objid = ${oid} AND e.deptype = 'e')`;
const NOT_EXTENSION_MEMBER = notExtensionMember('c.oid', 'pg_class');
/** The scope filter for an object of `catalog` whose oid is `oid` and whose schema row is `n`: $1 names to keep (or null), $2 names to leave out. */
export const inScope = (oid = 'c.oid', catalog = 'pg_class') =>
  `NOT ${SYSTEM_SCHEMA} AND ($1::text[] IS NULL OR n.nspname = ANY($1::text[])) AND NOT n.nspname = ANY($2::text[]) AND ${notExtensionMember(oid, catalog)}`;
export const IN_SCOPE = inScope();

export const RELATIONS_SQL = `
  SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind, c.relpersistence = 'u' AS unlogged,
    pg_table_size(c.oid)::int8 AS bytes, coalesce(pg_partition_root(c.oid), c.oid)::int8 AS root, c.relispopulated AS populated,
    ARRAY(SELECT a.attname::text FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY u(k, o)
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = u.k WHERE i.indrelid = c.oid AND i.indisprimary ORDER BY u.o) AS pk
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'm') AND c.relpersistence IN ('p', 'u') AND ${IN_SCOPE}
  ORDER BY n.nspname, c.relname`;

/**
 * Tables, views, sequences and schemas in scope this role may not read: pg_dump locks and reads every one of them, so
 * with any of these it cannot dump the scope at all.
 */
export const UNREADABLE_SQL = `
  SELECT format('schema %I', n.nspname) AS what FROM pg_namespace n
  WHERE NOT ${SYSTEM_SCHEMA} AND ($1::text[] IS NULL OR n.nspname = ANY($1::text[])) AND NOT n.nspname = ANY($2::text[]) AND NOT has_schema_privilege(n.oid, 'USAGE')
  UNION ALL
  SELECT format('%s %I.%I', CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'm' THEN 'materialised view' WHEN 'v' THEN 'view' ELSE 'table' END, n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'm', 'S', 'v') AND c.relpersistence <> 't' AND ${IN_SCOPE} AND NOT has_table_privilege(c.oid, 'SELECT')
  ORDER BY 1 LIMIT 11`;

/** Large objects this role may not read (pg_dump --blobs would fail on them): lo_compat_privileges, superuser, owner, or a SELECT grant. */
export const UNREADABLE_LO_SQL = `
  SELECT count(*)::int AS n FROM pg_largeobject_metadata m
  WHERE NOT (current_setting('lo_compat_privileges')::bool OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
    OR pg_has_role(m.lomowner, 'MEMBER')
    OR EXISTS (SELECT 1 FROM aclexplode(coalesce(m.lomacl, acldefault('L', m.lomowner))) a
               WHERE a.privilege_type = 'SELECT' AND (a.grantee = 0 OR pg_has_role(a.grantee, 'MEMBER'))))`;

/** Extensions installed in the named schemas ($1). */
export const EXTENSIONS_SQL = `SELECT e.extname AS name FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE n.nspname = ANY($1::text[]) ORDER BY 1`;

/** Foreign keys between partition-tree roots: a child's rows need its parent's rows restored. */
export const FK_SQL = `
  SELECT DISTINCT coalesce(pg_partition_root(conrelid), conrelid)::int8 AS child, coalesce(pg_partition_root(confrelid), confrelid)::int8 AS parent
  FROM pg_constraint WHERE contype = 'f'`;

/** Relations of the catalog that the round trip cannot compare, by kind: said in the result, never silently ignored. */
export const UNCOMPARED_SQL = `
  SELECT CASE WHEN c.relkind = 'f' THEN 'foreign tables (their data lives elsewhere)' WHEN c.relpersistence = 't' THEN 'temporary tables'
              ELSE 'tables owned by an extension (recreated by CREATE EXTENSION)' END AS why, count(*)::int AS n
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE NOT ${SYSTEM_SCHEMA} AND ($1::text[] IS NULL OR n.nspname = ANY($1::text[])) AND NOT n.nspname = ANY($2::text[])
    AND (c.relkind = 'f' OR (c.relkind IN ('r', 'm') AND (c.relpersistence = 't' OR NOT ${NOT_EXTENSION_MEMBER})))
  GROUP BY 1 ORDER BY 1`;

export interface Budgeted {
  kept: Relation[];
  /** Relations whose data is left out (dumped as definitions only) and why. */
  left: { rel: Relation; why: string }[];
  keptBytes: number;
  leftBytes: number;
}

/**
 * Keeps whole partition trees, smallest first, while their data fits in `maxBytes` (so the most tables are checked for
 * the bytes read). A tree whose foreign keys point at a left-out tree is left out too: its rows would fail the
 * restored constraint. Materialised views are left out with any table, since their restore refreshes them from tables.
 */
export function applyBudget(rels: Relation[], fks: { child: number; parent: number }[], maxBytes: number): Budgeted {
  const trees = new Map<number, Relation[]>();
  for (const r of rels) trees.set(r.root, [...(trees.get(r.root) ?? []), r]);
  const size = (root: number) => (trees.get(root) ?? []).reduce((s, r) => s + r.bytes, 0);
  const label = (root: number) => { const r = trees.get(root)![0]!; return `${r.schema}.${r.name}`; };
  const order = [...trees.keys()].sort((a, b) => size(a) - size(b) || label(a).localeCompare(label(b)));
  const why = new Map<number, string>();
  let used = 0;
  for (const root of order) {
    if (used + size(root) <= maxBytes) used += size(root);
    else why.set(root, `beyond the size limit (${size(root)} bytes would make ${used + size(root)} > ${maxBytes})`);
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const fk of fks) {
      if (why.has(fk.parent) && !why.has(fk.child) && trees.has(fk.child) && fk.child !== fk.parent) {
        why.set(fk.child, `references ${label(fk.parent)}, whose data is left out`);
        changed = true;
      }
    }
  }
  if (why.size > 0) {
    for (const [root, members] of trees) {
      if (!why.has(root) && members.some((r) => r.kind === 'm')) why.set(root, 'a materialised view is refreshed from tables at restore, and some table data is left out');
    }
  }
  const kept = rels.filter((r) => !why.has(r.root));
  const left = rels.filter((r) => why.has(r.root)).map((rel) => ({ rel, why: why.get(rel.root)! }));
  return { kept, left, keptBytes: kept.reduce((s, r) => s + r.bytes, 0), leftBytes: left.reduce((s, x) => s + x.rel.bytes, 0) };
}
