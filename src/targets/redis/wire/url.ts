// What a redis:// or rediss:// URL asks of a connection: address, TLS (CA file, self-signed), credentials, database.
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { MAX_CERT_BYTES, readBoundedFileSync } from '../../../util/read-bounded.js';

export interface RedisEndpoint {
  host: string;
  port: number;
  /** ACL user (AUTH user password); absent: AUTH password alone, or no AUTH. */
  username?: string;
  password?: string;
  db: number;
  /** TLS options when the URL is rediss://. */
  tls?: ConnectionOptions;
}

/**
 * `redis[s]://[user[:password]@]host[:port][/db]`. rediss:// checks the server's certificate and name against the
 * system CAs, or against the CA file of `?tls_ca=/path/ca.pem`; `?tls_insecure=true` skips the check (self-signed
 * test servers). The CA file is read here, so a missing one is a config error before anything connects.
 */
export function parseRedisUrl(url: string): RedisEndpoint {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`a Redis URL starts with redis:// or rediss://, not ${u.protocol}//`);
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`the Redis URL's database "${u.pathname.slice(1)}" is not a number`);
  const endpoint: RedisEndpoint = { host, port: u.port ? Number(u.port) : 6379, db };
  if (u.username) endpoint.username = decodeURIComponent(u.username);
  if (u.password) endpoint.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') endpoint.tls = tlsOptions(host, u.searchParams);
  return endpoint;
}

export function tlsOptions(host: string, params: URLSearchParams): ConnectionOptions {
  // SNI takes a name, never an address; the certificate is still checked against an address (its IP SANs).
  const tls: ConnectionOptions = isIP(host) ? {} : { servername: host };
  const ca = params.get('tls_ca');
  if (ca) {
    tls.ca = readBoundedFileSync(ca, `the Redis URL's tls_ca file ${ca}`, MAX_CERT_BYTES);
  }
  if (params.get('tls_insecure') === 'true') tls.rejectUnauthorized = false;
  return tls;
}
