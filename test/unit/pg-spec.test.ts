// The one parse of a postgres:// URL (src/targets/pg/spec.ts): libpq's environment fallbacks and default files, the
// settings it refuses by name, and what the driver config and libpq settings derived from it carry.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePgUrl } from '../../src/targets/pg/spec.js';
import { driverConfig, driverSsl, libpqSettings } from '../../src/targets/pg/spec-clients.js';

const home = mkdtempSync(path.join(os.tmpdir(), 'stackprobe-t-spec-'));
const empty = mkdtempSync(path.join(os.tmpdir(), 'stackprobe-t-spec-empty-'));
mkdirSync(path.join(home, '.postgresql'));
const PEM = '-----BEGIN CERTIFICATE-----\nnot parsed here\n-----END CERTIFICATE-----\n';
writeFileSync(path.join(home, '.postgresql', 'root.crt'), PEM);
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
});

describe('parsePgUrl', () => {
  it('takes the URL first, then libpq\'s variables', () => {
    const env = { HOME: empty, PGHOST: 'envhost', PGPORT: '6543', PGUSER: 'envuser', PGPASSWORD: 'envpw', PGDATABASE: 'envdb', PGSSLMODE: 'require' };
    expect(parsePgUrl('postgres:///', env)).toMatchObject({ host: 'envhost', port: 6543, user: 'envuser', password: 'envpw', database: 'envdb', sslmode: 'require', verify: 'none' });
    expect(parsePgUrl('postgres://u:p%40w@h:5433/d?sslmode=disable', env)).toMatchObject({ host: 'h', port: 5433, user: 'u', password: 'p@w', database: 'd', sslmode: 'disable' });
    // No sslmode anywhere: disable, as node-postgres (docs/connections.md).
    expect(parsePgUrl('postgres://u@h/d', { HOME: empty }).sslmode).toBe('disable');
    expect(parsePgUrl('postgres://u@h/d?ssl=true', { HOME: empty }).sslmode).toBe('require');
  });

  it('finds ~/.postgresql/root.crt as libpq does: require then verifies the chain; no-verify never uses it', () => {
    const withRoot = parsePgUrl('postgres://u@h/d?sslmode=require', { HOME: home });
    expect(withRoot).toMatchObject({ verify: 'chain', sslrootcert: path.join(home, '.postgresql', 'root.crt') });
    expect(parsePgUrl('postgres://u@h/d?sslmode=require', { HOME: empty })).toMatchObject({ verify: 'none' });
    expect(parsePgUrl('postgres://u@h/d?sslmode=no-verify', { HOME: home })).toMatchObject({ sslmode: 'require', sslmodeSpelled: 'no-verify', verify: 'none' });
    expect(parsePgUrl('postgres://u@h/d?sslmode=no-verify', { HOME: home }).sslrootcert).toBeUndefined();
    expect(parsePgUrl('postgres://u@h/d?sslmode=verify-ca', { HOME: home }).verify).toBe('chain');
  });

  it('refuses by name what libpq refuses', () => {
    const env = { HOME: empty };
    expect(() => parsePgUrl('postgres://u@h/d?sslmode=verify-full', env)).toThrow(/sslmode=verify-full needs a root certificate/);
    expect(() => parsePgUrl('postgres://u@h/d?sslmode=strict', env)).toThrow(/sslmode=strict is not one of/);
    expect(() => parsePgUrl('postgres://u@h/d?target_session_attrs=replica', env)).toThrow(/target_session_attrs=replica is not one of/);
    expect(() => parsePgUrl('postgres://u@h/d?connect_timeout=soon', env)).toThrow(/connect_timeout=soon/);
    expect(() => parsePgUrl('mysql://u@h/d', env)).toThrow(/expected a postgres:\/\//);
  });

  it('reads connect_timeout in libpq\'s seconds (1 is 2, 0 leaves the run\'s own), a socket directory, options', () => {
    const env = { HOME: empty };
    expect(parsePgUrl('postgres://u@h/d?connect_timeout=7', env).connectTimeoutMs).toBe(7000);
    expect(parsePgUrl('postgres://u@h/d?connect_timeout=1', env).connectTimeoutMs).toBe(2000);
    expect(parsePgUrl('postgres://u@h/d?connect_timeout=0', env).connectTimeoutMs).toBeUndefined();
    expect(parsePgUrl('postgres://u@/d?host=/var/run/postgresql&sslmode=require', env)).toMatchObject({ host: '/var/run/postgresql', socketDir: '/var/run/postgresql' });
    expect(parsePgUrl('postgres://u@/d', env)).toMatchObject({ host: '127.0.0.1', user: 'u', database: 'd' });
    expect(parsePgUrl('postgres://u@h/d?options=-c%20search_path%3Dapp', env).options).toBe('-c search_path=app');
  });
});

describe('what each client is given', () => {
  it('node-postgres: libpq\'s meaning, not its own (require does not verify; verify-ca skips the name)', () => {
    const spec = (q: string) => parsePgUrl(`postgres://u@db.example/d?${q}`, { HOME: empty });
    expect(driverSsl(spec('sslmode=disable'))).toBe(false);
    expect(driverSsl(spec('sslmode=require'))).toEqual({ rejectUnauthorized: false });
    expect(driverSsl(spec('sslmode=prefer'))).toBe(false); // nothing negotiated: plain
    expect(driverSsl(spec('sslmode=prefer'), true)).toEqual({ rejectUnauthorized: false });
    const root = path.join(home, '.postgresql', 'root.crt');
    const ca = driverSsl(spec(`sslmode=verify-ca&sslrootcert=${root}`)) as { rejectUnauthorized: boolean; checkServerIdentity?: () => undefined; ca: Buffer };
    expect(ca.rejectUnauthorized).toBe(true);
    expect(ca.checkServerIdentity?.()).toBeUndefined();
    expect(ca.ca.toString()).toBe(PEM);
    expect(driverSsl(spec(`sslmode=verify-full&sslrootcert=${root}`))).toMatchObject({ rejectUnauthorized: true, host: 'db.example' });
    const config = driverConfig(spec('sslmode=disable&options=-c%20x%3D1'), { applicationName: 'a', connectTimeoutMs: 3000, startupOptions: '-c y=2' });
    expect(config).toMatchObject({ host: 'db.example', port: 5432, user: 'u', database: 'd', options: '-c x=1 -c y=2', application_name: 'a', connectionTimeoutMillis: 3000 });
    expect(config).not.toHaveProperty('connectionString');
  });

  it('libpq: every setting written out, the password apart', () => {
    const spec = parsePgUrl('postgres://u:pw@h:6000/d?sslmode=require&target_session_attrs=read-write&connect_timeout=3&sslcrl=%2Fcrl.pem', { HOME: empty });
    expect(libpqSettings(spec, { applicationName: 'stackprobe-backup', connectTimeoutMs: 3000 })).toEqual({
      settings: { host: 'h', port: '6000', dbname: 'd', user: 'u', sslmode: 'require', connect_timeout: '3', application_name: 'stackprobe-backup', target_session_attrs: 'read-write', sslcrl: '/crl.pem' },
      password: 'pw',
    });
  });
});
