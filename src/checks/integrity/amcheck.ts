// Finding or (when the config allows) creating amcheck for integrity.corruption, and the relations it verifies.
import { SkipCheck } from '../../util/errors.js';
import { quoteIdent } from '../../workload/sql.js';
import type { CheckContext } from '../types.js';
import { failure, type ReadOnlySession } from './read-only.js';

export interface Amcheck {
  /** The schema the extension's functions live in, quoted. */
  schema: string;
  version: string;
  /** verify_heapam exists (amcheck 1.3, PostgreSQL 14+): found by its signature, so an un-updated extension counts too. */
  heap: boolean;
  /** The server's major version, for saying what it lacks. */
  server_major: number;
}

/** Why tables are not verified with this amcheck, with what brings verify_heapam; undefined when it is there. */
export function whyNoHeapCheck(am: Amcheck): string | undefined {
  if (am.heap) return undefined;
  return am.server_major < 14
    ? `tables not verified: verify_heapam needs amcheck 1.3 (PostgreSQL 14+); this server is PostgreSQL ${am.server_major} with amcheck ${am.version}, so only btree indexes were checked`
    : `tables not verified: amcheck ${am.version} has no verify_heapam; ALTER EXTENSION amcheck UPDATE brings it (amcheck 1.3+)`;
}

const INSTALLED_SQL = `
  SELECT n.nspname AS schema, e.extversion AS version,
    to_regprocedure(quote_ident(n.nspname) || '.verify_heapam(regclass, boolean, boolean, text, bigint, bigint)') IS NOT NULL AS heap,
    has_function_privilege(quote_ident(n.nspname) || '.bt_index_check(regclass, boolean)', 'EXECUTE') AS can_execute,
    current_setting('server_version_num')::int / 10000 AS server_major
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'amcheck'`;

const AVAILABLE_SQL = `SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck'`;

/** The one command that enables amcheck, as the skip reason says it. */
export const ENABLE_COMMAND = 'CREATE EXTENSION amcheck;';

async function installed(db: ReadOnlySession): Promise<(Amcheck & { can_execute: boolean }) | undefined> {
  return (await db.query<Amcheck & { can_execute: boolean }>(INSTALLED_SQL))[0];
}

/**
 * amcheck as installed; or created for this check when config.integrity.amcheck.create_extension allows it (never under
 * --read-only) and dropped again afterwards; or a skip that names the exact command to run.
 */
export async function useAmcheck(ctx: CheckContext, db: ReadOnlySession, database: string): Promise<Amcheck> {
  let found = await installed(db);
  if (!found) {
    const available = (await db.query(AVAILABLE_SQL)).length > 0;
    if (!available) {
      throw new SkipCheck(`amcheck is not available on this server: install PostgreSQL's contrib modules (Debian/Ubuntu: apt-get install postgresql-contrib or postgresql-<major>; RHEL: postgresql<major>-contrib), then run ${ENABLE_COMMAND} in database "${database}"`);
    }
    // The private embedded server is stackprobe's own and thrown away after the run: amcheck may always be created there.
    const allowed = (ctx.config.integrity.amcheck.create_extension || ctx.targets.pg!.facts.private) && !ctx.readOnly;
    if (!allowed) {
      const why = ctx.readOnly ? '--read-only forbids creating it' : 'config.integrity.amcheck.create_extension is false';
      throw new SkipCheck(`amcheck is not installed in database "${database}" (${why}); enable it with: ${ENABLE_COMMAND} (as a superuser or the database owner)`);
    }
    await create(ctx, database);
    found = await installed(db);
    if (!found) throw new Error('CREATE EXTENSION amcheck succeeded but the extension is not visible');
  }
  if (!found.can_execute) {
    throw new SkipCheck(`the role may not execute amcheck's functions; grant it with: GRANT EXECUTE ON FUNCTION ${quoteIdent(found.schema)}.bt_index_check(regclass, boolean) TO <role>;${found.heap ? ` GRANT EXECUTE ON FUNCTION ${quoteIdent(found.schema)}.verify_heapam(regclass, boolean, boolean, text, bigint, bigint) TO <role>;` : ''}`);
  }
  return { schema: quoteIdent(found.schema), version: found.version, heap: found.heap, server_major: found.server_major };
}

async function create(ctx: CheckContext, database: string): Promise<void> {
  const admin = ctx.targets.pg!.admin;
  try {
    await admin.query('CREATE EXTENSION amcheck');
  } catch (err) {
    const e = failure(err);
    throw new SkipCheck(`amcheck is not installed in database "${database}" and could not be created (${e.message}); enable it with: ${ENABLE_COMMAND} (as a superuser or the database owner)`);
  }
  ctx.info('amcheckCreated', true);
  // Created for this check only: leave the database as we found it.
  ctx.defer(() => admin.query('DROP EXTENSION IF EXISTS amcheck'));
}

export interface Relation {
  kind: 'index' | 'heap';
  schema: string;
  name: string;
  oid: string;
  /** The table an index belongs to (its own oid for a table). */
  table_oid: string;
  bytes: string;
}

/**
 * Tables first, then valid, ready btree indexes, each smallest first so a tight budget still covers most of them.
 * Tables go first so an index of a table found damaged is checked without heapallindexed: the heap's damage must not be
 * reported again as the index's.
 */
export const RELATIONS_SQL = `
  SELECT CASE WHEN c.relkind = 'i' THEN 'index' ELSE 'heap' END AS kind, n.nspname AS schema, c.relname AS name, c.oid::text AS oid,
    coalesce(i.indrelid, c.oid)::text AS table_oid, pg_relation_size(c.oid) AS bytes
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_index i ON i.indexrelid = c.oid
  WHERE n.nspname = ANY($1::text[]) AND c.relpersistence <> 't'
    AND ((c.relkind = 'i' AND c.relam = (SELECT oid FROM pg_am WHERE amname = 'btree') AND i.indisvalid AND i.indisready)
      OR (c.relkind IN ('r', 'm') AND $2::boolean))
  ORDER BY c.relkind = 'i', pg_relation_size(c.oid), n.nspname, c.relname`;
