// Read-only access for the integrity checks: every statement runs in a READ ONLY transaction that is rolled back.
import type pg from 'pg';
import { describeError, errorKind } from '../../util/errors.js';
import type { CheckContext } from '../types.js';

export interface ReadOnlySession {
  /** Runs one statement in its own READ ONLY transaction (rolled back), so an error never poisons the next one. */
  query<T extends pg.QueryResultRow>(text: string, values?: unknown[], opts?: { timeoutMs?: number }): Promise<T[]>;
}

/** One pooled connection for a check, ended by the check's cleanup; Ctrl-C cancels the running statement. */
export async function readOnlySession(ctx: CheckContext, applicationName: string): Promise<ReadOnlySession> {
  const pool = ctx.targets.pg!.createPool({ max: 1, applicationName });
  ctx.defer(() => pool.end());
  const client = await pool.connect();
  ctx.defer(() => client.release());
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const cancel = () => void ctx.targets.pg!.admin.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
  ctx.signal.addEventListener('abort', cancel, { once: true });
  ctx.defer(() => ctx.signal.removeEventListener('abort', cancel));
  return {
    async query<T extends pg.QueryResultRow>(text: string, values?: unknown[], opts?: { timeoutMs?: number }): Promise<T[]> {
      ctx.signal.throwIfAborted();
      await client.query('BEGIN TRANSACTION READ ONLY');
      try {
        if (opts?.timeoutMs !== undefined) await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(opts.timeoutMs))}`);
        const res = await client.query<T>(text, values);
        return res.rows;
      } finally {
        await client.query('ROLLBACK');
      }
    },
  };
}

/** A statement's failure as a plain sentence and a kind (SQLSTATE), for findings. */
export function failure(err: unknown): { message: string; kind: string } {
  return { message: describeError(err), kind: errorKind(err) };
}

/** SQLSTATE 42501: the role may not read the relation. */
export const isPermissionError = (err: unknown) => errorKind(err) === '42501';
