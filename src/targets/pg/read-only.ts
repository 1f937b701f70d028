// The one way user SQL reaches PostgreSQL: one statement, extended protocol, a READ ONLY transaction rolled back, bounded.
import type { PgResult, PgRow, PgSession } from './types.js';
import { NotAReadStatementError } from '../../safety/errors.js';
import { whyNotReadStatement } from '../../safety/parse.js';

export { NotAReadStatementError };

export interface ReadOnlyQueryOptions {
  /** Server-side bound on this statement (SET LOCAL statement_timeout). */
  timeoutMs: number;
}

/**
 * Runs one user statement safely on `client` (best from a pool made with `readOnly: true`, so the session itself is
 * read-only too). PostgreSQL's parser must see one plain SELECT (safety/parse.ts); the extended protocol refuses several
 * statements in one string; the READ ONLY transaction refuses writes, and it is always rolled back. Throws
 * NotAReadStatementError otherwise. The catalog check of what the statement may run (safety/guard.ts) is the caller's,
 * once per statement before its first run: it needs the run's guard, and this runs per request.
 */
export async function queryReadOnly<R extends PgRow = PgRow>(
  client: PgSession,
  sql: string,
  params: unknown[],
  opts: ReadOnlyQueryOptions,
): Promise<PgResult<R>> {
  const why = whyNotReadStatement(sql);
  if (why) throw new NotAReadStatementError(`not run: ${why}`);
  // Our own two statements, one round trip; the user's statement never goes through the simple protocol.
  await client.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${Math.max(1, Math.round(opts.timeoutMs))}`);
  try {
    // queryMode 'extended' (pg >= 8.11) forces Parse/Bind/Execute even without parameters.
    return await client.query<R>({ text: sql, values: params, queryMode: 'extended' });
  } finally {
    await client.query('ROLLBACK').catch(() => undefined); // a lost session has nothing to roll back
  }
}
