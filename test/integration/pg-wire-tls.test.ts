// sslmode in every spelling against a real private server with ssl=on and a certificate from a private CA (made here
// with openssl), with libpq's meanings: disable, allow (plain, TLS when refused), prefer (TLS, plain when refused),
// require (no verification unless a root cert is given), verify-ca, verify-full, and node-postgres's no-verify.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WireConnection } from '../../src/targets/pg/wire/connection.js';
import { bindText, EXECUTE, SYNC } from '../../src/targets/pg/wire/messages.js';
import { wireOptions } from '../../src/targets/pg/wire/options.js';
import { TEST_PG_URL } from '../helpers/pg.js';
import { startTlsServer, type TlsServer } from '../helpers/tls-server.js';

let tls: TlsServer;
let server: TlsServer['server'];
let ca: string;
let otherCa: string;

beforeAll(async () => {
  tls = await startTlsServer();
  ({ server, ca, otherCa } = tls);
}, 60_000);

afterAll(async () => {
  await tls?.stop();
});

const url = (user: string, query: string, host = '127.0.0.1', port = server.port) => `postgres://${user}@${host}:${port}/postgres?${query}`;

/** Connects and asks the server whether this session runs over TLS (pg_stat_ssl), beside what the client believes. */
async function ssl(u: string): Promise<'tls' | 'plain'> {
  const conn = await WireConnection.connect(wireOptions(u, { connectTimeoutMs: 5000 }));
  try {
    await conn.prepare('ssl', 'SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    const [[onServer]] = (await conn.query(Buffer.concat([bindText('ssl', []), EXECUTE, SYNC]))) as [[string]];
    expect(onServer === 'true').toBe(conn.tls);
    return conn.tls ? 'tls' : 'plain';
  } finally {
    await conn.close();
  }
}

describe('sslmode against a private server with ssl=on', () => {
  it('disable: never TLS (a hostssl-only role is refused)', async () => {
    expect(await ssl(url('postgres', 'sslmode=disable'))).toBe('plain');
    await expect(ssl(url('tls_only', 'sslmode=disable'))).rejects.toMatchObject({ code: '28000' });
  });

  it('allow: plain first, TLS when the server refuses the plain login', async () => {
    expect(await ssl(url('postgres', 'sslmode=allow'))).toBe('plain');
    expect(await ssl(url('tls_only', 'sslmode=allow'))).toBe('tls');
    expect(await ssl(url('plain_only', 'sslmode=allow'))).toBe('plain');
  });

  it('prefer: TLS when offered, plain when the server refuses the TLS login or speaks no TLS; nothing verified', async () => {
    expect(await ssl(url('postgres', 'sslmode=prefer'))).toBe('tls');
    expect(await ssl(url('plain_only', 'sslmode=prefer'))).toBe('plain');
    expect(await ssl(url('tls_only', 'sslmode=prefer'))).toBe('tls');
    const noTls = new URL(TEST_PG_URL); // the shared server runs without ssl
    expect(await ssl(url(noTls.username || 'postgres', 'sslmode=prefer', noTls.hostname, Number(noTls.port || 5432)))).toBe('plain');
  });

  it('require: TLS or nothing, unverified without a root cert, the chain verified with one (libpq)', async () => {
    expect(await ssl(url('postgres', 'sslmode=require'))).toBe('tls'); // a CA nobody gave, a name not in the certificate
    expect(await ssl(url('postgres', `sslmode=require&sslrootcert=${encodeURIComponent(ca)}`))).toBe('tls');
    await expect(ssl(url('postgres', `sslmode=require&sslrootcert=${encodeURIComponent(otherCa)}`))).rejects.toThrow(/certificate|self[- ]signed|issuer/i);
    await expect(ssl(url('plain_only', 'sslmode=require'))).rejects.toMatchObject({ code: '28000' });
    const noTls = new URL(TEST_PG_URL);
    await expect(ssl(url(noTls.username || 'postgres', 'sslmode=require', noTls.hostname, Number(noTls.port || 5432)))).rejects.toThrow(/does not accept TLS/);
  });

  it('no-verify (node-postgres): TLS, never verified, even with a root cert that does not match', async () => {
    expect(await ssl(url('postgres', 'sslmode=no-verify'))).toBe('tls');
    expect(await ssl(url('postgres', `sslmode=no-verify&sslrootcert=${encodeURIComponent(otherCa)}`))).toBe('tls');
  });

  it('verify-ca: the chain only (any host name); an unknown CA is refused', async () => {
    expect(await ssl(url('postgres', `sslmode=verify-ca&sslrootcert=${encodeURIComponent(ca)}`))).toBe('tls');
    await expect(ssl(url('postgres', `sslmode=verify-ca&sslrootcert=${encodeURIComponent(otherCa)}`))).rejects.toThrow(/certificate|issuer/i);
    await expect(ssl(url('postgres', 'sslmode=verify-ca'))).rejects.toThrow(/needs a root certificate/); // libpq refuses to verify with none
    await expect(ssl(url('postgres', 'sslmode=verify-ca&sslrootcert=system'))).rejects.toThrow(/certificate|issuer/i); // the system's CAs do not know ours
  });

  it('verify-full: the chain and the host name', async () => {
    expect(await ssl(url('postgres', `sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`, 'localhost'))).toBe('tls');
    await expect(ssl(url('postgres', `sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`))).rejects.toThrow(/IP: 127\.0\.0\.1 is not in the cert's list|altnames/);
    await expect(ssl(url('postgres', `sslmode=verify-full&sslrootcert=${encodeURIComponent(otherCa)}`, 'localhost'))).rejects.toThrow(/certificate|issuer/i);
  });

  it('an sslmode that is none of these is refused by name', () => {
    expect(() => wireOptions(url('postgres', 'sslmode=verify'))).toThrow(/sslmode=verify is not one of disable, allow, prefer, require, verify-ca, verify-full, no-verify/);
  });
});
