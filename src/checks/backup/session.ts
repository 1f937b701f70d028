// The round trip's own PostgreSQL sessions (source and verify): supervised, ended on abort, with pinned output settings.
import type { PgClient } from '../../targets/pg/types.js';
import { redactText } from '../../util/redact.js';
import type { CheckContext } from '../types.js';

/** Why sessions were lost, in order: the first becomes the check's reason (node-postgres's later errors do not say why). */
export type Lost = string[];

/** A supervised session: a lost backend is recorded with its reason, and the abort signal ends the session. */
/** `database`: another database of the target's server (the scratch one); the target's own when absent. */
export async function session(ctx: CheckContext, lost: Lost, database: string | undefined, role: string, name: string): Promise<PgClient> {
  const pgt = ctx.targets.pg!;
  const budget = ctx.config.timeouts.check_ms;
  // Behind a PgBouncer that refuses startup parameters, the server-side bound is set after connecting instead.
  const startup = pgt.timeouts.startupStatementTimeout !== false;
  const client = pgt.createClient({
    applicationName: name, statementTimeoutMs: budget, ...(database !== undefined ? { database } : {}),
    onLost: (err) => {
      const code = (err as { code?: string }).code;
      lost.push(`the ${role} session (${name}) was lost: ${redactText(err.message)}${code ? ` (SQLSTATE ${code})` : ''}`);
    },
  });
  const onAbort = () => void client.end();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  ctx.defer(() => {
    ctx.signal.removeEventListener('abort', onAbort);
    return client.end();
  });
  await client.connect();
  await client.query(PINNED_SETTINGS);
  if (!startup) await client.query(`SELECT set_config('statement_timeout', $1, false)`, [String(budget)]);
  return client;
}

/**
 * The source's database-level settings (ALTER DATABASE … SET) are not in a dump, and they change how values and
 * definitions print: both sides' sessions use the same fixed ones, so only the data can differ. search_path is
 * pg_catalog alone, so definitions print fully qualified and no user operator or function shadows ours.
 */
const PINNED_SETTINGS = `SET search_path = pg_catalog; SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres';
  SET extra_float_digits = 1; SET bytea_output = 'hex'; SET lc_monetary = 'C'; SET lc_numeric = 'C'; SET xmloption = 'content'`;
