// Turns a connection URL into private libpq files (a service file and a passfile, mode 0600) so pg_dump/pg_restore get no connection data in argv or their environment.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

/** libpq keywords a service file may carry (PostgreSQL 15); anything else in a URL is a node-postgres option and is dropped. */
const LIBPQ_KEYWORDS = new Set([
  'host', 'hostaddr', 'port', 'dbname', 'user', 'channel_binding', 'connect_timeout', 'client_encoding', 'options',
  'application_name', 'fallback_application_name', 'keepalives', 'keepalives_idle', 'keepalives_interval', 'keepalives_count',
  'tcp_user_timeout', 'gssencmode', 'sslmode', 'requiressl', 'sslcompression', 'sslcert', 'sslkey', 'sslpassword', 'sslrootcert',
  'sslcrl', 'sslcrldir', 'sslsni', 'requirepeer', 'ssl_min_protocol_version', 'ssl_max_protocol_version', 'krbsrvname', 'gsslib',
  'target_session_attrs', 'passfile',
]);

/** node-postgres spellings libpq does not know, mapped to what libpq means by the closest setting. */
function libpqSslmode(params: URLSearchParams): string | undefined {
  const mode = params.get('sslmode');
  if (mode === 'no-verify') return 'require';
  if (mode) return mode;
  const ssl = params.get('ssl');
  if (ssl === null) return undefined;
  return ['1', 'true', 'on', ''].includes(ssl.toLowerCase()) ? 'require' : 'disable';
}

export interface LibpqParams {
  /** Every connection setting except the password, by libpq keyword. */
  settings: Record<string, string>;
  password: string | undefined;
}

/** The settings of a `postgres://` URL in libpq's terms: user and password from the authority or the query string, whichever is set. */
export function libpqParams(url: string, overrides: Record<string, string> = {}): LibpqParams {
  const u = new URL(url);
  const settings: Record<string, string> = {};
  const host = decodeURIComponent(u.hostname).replace(/^\[(.*)\]$/, '$1');
  if (host) settings.host = host;
  if (u.port) settings.port = u.port;
  const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (db) settings.dbname = db;
  if (u.username) settings.user = decodeURIComponent(u.username);
  let password = u.password ? decodeURIComponent(u.password) : undefined;
  for (const [key, value] of u.searchParams) {
    if (key === 'password') password = value;
    else if (LIBPQ_KEYWORDS.has(key)) settings[key] = value;
  }
  const sslmode = libpqSslmode(u.searchParams);
  if (sslmode) settings.sslmode = sslmode;
  return { settings: { ...settings, ...overrides }, password };
}

/** A service file section; libpq reads `key=value` to the end of the line and trims, so such values cannot be written. */
export function serviceFile(name: string, settings: Record<string, string>): string {
  const lines = [`[${name}]`];
  for (const [key, value] of Object.entries(settings)) {
    if (/[\r\n]/.test(value) || value !== value.trim()) throw new Error(`the connection setting ${key} has a line break or edge spaces that libpq's service file cannot carry`);
    lines.push(`${key}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A passfile line matching any server: `:` and `\` escaped as libpq reads them. */
export function passfileLine(password: string): string {
  if (/[\r\n]/.test(password)) throw new Error('the password has a line break, which a libpq passfile cannot carry');
  return `*:*:*:*:${password.replace(/[\\:]/g, (c) => `\\${c}`)}\n`;
}

const SERVICE = 'stackprobe';

/**
 * Writes the service file and passfile into `dir` (the caller's private 0700 directory, removed by the caller) and
 * returns the environment that points libpq at them. Nothing secret goes into argv or the environment.
 */
export async function libpqEnvFiles(dir: string, label: string, url: string, overrides: Record<string, string> = {}, ours: NodeJS.ProcessEnv = process.env): Promise<Record<string, string>> {
  const parsed = libpqParams(url, { connect_timeout: '10', ...overrides });
  const { settings } = parsed;
  // node-postgres takes PGPASSWORD when the URL has no password; the tools get the same password, through the passfile
  // (their environment is built, so they never see PGPASSWORD itself).
  const password = parsed.password ?? ours.PGPASSWORD;
  // A passfile named in the URL would take precedence over ours and lose the URL's password.
  if (password !== undefined) delete settings.passfile;
  const svc = path.join(dir, `pg_service-${label}.conf`);
  await writeFile(svc, serviceFile(SERVICE, settings), { mode: 0o600 });
  const env: Record<string, string> = { PGSERVICEFILE: svc, PGSERVICE: SERVICE };
  if (password !== undefined) {
    const pass = path.join(dir, `pgpass-${label}`);
    await writeFile(pass, passfileLine(password), { mode: 0o600 });
    env.PGPASSFILE = pass;
  }
  return env;
}
