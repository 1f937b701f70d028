// COPY FROM STDIN on a session: a driver concern (pg-copy-streams), kept here so the workload speaks only our interfaces.
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { PgSession } from './types.js';

/**
 * Streams generated chunks through `copySql` (a COPY … FROM STDIN); returns the server's row count. `session` must be
 * one of the target's (node-postgres) sessions.
 */
export async function copyRows(session: PgSession, copySql: string, chunks: Iterable<string>, signal: AbortSignal): Promise<number> {
  const stream = (session as pg.ClientBase).query(copyFrom(copySql));
  // Aborting destroys the pipeline: pg-copy-streams then sends CopyFail and the server rolls the COPY back.
  await pipeline(Readable.from(chunks), stream, { signal });
  return stream.rowCount;
}
