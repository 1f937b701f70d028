// A small client for PgBouncer's admin console (the virtual database "pgbouncer"): detect it and read its SHOW commands.
import pg from 'pg';
import { withTimeout } from '../../exec/timeout.js';
import { describeError } from '../../util/errors.js';
import { redactUrl } from '../../util/redact.js';

export type AdminRow = Record<string, string | null>;

export interface PgBouncerAdmin {
  /** e.g. `PgBouncer 1.18.0` */
  readonly version: string;
  /**
   * The console URL with credentials removed.
   * @redacted
   */
  readonly url: string;
  /** SHOW POOLS, SHOW STATS, SHOW CONFIG, SHOW DATABASES … (simple protocol; values come back as text). */
  show(what: 'POOLS' | 'STATS' | 'CONFIG' | 'DATABASES' | 'LISTS'): Promise<AdminRow[]>;
  close(): Promise<void>;
}

/** Why a URL did not yield a PgBouncer admin console. */
export class NotPgBouncerError extends Error {
  override readonly name = 'NotPgBouncerError';
  constructor(message: string, readonly reason: 'not-pgbouncer' | 'not-allowed' | 'unreachable') {
    super(message);
  }
}

/** The admin console next to a database URL: same host, port and credentials, database "pgbouncer". */
export function adminUrlFor(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  u.pathname = '/pgbouncer';
  // Driver options meant for the application's database (sslmode stays) do not apply to the console.
  u.searchParams.delete('options');
  return u.toString();
}

/** SQLSTATEs a PostgreSQL server answers with when "pgbouncer" is not a special database there. */
const PLAIN_POSTGRES = new Set(['3D000', '42704', '42601']);

export async function openPgBouncerAdmin(url: string, timeoutMs: number): Promise<PgBouncerAdmin> {
  return openPgBouncerAdminWith({ connectionString: url }, redactUrl(url), timeoutMs);
}

/** The same from a client config (a PgTarget's spec: its credentials stay in the target); `redacted` names it. */
export async function openPgBouncerAdminWith(config: pg.ClientConfig, redacted: string, timeoutMs: number): Promise<PgBouncerAdmin> {
  // No statement_timeout or other startup parameters: the console accepts only the few PgBouncer tracks.
  const client = new pg.Client({ ...config, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, application_name: 'stackprobe-pool' });
  client.on('error', () => undefined); // a console that goes away mid-run surfaces as the next query's error
  let version: string;
  try {
    await client.connect();
    const res = await withTimeout(client.query('SHOW VERSION'), timeoutMs, 'SHOW VERSION');
    version = String(Object.values(res.rows[0] ?? {})[0] ?? '');
  } catch (err) {
    await client.end().catch(() => undefined);
    throw classify(err, redacted);
  }
  if (!/pgbouncer/i.test(version)) {
    await client.end().catch(() => undefined);
    throw new NotPgBouncerError(`${redacted} is not a PgBouncer admin console (SHOW VERSION answered "${version.slice(0, 60)}")`, 'not-pgbouncer');
  }
  return {
    version,
    url: redacted,
    async show(what) {
      const res = await withTimeout(client.query<AdminRow>(`SHOW ${what}`), timeoutMs, `SHOW ${what}`);
      return res.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])));
    },
    close: () => client.end().catch(() => undefined),
  };
}

function classify(err: unknown, redacted: string): NotPgBouncerError {
  const e = err as { code?: string; message?: string };
  const msg = e.message ?? '';
  if (/not allowed/i.test(msg)) {
    return new NotPgBouncerError(`${redacted} is PgBouncer, but this user may not read its admin console (add it to admin_users or stats_users)`, 'not-allowed');
  }
  if (e.code !== undefined && PLAIN_POSTGRES.has(e.code)) {
    return new NotPgBouncerError(`${redacted} is not a PgBouncer admin console: ${describeError(err)}`, 'not-pgbouncer');
  }
  return new NotPgBouncerError(`cannot reach the PgBouncer admin console at ${redacted}: ${describeError(err)}`, 'unreachable');
}

/** A numeric column of an admin row (PgBouncer sends text); 0 when missing. */
export function num(row: AdminRow, key: string): number {
  const v = Number(row[key] ?? 0);
  return Number.isFinite(v) ? v : 0;
}
