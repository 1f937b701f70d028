// Dedicated sessions for the workload: the one that stands for this segment while the run lasts, and cancellable statements.
import type { PgPooledSession, PgResult, PgRow } from '../targets/pg/types.js';
import type { PgTarget } from '../targets/pg/target.js';
import { copyRows } from '../targets/pg/copy.js';
import { withTimeout } from '../exec/timeout.js';
import { quoteIdent, wl } from './sql.js';

export interface MemberSession {
  readonly client: PgPooledSession;
  /** The server process of this session: the member row names it, so a killed segment is told by its absence. */
  readonly pid: number;
  close(failure?: Error): Promise<void>;
}

/**
 * Opens the session that stands for this segment while the run lasts (its row in stackprobe._members is alive while
 * this session is). Ending it is what a killed process does too; the others then reap the row.
 */
export async function openMemberSession(pg: PgTarget): Promise<MemberSession> {
  const pool = pg.createPool({ max: 1, applicationName: 'stackprobe-workload-member' });
  let client: PgPooledSession;
  try {
    client = await pool.connect();
  } catch (err) {
    await pool.end();
    throw err;
  }
  let closed = false;
  let lost: Error | undefined;
  // This session idles for much of the run: idle_session_timeout or a restart may end it; the others reap its row then.
  client.on('error', (err: Error) => (lost ??= err));
  const pid = (client as unknown as { processID: number }).processID;
  return {
    client, pid,
    async close(failure?: Error) {
      if (closed) return;
      closed = true;
      client.release(failure ?? lost ?? true);
      // pg waits forever for the 'end' of a socket that is already gone: bound it.
      await withTimeout(pool.end(), 2000, 'closing the workload member session').catch(() => undefined);
    },
  };
}

/**
 * When the signal aborts, asks the server to cancel whatever these sessions are running (a long CREATE INDEX or a slow
 * query stops promptly on Ctrl-C). Returns the function that stops listening.
 */
export function cancelOnAbort(pgt: PgTarget, clients: PgPooledSession[], signal: AbortSignal): () => void {
  const onAbort = () => {
    for (const client of clients) {
      const pid = (client as unknown as { processID?: number }).processID;
      // Best effort: if the cancel itself fails, the statement still ends at its statement_timeout.
      if (pid !== undefined) pgt.admin.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
    }
  };
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/** Runs one statement that the signal can cancel on the server. */
export async function cancellable<T extends PgRow>(
  pgt: PgTarget,
  client: PgPooledSession,
  query: string | { text: string; values: unknown[] },
  signal: AbortSignal,
): Promise<PgResult<T>> {
  signal.throwIfAborted();
  const stop = cancelOnAbort(pgt, [client], signal);
  try {
    return await (typeof query === 'string' ? client.query<T>(query) : client.query<T>(query.text, query.values));
  } finally {
    stop();
  }
}

/** Streams generated chunks into a table with COPY FROM STDIN; returns the server's row count. */
export function copyInto(client: PgPooledSession, table: string, columns: string[], chunks: Iterable<string>, signal: AbortSignal): Promise<number> {
  return copyRows(client, `COPY ${wl(table)} (${columns.map(quoteIdent).join(', ')}) FROM STDIN`, chunks, signal);
}
