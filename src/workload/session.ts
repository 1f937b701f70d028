// Dedicated sessions for the workload: one holding an advisory lock for the run, and cancellable statements for the load.
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { PgTarget } from '../targets/pg/target.js';
import { withTimeout } from '../exec/timeout.js';
import { quoteIdent, wl } from './sql.js';

/** Advisory lock key ('stkp', 1): two stackprobe runs against one database must not share (or drop) one schema. */
const LOCK_KEY: [number, number] = [0x73746b70, 1];

export interface LockSession {
  release(): Promise<void>;
}

/** Takes the workload lock on its own session, held until release(); throws when another run holds it. */
export async function acquireWorkloadLock(pg: PgTarget): Promise<LockSession> {
  const pool = pg.createPool({ max: 1, applicationName: 'stackprobe-workload-lock' });
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    await pool.end();
    throw err;
  }
  let released = false;
  let lost: Error | undefined;
  // This session idles for the whole run: idle_session_timeout or a restart may end it. The lock goes with it.
  client.on('error', (err: Error) => (lost ??= err));
  const release = async (failure?: Error): Promise<void> => {
    if (released) return;
    released = true;
    // Ending the session releases a session-level advisory lock anyway; no explicit unlock round trip needed.
    client.release(failure ?? lost ?? true);
    // pg waits forever for the 'end' of a socket that is already gone: bound it.
    await withTimeout(pool.end(), 2000, 'closing the workload lock session').catch(() => undefined);
  };
  try {
    const res = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', LOCK_KEY);
    if (!res.rows[0]?.ok) {
      throw new Error('another stackprobe run is using the "stackprobe" workload schema in this database (its advisory lock is held); wait for it to finish');
    }
  } catch (err) {
    await release(err instanceof Error ? err : undefined);
    throw err;
  }
  return { release: () => release() };
}

/**
 * When the signal aborts, asks the server to cancel whatever these sessions are running (a long CREATE INDEX or a slow
 * query stops promptly on Ctrl-C). Returns the function that stops listening.
 */
export function cancelOnAbort(pgt: PgTarget, clients: pg.PoolClient[], signal: AbortSignal): () => void {
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
export async function cancellable<T extends pg.QueryResultRow>(
  pgt: PgTarget,
  client: pg.PoolClient,
  query: string | { text: string; values: unknown[] },
  signal: AbortSignal,
): Promise<pg.QueryResult<T>> {
  signal.throwIfAborted();
  const stop = cancelOnAbort(pgt, [client], signal);
  try {
    return await (typeof query === 'string' ? client.query<T>(query) : client.query<T>(query.text, query.values));
  } finally {
    stop();
  }
}

/** Streams generated chunks into a table with COPY FROM STDIN; returns the server's row count. */
export async function copyInto(client: pg.PoolClient, table: string, columns: string[], chunks: Iterable<string>, signal: AbortSignal): Promise<number> {
  const stream = client.query(copyFrom(`COPY ${wl(table)} (${columns.map(quoteIdent).join(', ')}) FROM STDIN`));
  // Aborting destroys the pipeline: pg-copy-streams then sends CopyFail and the server rolls the COPY back.
  await pipeline(Readable.from(chunks), stream, { signal });
  return stream.rowCount;
}
