// sslmode decisions of the measuring path, unit by unit (the real TLS server is in test/integration/pg-wire-tls.test.ts):
// what each spelling means for TLS and verification, and prefer's second attempt after a failed TLS handshake.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WireConnection } from '../../src/targets/pg/wire/connection.js';
import { wireOptions } from '../../src/targets/pg/wire/options.js';
import { LOGGED_IN, startFakeServer, type FakeServer } from '../helpers/pg-fake-server.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'stackprobe-wire-options-'));
const cert = path.join(dir, 'root.crt');
writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nnot read by these tests\n-----END CERTIFICATE-----\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mode = (query: string) => {
  const o = wireOptions(`postgres://u@db.example/app?${query}`);
  return { sslmode: o.sslmode, ca: o.ca !== undefined };
};

describe('sslmode spellings', () => {
  it('keeps libpq\'s modes; require with a root cert is verify-ca; no-verify is require that never verifies, root cert or not', () => {
    for (const m of ['disable', 'allow', 'prefer', 'require']) expect(mode(`sslmode=${m}`)).toEqual({ sslmode: m, ca: false });
    for (const m of ['verify-ca', 'verify-full']) {
      expect(mode(`sslmode=${m}&sslrootcert=${cert}`)).toEqual({ sslmode: m, ca: true });
      // libpq refuses to verify with no root certificate; sslrootcert=system names the system's CAs.
      expect(() => mode(`sslmode=${m}`)).toThrow(new RegExp(`sslmode=${m} needs a root certificate`));
      expect(mode(`sslmode=${m}&sslrootcert=system`)).toEqual({ sslmode: m, ca: false });
    }
    expect(mode(`sslmode=require&sslrootcert=${cert}`)).toEqual({ sslmode: 'verify-ca', ca: true });
    expect(mode(`sslmode=verify-full&sslrootcert=${cert}`)).toEqual({ sslmode: 'verify-full', ca: true });
    expect(mode('sslmode=no-verify')).toEqual({ sslmode: 'require', ca: false });
    expect(mode(`sslmode=no-verify&sslrootcert=${cert}`)).toEqual({ sslmode: 'require', ca: false });
    expect(mode('sslmode=require&sslrootcert=system')).toEqual({ sslmode: 'verify-ca', ca: false }); // the system's CAs
    expect(() => mode('sslmode=Require')).toThrow(/sslmode=Require is not one of/);
  });
});

describe('prefer after a failed TLS handshake', () => {
  let server: FakeServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('prefer connects again without TLS (as libpq); require fails with the TLS error', async () => {
    const attempts: string[] = [];
    server = await startFakeServer(async (peer) => {
      // The server agrees to TLS, then answers the ClientHello with bytes that are not TLS.
      peer.sslAnswer = Buffer.from('Snot a TLS record\n');
      const startup = await peer.next();
      if (!startup) return void attempts.push('tls failed');
      attempts.push('plain');
      peer.send(LOGGED_IN);
      await peer.exchange();
    });
    const url = (m: string) => server!.url().replace('sslmode=disable', `sslmode=${m}`);
    const conn = await WireConnection.connect(wireOptions(url('prefer'), { connectTimeoutMs: 3000 }));
    expect(conn.tls).toBe(false);
    await conn.close();
    await expect(WireConnection.connect(wireOptions(url('require'), { connectTimeoutMs: 3000 }))).rejects.toThrow(/wrong version number|packet length too long|ssl|tls/i);
    await expect.poll(() => attempts).toEqual(['tls failed', 'plain', 'tls failed']);
  });
});
