// Connection options of the measuring path from a postgres:// URL, with libpq's meaning of sslmode and sslrootcert.
import { userInfo } from 'node:os';
import { MAX_CERT_BYTES, readBoundedFileSync } from '../../../util/read-bounded.js';

/**
 * sslmode, with libpq's meanings (what each mode does here):
 *
 * | sslmode       | TLS                                              | certificate checked                    |
 * |---------------|--------------------------------------------------|----------------------------------------|
 * | `disable`     | never                                            | —                                      |
 * | `allow`       | plain first; TLS if the server refuses the plain login | no                               |
 * | `prefer`      | TLS if the server accepts it, else plain; plain again if the TLS handshake or login fails | no |
 * | `require`     | always                                           | no; the chain when a root cert is given (`sslrootcert`/PGSSLROOTCERT), as verify-ca |
 * | `verify-ca`   | always                                           | the chain                              |
 * | `verify-full` | always                                           | the chain and the host name            |
 * | `no-verify`   | always (node-postgres's spelling)                | never, even with a root cert           |
 *
 * No sslmode in the URL nor PGSSLMODE means `disable` (node-postgres's default), not libpq's `prefer`, so the measuring
 * path and the driver pools of one run see the same connection. On a Unix socket TLS is never used (as libpq).
 */
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
const SPELLINGS = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

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

/** The mode and whether a root certificate given applies (it does not for no-verify, which never verifies). */
function sslModeOf(u: URL): { mode: SslMode; useRootCert: boolean } {
  const raw = u.searchParams.get('sslmode') ?? process.env.PGSSLMODE ?? 'disable';
  if (!SPELLINGS.includes(raw)) throw new Error(`sslmode=${raw} is not one of ${SPELLINGS.join(', ')}`);
  if (raw === 'no-verify') return { mode: 'require', useRootCert: false };
  // libpq: 'require' with a root certificate given verifies the chain, like verify-ca.
  if (raw === 'require' && (u.searchParams.get('sslrootcert') ?? process.env.PGSSLROOTCERT)) return { mode: 'verify-ca', useRootCert: true };
  return { mode: raw as SslMode, useRootCert: true };
}

export function wireOptions(url: string, extra: { applicationName?: string; startupOptions?: string; connectTimeoutMs?: number } = {}): WireOptions {
  const u = new URL(url);
  const ssl = sslModeOf(u);
  const user = decodeURIComponent(u.username) || process.env.PGUSER || userInfo().username;
  const hostParam = u.searchParams.get('host');
  const port = Number(u.port || u.searchParams.get('port') || 5432);
  const opts: WireOptions = {
    host: decodeURIComponent(u.hostname) || '127.0.0.1',
    port,
    user,
    password: decodeURIComponent(u.password) || process.env.PGPASSWORD || '',
    database: decodeURIComponent(u.pathname.slice(1)) || user,
    sslmode: ssl.mode,
    applicationName: extra.applicationName ?? u.searchParams.get('application_name') ?? 'stackprobe',
    connectTimeoutMs: extra.connectTimeoutMs ?? 10_000,
  };
  if (hostParam?.startsWith('/')) opts.socketPath = `${hostParam}/.s.PGSQL.${port}`;
  const rootCert = u.searchParams.get('sslrootcert') ?? process.env.PGSSLROOTCERT;
  if (ssl.useRootCert && rootCert && rootCert !== 'system') opts.ca = readBoundedFileSync(rootCert, `sslrootcert ${rootCert}`, MAX_CERT_BYTES);
  const startup = [u.searchParams.get('options'), extra.startupOptions].filter((s): s is string => !!s).join(' ');
  if (startup) opts.startupOptions = startup;
  return opts;
}
