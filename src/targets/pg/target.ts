// The PostgreSQL target: verified connection, server facts, and pools configured with stackprobe's name and timeouts.
import pg from 'pg';
import type { TargetFacts } from '../../result/model.js';
import { TargetUnavailableError } from '../../util/errors.js';
import { redactUrl } from '../../util/redact.js';

export interface PgTimeouts {
  connectMs: number;
  operationMs: number;
  /**
   * False when the server refuses `statement_timeout` as a startup parameter (PgBouncer without it in
   * ignore_startup_parameters): statements are then bounded client-side only (query_timeout).
   */
  startupStatementTimeout?: boolean;
}

export interface PgTarget {
  readonly kind: 'pg';
  /** The real URL, with credentials: never print it; use facts.url. */
  readonly url: string;
  readonly facts: TargetFacts;
  readonly timeouts: PgTimeouts;
  /** A shared small pool for catalog queries and setup. Ended by close(). */
  readonly admin: pg.Pool;
  /**
   * A new pool; the caller ends it (register `ctx.defer(() => pool.end())`). Every client it makes is supervised: a
   * lost session (restart, pg_terminate_backend, idle_session_timeout) fails that client's queries, never the process.
   * `readOnly` makes every session `default_transaction_read_only = on` before its first query.
   */
  createPool(options?: PoolOptions): pg.Pool;
  close(): Promise<void>;
}

export interface PoolOptions {
  max?: number;
  applicationName?: string;
  statementTimeoutMs?: number;
  readOnly?: boolean;
}

/**
 * Gives a client an 'error' listener: a session lost while checked out (or idle) emits 'error', which without a
 * listener crashes the process. The pending query rejects on its own, so the check that owns it fails with the reason.
 */
export function supervise<T extends pg.ClientBase | pg.Client>(client: T, onLost?: (err: Error) => void): T {
  client.on('error', (err: Error) => onLost?.(err));
  return client;
}

/** Supervises every client a pool makes, and makes its sessions read-only when asked. */
export function supervisePool(pool: pg.Pool, opts: { readOnly?: boolean } = {}): pg.Pool {
  pool.on('error', () => undefined); // an idle client lost its server: the pool drops it
  pool.on('connect', (client) => {
    supervise(client);
    // Queued before any query of the caller's on this client, so it always runs first.
    // Fail closed: a session that could not be made read-only is ended, so the caller's query fails instead of writing.
    if (opts.readOnly) client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY').catch(() => void client.end());
  });
  return pool;
}

const SETTINGS = [
  'server_version', 'max_connections', 'superuser_reserved_connections', 'shared_buffers', 'work_mem',
  'effective_cache_size', 'maintenance_work_mem', 'random_page_cost', 'statement_timeout',
  'idle_in_transaction_session_timeout', 'data_checksums', 'default_transaction_read_only', 'max_wal_size', 'jit',
];

export function poolConfig(url: string, timeouts: PgTimeouts, opts: PoolOptions = {}): pg.PoolConfig {
  return {
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'stackprobe',
    connectionTimeoutMillis: timeouts.connectMs,
    // Server-side bound first (it cancels the work), client-side bound as a backstop for a dead server.
    ...(timeouts.startupStatementTimeout === false ? {} : { statement_timeout: opts.statementTimeoutMs ?? timeouts.operationMs }),
    // Read-only from the first byte where startup parameters pass; behind PgBouncer supervisePool sets it instead.
    ...(opts.readOnly && timeouts.startupStatementTimeout !== false ? { options: '-c default_transaction_read_only=on' } : {}),
    query_timeout: (opts.statementTimeoutMs ?? timeouts.operationMs) + 1000,
    idleTimeoutMillis: 10_000,
  };
}

/** A connection failure in plain words, without credentials. */
export function describeConnectError(err: unknown, redacted: string, timeouts: PgTimeouts): string {
  const e = err as { code?: string; message?: string };
  const where = `PostgreSQL at ${redacted}`;
  switch (e.code) {
    case 'ECONNREFUSED': return `cannot connect to ${where}: connection refused (is the server running and listening there?)`;
    case 'ENOTFOUND': case 'EAI_AGAIN': return `cannot connect to ${where}: host not found`;
    case 'ETIMEDOUT': return `cannot connect to ${where}: timed out`;
    case '28P01': return `cannot log in to ${where}: password authentication failed`;
    case '28000': return `cannot log in to ${where}: ${e.message ?? 'not authorised'}`;
    case '3D000': return `cannot use ${where}: ${e.message ?? 'database does not exist'}`;
  }
  if (/timeout/i.test(e.message ?? '')) return `cannot connect to ${where}: no answer within ${timeouts.connectMs} ms`;
  return `cannot connect to ${where}: ${e.message ?? String(err)}`;
}

/** PgBouncer's answer to a startup parameter it does not pass on. */
export const UNSUPPORTED_STARTUP = /unsupported startup parameter/i;

async function serverFacts(url: string, timeouts: PgTimeouts): Promise<{ admin: pg.Pool; settings: Record<string, string>; version: string }> {
  const admin = supervisePool(new pg.Pool(poolConfig(url, timeouts, { max: 3, applicationName: 'stackprobe-admin' })));
  try {
    const res = await admin.query<{ name: string; setting: string }>(
      `SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name = ANY($1)`,
      [SETTINGS],
    );
    const version = (await admin.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v;
    return { admin, settings: Object.fromEntries(res.rows.map((r) => [r.name, r.setting])), version };
  } catch (err) {
    await admin.end();
    throw err;
  }
}

export async function openPg(url: string, baseTimeouts: PgTimeouts, opts: { private?: boolean } = {}): Promise<PgTarget> {
  const redacted = redactUrl(url);
  let timeouts = baseTimeouts;
  let facts: Awaited<ReturnType<typeof serverFacts>>;
  try {
    try {
      facts = await serverFacts(url, timeouts);
    } catch (err) {
      if (!UNSUPPORTED_STARTUP.test((err as Error).message ?? '')) throw err;
      // A PgBouncer in front: connect again without the startup parameter it refuses.
      timeouts = { ...baseTimeouts, startupStatementTimeout: false };
      facts = await serverFacts(url, timeouts);
    }
  } catch (err) {
    throw new TargetUnavailableError(describeConnectError(err, redacted, timeouts));
  }
  const { admin, settings, version } = facts;
  return {
    kind: 'pg',
    url,
    timeouts,
    admin,
    facts: { kind: 'postgresql', url: redacted, private: opts.private ?? false, version, settings },
    createPool(options) {
      // Read-only from the startup packet where it passes (poolConfig); a SET on connect only behind a PgBouncer.
      return supervisePool(new pg.Pool(poolConfig(url, timeouts, options)), { readOnly: options?.readOnly === true && timeouts.startupStatementTimeout === false });
    },
    close: () => admin.end(),
  };
}
