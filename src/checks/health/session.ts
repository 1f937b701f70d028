// One read-only session per health check: READ ONLY session and transactions, a server-side bound on every statement,
// Ctrl-C and the check's budget cancel the running statement.
import type { PgPooledSession, PgRow } from '../../targets/pg/types.js';
import { errorKind, SkipCheck } from '../../util/errors.js';
import type { CheckContext } from '../types.js';

export interface HealthSession {
  /** Runs one statement in its own READ ONLY transaction (rolled back), so a failed one never poisons the next. */
  query<T extends PgRow>(text: string, values?: unknown[]): Promise<T[]>;
  /** The raw client, for EXPLAIN of a prepared statement (still read-only and bounded by the session's settings). */
  readonly client: PgPooledSession;
  /** server_version_num, e.g. 150004. */
  readonly versionNum: number;
}

export async function healthSession(ctx: CheckContext, applicationName: string): Promise<HealthSession> {
  // The private embedded server holds only what stackprobe put there a moment ago: its statements, vacuum and
  // checkpoints describe stackprobe, not the user's database, and a warning about them would be noise.
  if (ctx.targets.pg!.facts.private) {
    throw new SkipCheck('the private embedded PostgreSQL is stackprobe\'s own, freshly made: health describes your database; set DATABASE_URL to it');
  }
  const timeoutMs = ctx.config.health.statement_timeout_ms;
  const pool = ctx.targets.pg!.createPool({ max: 1, applicationName, readOnly: true, statementTimeoutMs: timeoutMs });
  ctx.defer(() => pool.end());
  const client = await pool.connect();
  ctx.defer(() => client.release());
  const facts = (await client.query<{ pid: number; v: number }>(`SELECT pg_backend_pid() AS pid, current_setting('server_version_num')::int AS v`)).rows[0]!;
  const cancel = () => void ctx.targets.pg!.admin.query('SELECT pg_cancel_backend($1)', [facts.pid]).catch(() => undefined);
  ctx.signal.addEventListener('abort', cancel, { once: true });
  ctx.defer(() => ctx.signal.removeEventListener('abort', cancel));
  return {
    client,
    versionNum: facts.v,
    async query<T extends PgRow>(text: string, values?: unknown[]): Promise<T[]> {
      ctx.signal.throwIfAborted();
      await client.query('BEGIN TRANSACTION READ ONLY');
      try {
        return (await client.query<T>(text, values)).rows;
      } finally {
        await client.query('ROLLBACK');
      }
    },
  };
}

/** SQLSTATE 42501: the role may not read what was asked (e.g. another role's query text without pg_read_all_stats). */
export const isPermissionError = (err: unknown): boolean => errorKind(err) === '42501';

/** The schemas the per-table checks read: the config's, or every non-system one except stackprobe's own. */
export const SCHEMA_FILTER = `(CASE WHEN $1::text[] IS NULL
    THEN n.nspname NOT IN ('pg_catalog', 'information_schema', 'stackprobe') AND n.nspname NOT LIKE 'pg\\_%'
    ELSE n.nspname = ANY($1::text[]) END)`;
