// Connection options of the measuring path, from the one connection spec (../spec.ts): libpq's meaning of every sslmode.
import { parsePgUrl, type PgSpec } from '../spec.js';
import { tlsFiles } from '../spec-clients.js';

/**
 * The modes as the transport acts on them: the spec's verification folded in (require that verifies the chain,
 * because a root certificate was given, is verify-ca here). docs/connections.md has the table of meanings.
 */
export type WireSslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

export interface WireOptions {
  host: string;
  port: number;
  /** A Unix socket path, when the URL's host is a directory (`?host=/var/run/postgresql`). */
  socketPath?: string;
  user: string;
  password: string;
  database: string;
  sslmode: WireSslMode;
  /** PEM of the CA to verify the server with (sslrootcert); the system's CAs when absent. */
  ca?: Buffer;
  /** Client certificate and key (sslcert, sslkey). */
  cert?: Buffer;
  key?: Buffer;
  applicationName: string;
  /** Startup `options` (`-c name=value …`): session settings from the first byte, e.g. read-only and statement_timeout. */
  startupOptions?: string;
  connectTimeoutMs: number;
}

export interface WireExtra { applicationName?: string; startupOptions?: string; connectTimeoutMs?: number }

function wireMode(spec: PgSpec): WireSslMode {
  if (spec.verify === 'full') return 'verify-full';
  if (spec.verify === 'chain') return 'verify-ca';
  return spec.sslmode === 'verify-ca' || spec.sslmode === 'verify-full' ? 'require' : spec.sslmode;
}

export function wireOptionsFromSpec(spec: PgSpec, extra: WireExtra = {}): WireOptions {
  const sslmode = wireMode(spec);
  const opts: WireOptions = {
    host: spec.host,
    port: spec.port,
    user: spec.user,
    password: spec.password ?? '',
    database: spec.database,
    sslmode,
    applicationName: extra.applicationName ?? 'stackprobe',
    connectTimeoutMs: extra.connectTimeoutMs ?? spec.connectTimeoutMs ?? 10_000,
    ...(sslmode === 'disable' ? {} : tlsFiles(spec)),
  };
  if (spec.socketDir !== undefined) opts.socketPath = `${spec.socketDir}/.s.PGSQL.${spec.port}`;
  const startup = [spec.options, extra.startupOptions].filter((s): s is string => !!s).join(' ');
  if (startup) opts.startupOptions = startup;
  return opts;
}

/** Parses `url` (parsePgUrl) and derives the options: for tests and tools that hold a URL, not a target. */
export function wireOptions(url: string, extra: WireExtra = {}): WireOptions {
  return wireOptionsFromSpec(parsePgUrl(url), extra);
}
