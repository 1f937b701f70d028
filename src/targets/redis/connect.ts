// ioredis options from a redis:// or rediss:// URL (TLS, database, Sentinel via ?sentinel=NAME), and connect errors in plain words.
import type { RedisOptions } from 'ioredis';
import { WireConnection, type WireOptions } from './wire/connection.js';
import { ReconnectingWire } from './wire/reconnecting.js';
import { tlsOptions } from './wire/url.js';

export interface RedisConnectOptions {
  connectMs: number;
  /** Bound of one command; a slower one fails with "Command timed out". */
  commandMs: number;
}

/** Connection settings of the measuring path that can cross to a worker thread (no callback). */
export type WireSettings = Omit<WireOptions, 'onLost'>;

declare const OPAQUE: unique symbol;
/**
 * What the measuring path connects from: the URL (with its credentials), the bounds, a Sentinel's master's address.
 * Plain data at run time, so a load worker thread can be handed it; opaque to its holder (a check sees no field of
 * it): only openWire and openReconnectingWire read it, so no check reads a credentialed URL (docs/connections.md).
 */
export interface RedisWireSpec {
  readonly [OPAQUE]: 'redis-wire';
}
interface WireSpecData {
  url: string;
  options: WireSettings;
}
const dataOf = (spec: RedisWireSpec) => spec as unknown as WireSpecData;

export const wireSpec = (url: string, options: WireSettings): RedisWireSpec => ({ url, options }) satisfies WireSpecData as unknown as RedisWireSpec;

/** One connection of the measuring path; the caller closes it. */
export function openWire(spec: RedisWireSpec, onLost?: (reason: Error) => void): Promise<WireConnection> {
  const { url, options } = dataOf(spec);
  return WireConnection.connect(url, { ...options, ...(onLost ? { onLost } : {}) });
}

/** A measuring connection that comes back after a loss (the load's), each loss told to `onLost`; the caller closes it. */
export function openReconnectingWire(spec: RedisWireSpec, onLost: (reason: Error) => void): ReconnectingWire {
  const { url, options } = dataOf(spec);
  return new ReconnectingWire(url, { ...options, onLost });
}

/**
 * `redis://user:pass@host:port/db`; `rediss://` adds TLS (server name checked; `?tls_ca=/path/ca.pem` trusts that CA,
 * `?tls_insecure=true` skips certificate checks for self-signed test servers); `?sentinel=mymaster` treats host:port as a Sentinel and connects
 * to the master it names (the URL's password is the master's; `?sentinel_password=` for the Sentinel itself).
 */
export function redisOptions(url: string, opts: RedisConnectOptions): RedisOptions {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = u.port ? Number(u.port) : u.searchParams.has('sentinel') ? 26379 : 6379;
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`the Redis URL's database "${u.pathname.slice(1)}" is not a number`);
  const base: RedisOptions = {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db,
    connectTimeout: opts.connectMs,
    commandTimeout: opts.commandMs,
    // A command waits for at most one reconnect: a dead server fails commands instead of queueing them forever.
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => (times > 20 ? null : Math.min(times * 100, 1000)),
    lazyConnect: true,
    connectionName: 'stackprobe',
  };
  if (u.protocol === 'rediss:') {
    base.tls = tlsOptions(host, u.searchParams);
  }
  const master = u.searchParams.get('sentinel');
  if (master) {
    const sentinelPassword = u.searchParams.get('sentinel_password');
    return {
      ...base,
      sentinels: [{ host, port }],
      name: master,
      ...(sentinelPassword ? { sentinelPassword } : {}),
      ...(base.tls ? { enableTLSForSentinelMode: true, sentinelTLS: base.tls } : {}),
      sentinelRetryStrategy: (times) => (times > 3 ? null : 200),
    };
  }
  return { ...base, host, port };
}

/** A connection failure in plain words, without credentials. */
export function describeRedisError(err: unknown, redacted: string, opts: RedisConnectOptions): string {
  const e = err as { code?: string; message?: string };
  const msg = e.message ?? String(err);
  const where = `Redis at ${redacted}`;
  if ((err as Error).name === 'RedisDatabaseRefused') return `cannot use ${where}: ${msg}`;
  if (e.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(msg)) return `cannot connect to ${where}: connection refused (is the server running and listening there?)`;
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' || /ENOTFOUND|EAI_AGAIN/.test(msg)) return `cannot connect to ${where}: host not found`;
  if (/WRONGPASS|invalid password|invalid username-password/i.test(msg)) return `cannot log in to ${where}: wrong user name or password (WRONGPASS)`;
  if (/NOAUTH/i.test(msg)) return `cannot log in to ${where}: the server requires a password and the URL has none (NOAUTH)`;
  if (/timed? ?out|ETIMEDOUT/i.test(msg)) return `cannot connect to ${where}: no answer within ${opts.connectMs} ms`;
  if (/certificate|SSL|TLS|EPROTO/i.test(msg)) return `cannot connect to ${where}: TLS failed: ${msg}`;
  return `cannot connect to ${where}: ${msg}`;
}
