// Decides the round trip's scope from config and target: named schemas, the whole database, the user's own schemas, or the private server's workload.
import { SkipCheck } from '../../util/errors.js';
import { SCHEMA } from '../../workload/sql.js';
import { useWorkload } from '../queries/workload.js';
import type { CheckContext } from '../types.js';
import type { SchemaSet } from './scope.js';
import { BACKUP_MISSING_SCHEMAS } from './metrics.js';

export interface Scope {
  set: SchemaSet;
  /** Where the scope came from, for the scope line. */
  how: string;
  /** The data-size limit that applies, and where it came from. */
  maxBytes: number;
  limitFrom: string;
}

const MB = 1024 * 1024;

/**
 * - `backup.schemas` named: exactly those (missing ones are a warn finding); the workload is set up when it is named.
 * - `backup.whole_database`: every non-system schema.
 * - the private server (no DATABASE_URL): stackprobe's workload, the only data there.
 * - a user DATABASE_URL: every non-system schema except stackprobe's own, i.e. the user's data.
 * Quick mode on a user's server caps the data read at `backup.quick_max_bytes`, full mode at `backup.max_bytes`.
 */
export async function chooseScope(ctx: CheckContext): Promise<Scope> {
  const cfg = ctx.config.backup;
  const pgt = ctx.targets.pg!;
  const quickCap = ctx.mode === 'quick' && !pgt.facts.private && cfg.quick_max_bytes < cfg.max_bytes;
  const limit = quickCap
    ? { maxBytes: cfg.quick_max_bytes, limitFrom: `config.backup.quick_max_bytes (${(cfg.quick_max_bytes / MB).toFixed(0)} MiB, quick mode on your server)` }
    : { maxBytes: cfg.max_bytes, limitFrom: `config.backup.max_bytes (${(cfg.max_bytes / MB).toFixed(0)} MiB)` };
  if (cfg.schemas) return { set: { only: await namedSchemas(ctx, cfg.schemas) }, how: 'config.backup.schemas', ...limit };
  if (cfg.whole_database) return { set: { except: [] }, how: 'the whole database (config.backup.whole_database)', ...limit };
  if (pgt.facts.private) {
    await useWorkload(ctx);
    return { set: { only: [SCHEMA] }, how: `stackprobe's synthetic workload (the private server holds nothing else)`, ...limit };
  }
  return { set: { except: [SCHEMA] }, how: `your schemas (every non-system schema except stackprobe's own "${SCHEMA}")`, ...limit };
}

async function namedSchemas(ctx: CheckContext, names: string[]): Promise<string[]> {
  if (names.includes(SCHEMA)) await useWorkload(ctx);
  const found = await ctx.targets.pg!.admin.query<{ n: string }>(`SELECT nspname AS n FROM pg_namespace WHERE nspname = ANY($1::text[])`, [names]);
  const existing = new Set(found.rows.map((r) => r.n));
  const missing = names.filter((s) => !existing.has(s));
  for (const s of missing) {
    ctx.finding({ severity: 'warn', subject: s, title: `schema "${s}" in config.backup.schemas does not exist; it was not dumped`, recommendation: 'Fix the name in config.backup.schemas (names are exact and case-sensitive).' });
  }
  ctx.metrics.counter(BACKUP_MISSING_SCHEMAS).add(missing.length);
  const present = names.filter((s) => existing.has(s));
  if (present.length === 0) throw new SkipCheck(`none of config.backup.schemas (${names.join(', ')}) exists in this database`);
  return present;
}
