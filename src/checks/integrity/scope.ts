// Which schemas the integrity checks read (config or every non-system schema), and the "could not verify" bookkeeping they share.
import { MARKER } from '../../workload/setup.js';
import type { CheckContext } from '../types.js';
import type { ReadOnlySession } from './read-only.js';
import { UNVERIFIED } from './score-model.js';
import { INTEGRITY_UNVERIFIED } from './metrics.js';

/** Every user schema: not the catalogs, TOAST and temp schemas, nor stackprobe's own workload schema (it carries MARKER). */
const USER_SCHEMAS_SQL = `
  SELECT nspname AS name FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%'
    AND coalesce(obj_description(oid, 'pg_namespace'), '') NOT LIKE $1 || '%'
  ORDER BY nspname`;

const EXISTING_SQL = `SELECT nspname AS name FROM pg_namespace WHERE nspname = ANY($1::text[])`;

/** The metric every integrity check records what it could not verify under (warn level): missing objects, permissions, SQL errors. */
export { UNVERIFIED };

export function unverified(ctx: CheckContext, title: string, detail: string, subject?: string, recommendation?: string): void {
  ctx.metrics.counter(INTEGRITY_UNVERIFIED).add(1);
  ctx.finding({ severity: 'warn', title, detail, ...(subject ? { subject } : {}), ...(recommendation ? { recommendation } : {}) });
}

/** The schemas to check. A configured schema that does not exist is a finding, not an error: the others are still checked. */
export async function targetSchemas(ctx: CheckContext, db: ReadOnlySession): Promise<string[]> {
  ctx.metrics.counter(INTEGRITY_UNVERIFIED).add(0);
  const configured = ctx.config.integrity.schemas;
  if (!configured) {
    const schemas = (await db.query<{ name: string }>(USER_SCHEMAS_SQL, [MARKER])).map((r) => r.name);
    ctx.info('schemas', schemas);
    return schemas;
  }
  const found = new Set((await db.query<{ name: string }>(EXISTING_SQL, [configured])).map((r) => r.name));
  for (const s of configured) {
    if (!found.has(s)) {
      unverified(ctx, `schema "${s}" does not exist`, 'config.integrity.schemas names a schema this database does not have; it was not checked.', s,
        'Fix the name in config.integrity.schemas (names are case-sensitive) or point DATABASE_URL at the right database.');
    }
  }
  const schemas = configured.filter((s) => found.has(s));
  ctx.info('schemas', schemas);
  return schemas;
}
