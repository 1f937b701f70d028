// Read-only access for the integrity checks: a read-only session, every statement in a READ ONLY transaction rolled back.
import type { PgRow } from '../../targets/pg/types.js';
import { isLostSession } from '../../targets/pg/lost-session.js';
import { queryReadOnly } from '../../targets/pg/read-only.js';
import { describeError, errorKind } from '../../util/errors.js';
import type { CheckContext } from '../types.js';

export interface ReadOnlySession {
  /** Runs one of stackprobe's own statements in its own READ ONLY transaction (rolled back), so an error never poisons the next one. */
  query<T extends PgRow>(text: string, values?: unknown[], opts?: { timeoutMs?: number }): Promise<T[]>;
  /** Runs a user's statement through queryReadOnly: one read statement, extended protocol, READ ONLY, rolled back, bounded. */
  user<T extends PgRow>(text: string, timeoutMs: number): Promise<T[]>;
}

/** Why a session was lost, for the check's reason: never a stack trace. */
export class LostSessionError extends Error {
  override name = 'LostSessionError';
}

/**
 * One supervised, read-only pooled session for a check (default_transaction_read_only from the first byte), ended by the
 * check's cleanup; Ctrl-C and the budget cancel the running statement. A lost session fails the check with its reason.
 */
export async function readOnlySession(ctx: CheckContext, applicationName: string): Promise<ReadOnlySession> {
  const pool = ctx.targets.pg!.createPool({ max: 1, applicationName, readOnly: true });
  ctx.defer(() => pool.end());
  const client = await pool.connect();
  let lost: Error | undefined;
  client.on('error', (err) => void (lost = err));
  ctx.defer(() => client.release(lost ?? true));
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const cancel = () => void ctx.targets.pg!.admin.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
  ctx.signal.addEventListener('abort', cancel, { once: true });
  ctx.defer(() => ctx.signal.removeEventListener('abort', cancel));
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    ctx.signal.throwIfAborted();
    if (lost) throw new LostSessionError(`the integrity session was lost: ${describeError(lost)}`);
    try {
      return await fn();
    } catch (err) {
      if (isLostSession(err) || lost) throw new LostSessionError(`the integrity session was lost: ${describeError(lost ?? err)}`);
      throw err;
    }
  };
  return {
    query: <T extends PgRow>(text: string, values?: unknown[], opts?: { timeoutMs?: number }) => guard(async () => {
      await client.query('BEGIN TRANSACTION READ ONLY');
      try {
        if (opts?.timeoutMs !== undefined) await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(opts.timeoutMs))}`);
        return (await client.query<T>(text, values)).rows;
      } finally {
        await client.query('ROLLBACK').catch(() => undefined); // a lost session has nothing to roll back; the error above says why
      }
    }),
    user: <T extends PgRow>(text: string, timeoutMs: number) => guard(async () => (await queryReadOnly<T>(client, text, [], { timeoutMs })).rows),
  };
}

/**
 * A statement's failure as a plain sentence and a kind (SQLSTATE), for findings. A lost session or an abort (Ctrl-C,
 * the check's budget) is not a statement's failure: it is rethrown, so the check stops with that reason instead of
 * reporting every later object as unverified.
 */
export function failure(err: unknown): { message: string; kind: string } {
  if (err instanceof LostSessionError || (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError'))) throw err;
  return { message: describeError(err), kind: errorKind(err) };
}

/** SQLSTATE 42501: the role may not read the relation. */
export const isPermissionError = (err: unknown) => errorKind(err) === '42501';
