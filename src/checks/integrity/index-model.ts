// One model of identical indexes for integrity.catalog and health.indexes: the same groups, the same index kept by one
// rule, and the same statement for each index dropped, so the two checks can never advise dropping both.
import { qualified, quoteIdent } from '../../workload/sql.js';

export interface IdenticalMember {
  index: string;
  /** The PRIMARY KEY, UNIQUE or EXCLUDE constraint the index backs, if any: dropping it means dropping the constraint. */
  constraint: string | null;
  primary: boolean;
  unique: boolean;
  /** A foreign key elsewhere depends on this index: it cannot be dropped before that key is moved. */
  referenced: boolean;
  oid: number;
  /** idx_scan since the statistics were reset (0 for a partitioned index, which has no statistics of its own). */
  scans: number;
  bytes: number;
  /** pg_get_indexdef. */
  definition: string;
}

export interface IdenticalGroup {
  schema: string;
  table: string;
  partitioned: boolean;
  /** Keep-first, by KEEP_RULE. */
  members: IdenticalMember[];
  bytes: number;
}

/**
 * The rule, in order: the index that enforces something is kept (a primary key, then any constraint's, then a unique
 * index, then one a foreign key depends on); among equals the older one (lower oid); then the one scanned more.
 */
export const KEEP_ORDER = `i.indisprimary DESC, (k.conname IS NOT NULL) DESC, i.indisunique DESC, ref.referenced DESC, c.oid, coalesce(s.idx_scan, 0) DESC`;
export const KEEP_RULE = 'primary key, then a constraint\'s index, then a unique one, then one a foreign key depends on, then the older (lower oid), then the more scanned';

/**
 * Indexes of one table with the same access method, key and INCLUDE columns, operator classes, collations, sort
 * options, expressions and predicate. Partitions of a partitioned index are left out: the parent's index stands for
 * them, and dropping it drops them. `filter` selects schemas through `n` (the table's namespace) and $1.
 */
export function identicalIndexesSql(filter: string): string {
  // Grouping reads the catalog alone; sizes and definitions are asked for the grouped indexes only, so a table locked
  // by a migration blocks nothing here unless it has identical indexes.
  return `
  WITH ix AS (
    SELECT i.indexrelid AS oid, i.indrelid AS rel, n.nspname AS schema, t.relname AS table, t.relkind = 'p' AS partitioned, c.relam,
      i.indkey::text AS keys, i.indnkeyatts, i.indclass::text AS classes, i.indcollation::text AS colls, i.indoption::text AS opts,
      coalesce(pg_get_expr(i.indexprs, i.indrelid), '') AS exprs, coalesce(pg_get_expr(i.indpred, i.indrelid), '') AS pred
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE ${filter} AND i.indisvalid AND i.indislive AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
  ), dup AS (
    SELECT schema, "table", partitioned, array_agg(oid) AS oids FROM ix
    GROUP BY schema, "table", partitioned, rel, relam, keys, indnkeyatts, classes, colls, opts, exprs, pred
    HAVING count(*) > 1
  )
  SELECT d.schema, d.table, d.partitioned,
    json_agg(json_build_object('index', c.relname, 'constraint', k.conname, 'primary', i.indisprimary, 'unique', i.indisunique,
      'referenced', ref.referenced, 'oid', c.oid, 'scans', coalesce(s.idx_scan, 0), 'bytes', pg_relation_size(c.oid),
      'definition', pg_get_indexdef(c.oid)) ORDER BY ${KEEP_ORDER}) AS members,
    sum(pg_relation_size(c.oid))::float8 AS bytes
  FROM dup d CROSS JOIN LATERAL unnest(d.oids) u(oid)
  JOIN pg_index i ON i.indexrelid = u.oid JOIN pg_class c ON c.oid = u.oid
  LEFT JOIN pg_constraint k ON k.conindid = c.oid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x')
  LEFT JOIN pg_stat_all_indexes s ON s.indexrelid = c.oid
  CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.oid) AS referenced) ref
  GROUP BY d.schema, d.table, d.partitioned, d.oids
  ORDER BY 1, 2`;
}

/**
 * The statement that removes one redundant index, or null when none can run yet (a foreign key depends on it): its
 * constraint when it backs one; on a partitioned table one DROP INDEX on the parent (CONCURRENTLY is refused there).
 */
export function dropStatement(schema: string, table: string, partitioned: boolean, m: Pick<IdenticalMember, 'index' | 'constraint' | 'referenced'>): string | null {
  if (m.referenced) return null;
  if (m.constraint) return `ALTER TABLE ${qualified(schema, table)} DROP CONSTRAINT ${quoteIdent(m.constraint)};`;
  return partitioned ? `DROP INDEX ${qualified(schema, m.index)};` : `DROP INDEX CONCURRENTLY ${qualified(schema, m.index)};`;
}

/** The group's keeper and the others, each with its statement. */
export function resolveGroup(g: IdenticalGroup): { keep: IdenticalMember; drop: Array<IdenticalMember & { statement: string | null }> } {
  const [keep, ...rest] = g.members;
  return { keep: keep!, drop: rest.map((m) => ({ ...m, statement: dropStatement(g.schema, g.table, g.partitioned, m) })) };
}
