// The PostgreSQL target: verified connection, server facts, and pools configured with stackprobe's name and timeouts.
import pg from 'pg';
import type { TargetFacts } from '../../result/model.js';
import { TargetUnavailableError } from '../../util/errors.js';
import { redactUrl } from '../../util/redact.js';
import { adminUrlFor, openPgBouncerAdminWith, type PgBouncerAdmin } from '../pgbouncer/admin.js';
import type { SessionWatch } from './lost-session.js';
import { scopePg, type ScopedPg } from './scope.js';
import { locationOf, parsePgUrl, type PgLocation, type PgSpec } from './spec.js';
import type { PgClient, PgPool } from './types.js';
import { driverConfig, libpqSettings, type LibpqSettings } from './spec-clients.js';
import { libpqEnvFiles, noRootCertIn } from './libpq-files.js';
import { WireConnection } from './wire/connection.js';
import { wireOptionsFromSpec } from './wire/options.js';
import { MeasureSession, type SessionOptions } from './wire/session.js';

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
  /**
   * The URL parsed once (spec.ts): every session, pool and child tool of the run connects from it.
   * @credential holds the password: the target and its sessions read it; a check passes it on unread (docs/connections.md).
   */
  readonly spec: PgSpec;
  /** Where the target is, without secrets: host, port, user, database, and whether the server is on this machine. */
  readonly location: PgLocation;
  /** What sslmode allow/prefer settled on at open (TLS or not), so the driver pools connect as the wire sessions do. */
  readonly negotiatedTls: boolean;
  readonly facts: TargetFacts;
  readonly timeouts: PgTimeouts;
  /** A shared small pool for catalog queries and setup. Ended by close(). */
  readonly admin: PgPool;
  /**
   * A new pool; the caller ends it (register `ctx.defer(() => pool.end())`). Every client it makes is supervised: a
   * lost session (restart, pg_terminate_backend, idle_session_timeout) fails that client's queries, never the process.
   * `readOnly` makes every session `default_transaction_read_only = on` before its first query.
   */
  createPool(options?: PoolOptions): PgPool;
  /**
   * A measuring session (the wire client): statements prepared once, one round trip per execution. The caller closes
   * it; a check's scoped target also closes it at the check's budget.
   */
  openSession(options: SessionOptions): Promise<MeasureSession>;
  /** Told of every measuring session opened on this target, SessionPool's included (see SessionTarget). */
  readonly onSession?: (session: MeasureSession) => void;
  /** One supervised client (not connected yet); the caller ends it. */
  createClient(options?: ClientOptions): PgClient;
  /** What a load worker thread opens its own measuring sessions from: plain data that crosses to the thread. */
  workerTarget(): PgWorkerTarget;
  /**
   * The PgBouncer admin console next to the target (same host, port and credentials, database "pgbouncer");
   * NotPgBouncerError when there is none (targets/pgbouncer/admin.ts). The caller closes it.
   */
  openPgBouncerConsole(): Promise<PgBouncerAdmin>;
  /**
   * libpq's settings for a child tool (pg_dump, psql), from the same spec: written to a private service file and
   * passfile by the caller (libpq-files.ts), never to argv or the environment.
   * @credential holds the password: checks use libpqEnv.
   */
  libpq(options: { applicationName: string; database?: string; noRootCert?: string }): LibpqSettings;
  /** The same, written into `dir` (private, 0700, the caller removes it): the environment that names the files. */
  libpqEnv(dir: string, label: string, options: { applicationName: string; database?: string }): Promise<Record<string, string>>;
  /**
   * This target as one check sees it (scope.ts): every pool, client and measuring session it opens is remembered and
   * watched, so the run can note a lost session and end all of them at the check's budget.
   */
  scope(watch: SessionWatch): ScopedPg;
  close(): Promise<void>;
}

/** A worker thread's target: the spec (with the password) and the bounds; a SessionTarget of the wire client. */
export interface PgWorkerTarget {
  /** @credential the target's spec: the thread's sessions read it, the check passes it on unread. */
  readonly spec: PgSpec;
  readonly timeouts: PgTimeouts;
}

export interface PoolOptions {
  max?: number;
  applicationName?: string;
  statementTimeoutMs?: number;
  readOnly?: boolean;
  /** Another database of the same server (a scratch database); the target's own by default. */
  database?: string;
  /** How long an acquire waits for a connection; the connect timeout by default. */
  acquireTimeoutMs?: number;
}

/** Another server with the target's credentials (the PostgreSQL behind a PgBouncer): its address and database. */
export interface OtherServer {
  host: string;
  port: number;
  database: string;
}

export interface ClientOptions extends Omit<PoolOptions, 'max' | 'acquireTimeoutMs'> {
  /** Connect to this server instead, with the target's credentials and TLS settings (no allow/prefer outcome there). */
  server?: OtherServer;
  /** Told why, when the session is lost (restart, pg_terminate_backend); its pending query rejects on its own. */
  onLost?: (err: Error) => void;
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

/** A node-postgres config from the spec, with stackprobe's name and bounds. `negotiatedTls`: see PgTarget. */
export function poolConfig(spec: PgSpec, timeouts: PgTimeouts, opts: PoolOptions = {}, negotiatedTls?: boolean): pg.PoolConfig {
  const startupPasses = timeouts.startupStatementTimeout !== false;
  return {
    ...driverConfig(opts.database === undefined ? spec : { ...spec, database: opts.database }, {
      applicationName: opts.applicationName ?? 'stackprobe',
      connectTimeoutMs: opts.acquireTimeoutMs ?? timeouts.connectMs,
      // Read-only from the first byte where startup parameters pass; behind PgBouncer supervisePool sets it instead.
      ...(opts.readOnly && startupPasses ? { startupOptions: '-c default_transaction_read_only=on' } : {}),
      ...(negotiatedTls !== undefined ? { negotiatedTls } : {}),
    }),
    max: opts.max ?? 10,
    // Server-side bound first (it cancels the work), client-side bound as a backstop for a dead server.
    ...(startupPasses ? { statement_timeout: opts.statementTimeoutMs ?? timeouts.operationMs } : {}),
    query_timeout: (opts.statementTimeoutMs ?? timeouts.operationMs) + 1000,
    idleTimeoutMillis: 10_000,
  };
}

/**
 * allow and prefer decide per connection whether TLS is used, which node-postgres cannot: the wire client (libpq's
 * fallbacks) connects once, and the driver pools use what it settled on. Other modes need no probe.
 */
async function negotiate(spec: PgSpec, timeouts: PgTimeouts): Promise<boolean> {
  if (spec.sslmode !== 'allow' && spec.sslmode !== 'prefer') return spec.sslmode !== 'disable' && spec.socketDir === undefined;
  const conn = await WireConnection.connect(wireOptionsFromSpec(spec, { applicationName: 'stackprobe-admin', connectTimeoutMs: timeouts.connectMs }));
  const tls = conn.tls;
  await conn.close();
  return tls;
}

/** target_session_attrs with one host, as libpq checks it: a server of the wrong kind is refused. */
const SESSION_ATTRS_SQL = `SELECT pg_is_in_recovery() AS standby, current_setting('transaction_read_only') = 'on' AS read_only`;
async function checkSessionAttrs(spec: PgSpec, admin: pg.Pool): Promise<void> {
  const want = spec.targetSessionAttrs;
  if (want === 'any' || want === 'prefer-standby') return;
  const { standby, read_only: readOnly } = (await admin.query<{ standby: boolean; read_only: boolean }>(SESSION_ATTRS_SQL)).rows[0]!;
  const ok = { 'read-write': !readOnly, 'read-only': readOnly, primary: !standby, standby }[want];
  if (!ok) throw new Error(`the server is not ${want === 'read-write' || want === 'read-only' ? `${want} (transaction_read_only is ${readOnly ? 'on' : 'off'})` : `a ${want} (pg_is_in_recovery() is ${standby})`}, as target_session_attrs=${want} asks`);
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

/** The spec for another server with the same credentials and TLS settings (the PostgreSQL behind a PgBouncer). */
function onServer(spec: PgSpec, to: OtherServer): PgSpec {
  const { socketDir: _socket, ...rest } = spec;
  return { ...rest, host: to.host, port: to.port, database: to.database };
}

/**
 * A supervised client for a server stackprobe started itself (a drill's private server, trust on loopback): parts,
 * not a URL, since there is no user's URL for it.
 */
export function openPrivateClient(to: { host: string; port: number; user: string; database: string }, o: { applicationName: string; connectTimeoutMs: number; queryTimeoutMs: number }): PgClient {
  return supervise(new pg.Client({ ...to, connectionTimeoutMillis: o.connectTimeoutMs, query_timeout: o.queryTimeoutMs, application_name: o.applicationName }));
}

/** PgBouncer's answer to a startup parameter it does not pass on. */
export const UNSUPPORTED_STARTUP = /unsupported startup parameter/i;

async function serverFacts(spec: PgSpec, timeouts: PgTimeouts, tls: boolean): Promise<{ admin: pg.Pool; settings: Record<string, string>; version: string }> {
  const admin = supervisePool(new pg.Pool(poolConfig(spec, timeouts, { max: 3, applicationName: 'stackprobe-admin' }, tls)));
  try {
    await checkSessionAttrs(spec, admin);
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
  let spec: PgSpec;
  try {
    spec = parsePgUrl(url);
  } catch (err) {
    throw new TargetUnavailableError(`cannot use PostgreSQL at ${redacted}: ${(err as Error).message}`);
  }
  // The URL's connect_timeout, when given, bounds every connection of the run (libpq's meaning).
  let timeouts = spec.connectTimeoutMs === undefined ? baseTimeouts : { ...baseTimeouts, connectMs: spec.connectTimeoutMs };
  let facts: Awaited<ReturnType<typeof serverFacts>>;
  let tls = false;
  try {
    tls = await negotiate(spec, timeouts);
    try {
      facts = await serverFacts(spec, timeouts, tls);
    } catch (err) {
      if (!UNSUPPORTED_STARTUP.test((err as Error).message ?? '')) throw err;
      // A PgBouncer in front: connect again without the startup parameter it refuses.
      timeouts = { ...timeouts, startupStatementTimeout: false };
      facts = await serverFacts(spec, timeouts, tls);
    }
  } catch (err) {
    throw new TargetUnavailableError(describeConnectError(err, redacted, timeouts));
  }
  const { admin, settings, version } = facts;
  const connectMs = timeouts.connectMs;
  const libpq: PgTarget['libpq'] = ({ applicationName, database, noRootCert }) => libpqSettings(database === undefined ? spec : { ...spec, database }, {
    applicationName, connectTimeoutMs: connectMs, ...(noRootCert !== undefined ? { noRootCert } : {}),
  });
  const clientOf = (options: ClientOptions): PgClient => {
    const { onLost, server, ...rest } = options;
    // allow/prefer settled for the target's server only: another server is reached without TLS under them.
    const config = server === undefined ? poolConfig(spec, timeouts, rest, tls) : poolConfig(onServer(spec, server), timeouts, rest);
    const { max: _max, idleTimeoutMillis: _idle, ...clientConfig } = config;
    return supervise(new pg.Client(clientConfig), onLost);
  };
  return {
    kind: 'pg',
    spec,
    location: locationOf(spec),
    negotiatedTls: tls,
    timeouts,
    admin,
    facts: { kind: 'postgresql', url: redacted, private: opts.private ?? false, version, settings },
    createPool(options) {
      // Read-only from the startup packet where it passes (poolConfig); a SET on connect only behind a PgBouncer.
      return supervisePool(new pg.Pool(poolConfig(spec, timeouts, options, tls)), { readOnly: options?.readOnly === true && timeouts.startupStatementTimeout === false });
    },
    openSession(options) {
      // `this`: a check's scoped copy of the target, whose onSession notes the session.
      return MeasureSession.open(this as PgTarget, options);
    },
    createClient(options = {}) {
      // Fail closed: behind a pooler that refuses startup options only a pool's on-connect SET makes sessions read-only.
      if (options.readOnly && timeouts.startupStatementTimeout === false) throw new Error('a read-only single client cannot be made behind this pooler (it refuses startup options): use createPool({ readOnly: true })');
      return clientOf(options);
    },
    workerTarget: () => ({ spec, timeouts }),
    openPgBouncerConsole() {
      // The console takes no startup options: neither the URL's `options` nor stackprobe's statement_timeout.
      const config = driverConfig({ ...spec, database: 'pgbouncer', options: undefined }, { applicationName: 'stackprobe-pool', connectTimeoutMs: connectMs, negotiatedTls: tls });
      return openPgBouncerAdminWith(config, redactUrl(adminUrlFor(url)), connectMs);
    },
    libpq,
    libpqEnv: (dir, label, options) => libpqEnvFiles(dir, label, libpq({ ...options, noRootCert: noRootCertIn(dir) })),
    scope(watch) {
      return scopePg(this as PgTarget, watch);
    },
    close: () => admin.end(),
  };
}
