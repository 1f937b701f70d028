// What each kind of client is given from the one connection spec: node-postgres's config and libpq's keywords (for the
// child tools), both with libpq's meaning of sslmode (docs/connections.md). The wire client's options: wire/options.ts.
import type { ConnectionOptions } from 'node:tls';
import type pg from 'pg';
import { MAX_CERT_BYTES, readBoundedFileSync } from '../../util/read-bounded.js';
import type { PgSpec } from './spec.js';

/** The PEM files of the spec's TLS settings, read once per client config (bounded: a FIFO or a huge file is refused). */
export function tlsFiles(spec: PgSpec): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const read = (file: string, what: string) => readBoundedFileSync(file, `${what} ${file}`, MAX_CERT_BYTES);
  return {
    ...(spec.verify !== 'none' && spec.sslrootcert !== undefined && spec.sslrootcert !== 'system' ? { ca: read(spec.sslrootcert, 'sslrootcert') } : {}),
    ...(spec.sslcert !== undefined ? { cert: read(spec.sslcert, 'sslcert') } : {}),
    ...(spec.sslkey !== undefined ? { key: read(spec.sslkey, 'sslkey') } : {}),
  };
}

/**
 * node-postgres's `ssl`: node-postgres alone would verify the full certificate for require and verify-ca; here
 * each mode means what libpq means. `negotiatedTls` is what allow/prefer settled on when the target opened (the wire
 * client speaks libpq's fallbacks; node-postgres cannot), so the pools connect the way the run's first session did.
 */
export function driverSsl(spec: PgSpec, negotiatedTls?: boolean): pg.ClientConfig['ssl'] {
  if (spec.sslmode === 'disable' || spec.socketDir !== undefined) return false;
  if ((spec.sslmode === 'allow' || spec.sslmode === 'prefer') && negotiatedTls !== true) return false;
  const files = tlsFiles(spec);
  const tls: ConnectionOptions = { ...(files.cert ? { cert: files.cert } : {}), ...(files.key ? { key: files.key } : {}) };
  if (spec.verify === 'none') return { ...tls, rejectUnauthorized: false };
  return {
    ...tls,
    ...(files.ca ? { ca: files.ca } : {}),
    rejectUnauthorized: true,
    // verify-ca checks the chain only; verify-full the name too, against the host we connect to (an IP address too).
    ...(spec.verify === 'chain' ? { checkServerIdentity: () => undefined } : { host: spec.host }),
  };
}

export interface DriverOptions {
  applicationName: string;
  connectTimeoutMs: number;
  /** Startup `options` of stackprobe's own, after the URL's. */
  startupOptions?: string;
  negotiatedTls?: boolean;
}

/** A node-postgres client config with no connection string: every field from the spec. */
export function driverConfig(spec: PgSpec, o: DriverOptions): pg.ClientConfig {
  const options = [spec.options, o.startupOptions].filter((s): s is string => !!s).join(' ');
  return {
    host: spec.socketDir ?? spec.host,
    port: spec.port,
    user: spec.user,
    database: spec.database,
    ...(spec.password !== undefined ? { password: spec.password } : {}),
    ssl: driverSsl(spec, o.negotiatedTls),
    application_name: o.applicationName,
    connectionTimeoutMillis: o.connectTimeoutMs,
    ...(options ? { options } : {}),
  };
}

export interface LibpqSettings {
  /** Every connection setting except the password, by libpq keyword. */
  settings: Record<string, string>;
  /** @credential written to a private passfile (libpq-files.ts), never to argv or the environment. */
  password: string | undefined;
}

/**
 * The spec in libpq's keywords. sslmode is always written (no sslmode means disable here, not libpq's prefer); for
 * no-verify, `noRootCert` names a file that does not exist, so libpq's require does not pick ~/.postgresql/root.crt up
 * and verify the chain.
 */
export function libpqSettings(spec: PgSpec, o: { applicationName: string; connectTimeoutMs: number; noRootCert?: string }): LibpqSettings {
  const s: Record<string, string> = {
    ...spec.libpqOnly,
    host: spec.socketDir ?? spec.host,
    port: String(spec.port),
    dbname: spec.database,
    user: spec.user,
    sslmode: spec.sslmode,
    // libpq counts whole seconds and takes 1 as 2.
    connect_timeout: String(Math.max(2, Math.ceil(o.connectTimeoutMs / 1000))),
    application_name: o.applicationName,
  };
  if (spec.sslrootcert !== undefined) s.sslrootcert = spec.sslrootcert;
  else if (spec.sslmodeSpelled === 'no-verify' && o.noRootCert !== undefined) s.sslrootcert = o.noRootCert;
  if (spec.sslcert !== undefined) s.sslcert = spec.sslcert;
  if (spec.sslkey !== undefined) s.sslkey = spec.sslkey;
  if (spec.options !== undefined) s.options = spec.options;
  if (spec.targetSessionAttrs !== 'any') s.target_session_attrs = spec.targetSessionAttrs;
  // A passfile of the URL only when the password is not ours to hand over: ours would lose to it otherwise.
  if (spec.passfile !== undefined && spec.password === undefined) s.passfile = spec.passfile;
  return { settings: s, password: spec.password };
}
