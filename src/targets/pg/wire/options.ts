// Connection options of the measuring path from a postgres:// URL, with libpq's meaning of sslmode and sslrootcert.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';

export type SslMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
const MODES: readonly SslMode[] = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'];

export interface WireOptions {
  host: string;
  port: number;
  /** A Unix socket path, when the URL's host is a directory (`?host=/var/run/postgresql`). */
  socketPath?: string;
  user: string;
  password: string;
  database: string;
  sslmode: SslMode;
  /** PEM of the CA to verify the server with (sslrootcert); the system's CAs when absent. */
  ca?: Buffer;
  applicationName: string;
  /** Startup `options` (`-c name=value …`): session settings from the first byte, e.g. read-only and statement_timeout. */
  startupOptions?: string;
  connectTimeoutMs: number;
}

/**
 * sslmode as libpq reads it (URL, else PGSSLMODE), but 'disable' when neither says, as node-postgres does, so the
 * measuring path and the driver pools of one run see the same connection. 'allow' is taken as 'prefer'.
 */
function sslModeOf(u: URL): SslMode {
  const raw = u.searchParams.get('sslmode') ?? process.env.PGSSLMODE ?? 'disable';
  const mode = raw === 'allow' ? 'prefer' : raw;
  if (!(MODES as readonly string[]).includes(mode)) throw new Error(`sslmode=${raw} is not one of ${MODES.join(', ')}`);
  // libpq: 'require' with a root certificate given verifies the chain, like verify-ca.
  if (mode === 'require' && (u.searchParams.get('sslrootcert') ?? process.env.PGSSLROOTCERT)) return 'verify-ca';
  return mode as SslMode;
}

export function wireOptions(url: string, extra: { applicationName?: string; startupOptions?: string; connectTimeoutMs?: number } = {}): WireOptions {
  const u = new URL(url);
  const user = decodeURIComponent(u.username) || process.env.PGUSER || userInfo().username;
  const hostParam = u.searchParams.get('host');
  const port = Number(u.port || u.searchParams.get('port') || 5432);
  const opts: WireOptions = {
    host: decodeURIComponent(u.hostname) || '127.0.0.1',
    port,
    user,
    password: decodeURIComponent(u.password) || process.env.PGPASSWORD || '',
    database: decodeURIComponent(u.pathname.slice(1)) || user,
    sslmode: sslModeOf(u),
    applicationName: extra.applicationName ?? u.searchParams.get('application_name') ?? 'stackprobe',
    connectTimeoutMs: extra.connectTimeoutMs ?? 10_000,
  };
  if (hostParam?.startsWith('/')) opts.socketPath = `${hostParam}/.s.PGSQL.${port}`;
  const rootCert = u.searchParams.get('sslrootcert') ?? process.env.PGSSLROOTCERT;
  if (rootCert && rootCert !== 'system') opts.ca = readFileSync(rootCert);
  const startup = [u.searchParams.get('options'), extra.startupOptions].filter((s): s is string => !!s).join(' ');
  if (startup) opts.startupOptions = startup;
  return opts;
}
