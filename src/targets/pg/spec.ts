// The one parse of a postgres:// URL: a connection spec with libpq's meaning of every setting, from which the driver
// pools, the measuring wire sessions and the child tools (pg_dump, psql) all take their connection (docs/connections.md).
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** libpq's sslmodes. node-postgres's `no-verify` is mapped to `require` that never verifies (see `verify`). */
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
export const SSL_MODES: readonly string[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

/** What of the server's certificate is checked: nothing, the chain (verify-ca), or the chain and the host name. */
export type Verify = 'none' | 'chain' | 'full';

export type TargetSessionAttrs = 'any' | 'read-write' | 'read-only' | 'primary' | 'standby' | 'prefer-standby';
const SESSION_ATTRS: readonly string[] = ['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby'];

export interface PgSpec {
  /** Host name or address; for a Unix socket, the socket's directory (`socketDir` is then set too). */
  readonly host: string;
  readonly port: number;
  readonly socketDir?: string;
  readonly user: string;
  /**
   * From the URL (authority or `password=`), else PGPASSWORD; undefined leaves each client to its passfile.
   * @credential
   */
  readonly password?: string;
  readonly database: string;
  readonly sslmode: SslMode;
  /** How the sslmode was spelled, for messages: `no-verify` stays visible. */
  readonly sslmodeSpelled: string;
  readonly verify: Verify;
  /** Root certificate file (sslrootcert, PGSSLROOTCERT, ~/.postgresql/root.crt when it exists, as libpq); `system` for the system's CAs. */
  readonly sslrootcert?: string;
  readonly sslcert?: string;
  readonly sslkey?: string;
  /** connect_timeout of the URL, in ms; the run's connect timeout applies when absent. */
  readonly connectTimeoutMs?: number;
  /** Startup `options` of the URL (`-c name=value …`), kept in front of stackprobe's own. */
  readonly options?: string;
  readonly targetSessionAttrs: TargetSessionAttrs;
  /** passfile of the URL: child tools read it; the drivers read PGPASSFILE or ~/.pgpass as before. */
  readonly passfile?: string;
  /** Further libpq keywords of the URL (keepalives, sslcrl, …): only the child tools, which speak libpq, use them. */
  readonly libpqOnly: Readonly<Record<string, string>>;
}

/** Keywords libpq knows that the spec does not model itself: passed through to the child tools only. */
const LIBPQ_ONLY = new Set([
  'hostaddr', 'channel_binding', 'client_encoding', 'fallback_application_name', 'keepalives', 'keepalives_idle',
  'keepalives_interval', 'keepalives_count', 'tcp_user_timeout', 'gssencmode', 'sslcompression', 'sslpassword', 'sslcrl',
  'sslcrldir', 'sslsni', 'requirepeer', 'ssl_min_protocol_version', 'ssl_max_protocol_version', 'krbsrvname', 'gsslib',
]);

/** A setting from the query string, else from libpq's environment variable for it. */
function setting(u: URL, key: string, env: NodeJS.ProcessEnv, envName?: string): string | undefined {
  const v = u.searchParams.get(key);
  if (v !== null) return v;
  return envName ? env[envName] || undefined : undefined;
}

/** libpq's default file under ~/.postgresql when it exists (root.crt, postgresql.crt, postgresql.key). */
function homeFile(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const home = env.HOME ?? os.homedir();
  const file = path.join(home, '.postgresql', name);
  return home && existsSync(file) ? file : undefined;
}

/** sslmode of the URL, its `ssl=true` spelling, or PGSSLMODE; none of them means `disable` (see docs/connections.md). */
function sslmodeOf(u: URL, env: NodeJS.ProcessEnv): string {
  const mode = setting(u, 'sslmode', env, 'PGSSLMODE');
  if (mode !== undefined) return mode;
  const ssl = u.searchParams.get('ssl');
  if (ssl === null) return 'disable';
  return ['1', 'true', 'on', ''].includes(ssl.toLowerCase()) ? 'require' : 'disable';
}

function verifyOf(mode: string, rootcert: string | undefined): Verify {
  if (mode === 'verify-full') return 'full';
  if (mode === 'verify-ca') return 'chain';
  // libpq: require with a root certificate verifies the chain, as verify-ca.
  if (mode === 'require' && rootcert !== undefined) return 'chain';
  return 'none';
}

function connectTimeoutOf(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const s = Number(raw);
  if (!Number.isInteger(s) || s < 0) throw new Error(`connect_timeout=${raw} is not a whole number of seconds`);
  // libpq: 0 waits forever (stackprobe keeps its own bound then); 1 is taken as 2.
  return s === 0 ? undefined : Math.max(2, s) * 1000;
}

/** Parses a postgres:// URL once, with libpq's meanings and environment fallbacks. Throws on a setting libpq would refuse. */
/** WHATWG URL refuses an empty host (`postgres://u@/db?host=/var/run/postgresql`), which libpq accepts. */
const NO_HOST = 'stackprobe.no-host.invalid';
function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch (err) {
    const u = new URL(url.replace(/^(postgres(?:ql)?:\/\/(?:[^@/?#]*@)?)(?=[/?#]|$)/, `$1${NO_HOST}`));
    if (u.hostname !== NO_HOST) throw err;
    return u;
  }
}

export function parsePgUrl(url: string, env: NodeJS.ProcessEnv = process.env): PgSpec {
  const u = parseUrl(url);
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new Error(`expected a postgres:// or postgresql:// URL, got ${u.protocol}//…`);
  const spelled = sslmodeOf(u, env);
  if (!SSL_MODES.includes(spelled)) throw new Error(`sslmode=${spelled} is not one of ${SSL_MODES.join(', ')}`);
  const noVerify = spelled === 'no-verify';
  const sslmode = (noVerify ? 'require' : spelled) as SslMode;
  const tls = sslmode !== 'disable';
  // no-verify never verifies: a root certificate, given or in ~/.postgresql, is not used.
  const sslrootcert = noVerify || !tls ? undefined : setting(u, 'sslrootcert', env, 'PGSSLROOTCERT') ?? homeFile('root.crt', env);
  if (sslmode.startsWith('verify-') && sslrootcert === undefined) {
    throw new Error(`sslmode=${sslmode} needs a root certificate to verify the server with: sslrootcert=<file>, PGSSLROOTCERT or ~/.postgresql/root.crt (as libpq); sslrootcert=system takes the system's certificate authorities`);
  }
  const attrs = setting(u, 'target_session_attrs', env, 'PGTARGETSESSIONATTRS') ?? 'any';
  if (!SESSION_ATTRS.includes(attrs)) throw new Error(`target_session_attrs=${attrs} is not one of ${SESSION_ATTRS.join(', ')}`);

  const hostParam = u.searchParams.get('host');
  const authorityHost = u.hostname === NO_HOST ? '' : decodeURIComponent(u.hostname).replace(/^\[(.*)\]$/, '$1');
  const host = hostParam ?? (authorityHost || env.PGHOST || '127.0.0.1');
  const user = u.searchParams.get('user') ?? (decodeURIComponent(u.username) || env.PGUSER || os.userInfo().username);
  const password = u.searchParams.get('password') ?? (u.password ? decodeURIComponent(u.password) : env.PGPASSWORD || undefined);
  const port = Number(u.port || u.searchParams.get('port') || env.PGPORT || 5432);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port ${port} is not a TCP port`);
  const libpqOnly: Record<string, string> = {};
  for (const [key, value] of u.searchParams) if (LIBPQ_ONLY.has(key)) libpqOnly[key] = value;

  const optional = {
    socketDir: host.startsWith('/') ? host : undefined,
    password,
    sslrootcert,
    sslcert: tls ? setting(u, 'sslcert', env, 'PGSSLCERT') ?? homeFile('postgresql.crt', env) : undefined,
    sslkey: tls ? setting(u, 'sslkey', env, 'PGSSLKEY') ?? homeFile('postgresql.key', env) : undefined,
    connectTimeoutMs: connectTimeoutOf(setting(u, 'connect_timeout', env, 'PGCONNECT_TIMEOUT')),
    options: setting(u, 'options', env, 'PGOPTIONS') || undefined,
    passfile: setting(u, 'passfile', env) || undefined,
  };
  return {
    host, port, user,
    database: u.searchParams.get('dbname') ?? (decodeURIComponent(u.pathname.slice(1)) || env.PGDATABASE || user),
    sslmode, sslmodeSpelled: spelled, verify: verifyOf(sslmode, sslrootcert), targetSessionAttrs: attrs as TargetSessionAttrs, libpqOnly,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

/** The same spec for another database on the same server (a scratch database). */
export function withDatabaseSpec(spec: PgSpec, database: string): PgSpec {
  return { ...spec, database };
}

/** Where a spec connects, without its secrets: what a check may know of its target (docs/connections.md). */
export interface PgLocation {
  /** Host name or address; for a Unix socket, its directory. */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** The server runs on this machine (a Unix socket, localhost or a loopback address): its CPU and disk are ours. */
  readonly local: boolean;
}

export function locationOf(spec: PgSpec): PgLocation {
  const host = spec.host.toLowerCase();
  const local = spec.socketDir !== undefined || host === 'localhost' || host === '::1' || /^127\./.test(host);
  return { host: spec.socketDir ?? spec.host, port: spec.port, user: spec.user, database: spec.database, local };
}
