// One meaning of sslmode for every kind of connection of a run: for each mode, against a private server with ssl=on and
// a certificate from a private CA, the driver pool (openPg, createPool), the measuring wire session (MeasureSession)
// and a child tool (psql through the target's libpq files) connect the same way (TLS or plain, as the server sees it
// in pg_stat_ssl) or are refused for the same reason; and where the URL is libpq's own, psql given the URL itself
// (libpq's meaning, no stackprobe in between) agrees with them.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libpqEnvFiles, noRootCertIn } from '../../src/targets/pg/libpq-files.js';
import { parsePgUrl } from '../../src/targets/pg/spec.js';
import { libpqSettings } from '../../src/targets/pg/spec-clients.js';
import { openPg, type PgTarget } from '../../src/targets/pg/target.js';
import { MeasureSession, type SessionTarget } from '../../src/targets/pg/wire/session.js';
import { redactUrl } from '../../src/util/redact.js';
import { startTlsServer, type TlsServer } from '../helpers/tls-server.js';

const PSQL = process.env.STACKPROBE_TEST_PSQL ?? '/usr/bin/psql';
const SSL_SQL = 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()';
const timeouts = { connectMs: 5000, operationMs: 5000 };

let tls: TlsServer;
let home: string;
let files: string;
let n = 0;

beforeAll(async () => {
  tls = await startTlsServer();
  // The child tools' home: no ~/.postgresql, no ~/.pgpass of the machine's user.
  home = mkdtempSync(path.join(os.tmpdir(), 'stackprobe-t-home-'));
  files = mkdtempSync(path.join(os.tmpdir(), 'stackprobe-t-libpq-'));
}, 60_000);

afterAll(async () => {
  await tls?.stop();
  for (const d of [home, files]) if (d) rmSync(d, { recursive: true, force: true });
});

type Outcome = 'tls' | 'plain' | `refused: ${string}`;

/** The reason of a refusal in words common to libpq, node-postgres and the wire client (their messages differ). */
function reason(message: string): Outcome {
  if (/pg_hba\.conf rejects/.test(message)) return 'refused: pg_hba.conf';
  if (/needs a root certificate|root certificate file .* does not exist/.test(message)) return 'refused: no root certificate';
  if (/does not match host name|does not match certificate's altnames/.test(message)) return 'refused: host name';
  if (/certificate verify failed|unable to verify|self[- ]signed|unable to get (local )?issuer/i.test(message)) return 'refused: certificate not trusted';
  return `refused: ${message}`;
}

const sslOf = (v: unknown): Outcome => (v === true || v === 't' || v === 'true' ? 'tls' : 'plain');

async function viaPool(target: PgTarget | Error): Promise<Outcome> {
  if (target instanceof Error) return reason(target.message);
  const pool = target.createPool({ max: 1, applicationName: 'stackprobe-t-conn-pool' });
  try {
    return sslOf((await pool.query<{ ssl: boolean }>(SSL_SQL)).rows[0]!.ssl);
  } catch (err) {
    return reason((err as Error).message);
  } finally {
    await pool.end();
  }
}

async function viaWire(target: SessionTarget): Promise<Outcome> {
  let s: MeasureSession;
  try {
    s = await MeasureSession.open(target, { applicationName: 'stackprobe-t-conn-wire', statementTimeoutMs: 5000 });
  } catch (err) {
    return reason((err as Error).message);
  }
  try {
    await s.prepare('ssl', SSL_SQL);
    return sslOf((await s.rows(s.request('ssl', [])))[0]![0]);
  } finally {
    await s.close();
  }
}

function psql(env: Record<string, string>, args: string[] = []): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(PSQL, ['-X', '-A', '-t', '-c', SSL_SQL, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...env }, timeout: 15_000 }, (err, stdout, stderr) => {
      resolve(err ? reason(stderr || err.message) : sslOf(stdout.trim()));
    });
  });
}

/** psql through the private service file and passfile a check's child tools get (the target's when it opened). */
async function viaChildTool(target: PgTarget | Error, url: string): Promise<Outcome> {
  const dir = mkdtempSync(path.join(files, 'run-'));
  try {
    let env: Record<string, string>;
    try {
      const label = `t${n++}`;
      env = target instanceof Error
        ? await libpqEnvFiles(dir, label, libpqSettings(parsePgUrl(url), { applicationName: 'stackprobe-t-conn-tool', connectTimeoutMs: 5000, noRootCert: noRootCertIn(dir) }))
        : await target.libpqEnv(dir, label, { applicationName: 'stackprobe-t-conn-tool' });
    } catch (err) {
      return reason((err as Error).message);
    }
    return await psql(env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function outcomes(url: string): Promise<{ pool: Outcome; wire: Outcome; tool: Outcome }> {
  const target = await openPg(url, timeouts).catch((err: Error) => new Error(err.message.replace(redactUrl(url), '')));
  try {
    const wire = await viaWire(target instanceof Error ? { url, timeouts } : target);
    return { pool: await viaPool(target), wire, tool: await viaChildTool(target, url) };
  } finally {
    if (!(target instanceof Error)) await target.close();
  }
}

const url = (user: string, query: string, host: string) => `postgres://${user}@${host}:${tls.server.port}/postgres${query ? `?${query}` : ''}`;
const root = (which: 'ca' | 'otherCa') => `sslrootcert=${encodeURIComponent(tls[which])}`;

/** [user, query, host, expected]; the server's certificate names localhost only. */
const CASES: Array<[string, string, string, Outcome]> = [
  ['postgres', '', '127.0.0.1', 'plain'], // no sslmode: disable (docs/connections.md)
  ['postgres', 'sslmode=disable', '127.0.0.1', 'plain'],
  ['tls_only', 'sslmode=disable', '127.0.0.1', 'refused: pg_hba.conf'],
  ['postgres', 'sslmode=allow', '127.0.0.1', 'plain'],
  ['tls_only', 'sslmode=allow', '127.0.0.1', 'tls'],
  ['postgres', 'sslmode=prefer', '127.0.0.1', 'tls'],
  ['plain_only', 'sslmode=prefer', '127.0.0.1', 'plain'],
  ['postgres', 'sslmode=require', '127.0.0.1', 'tls'],
  ['plain_only', 'sslmode=require', '127.0.0.1', 'refused: pg_hba.conf'],
  ['postgres', 'sslmode=require&ROOT=ca', '127.0.0.1', 'tls'],
  ['postgres', 'sslmode=require&ROOT=otherCa', '127.0.0.1', 'refused: certificate not trusted'],
  ['postgres', 'sslmode=verify-ca&ROOT=ca', '127.0.0.1', 'tls'],
  ['postgres', 'sslmode=verify-ca&ROOT=otherCa', '127.0.0.1', 'refused: certificate not trusted'],
  ['postgres', 'sslmode=verify-ca', '127.0.0.1', 'refused: no root certificate'],
  ['postgres', 'sslmode=verify-full&ROOT=ca', 'localhost', 'tls'],
  ['postgres', 'sslmode=verify-full&ROOT=ca', '127.0.0.1', 'refused: host name'],
  ['postgres', 'sslmode=verify-full&ROOT=otherCa', 'localhost', 'refused: certificate not trusted'],
  ['postgres', 'sslmode=no-verify', '127.0.0.1', 'tls'],
  ['postgres', 'sslmode=no-verify&ROOT=otherCa', '127.0.0.1', 'tls'],
];

describe('every kind of connection of a run reads sslmode the same way', () => {
  it.each(CASES)('%s with "%s" on %s: %s', async (user, query, host, expected) => {
    const u = url(user, query.replace(/ROOT=(ca|otherCa)/, (_, w: 'ca' | 'otherCa') => root(w)), host);
    expect(await outcomes(u)).toEqual({ pool: expected, wire: expected, tool: expected });
    // libpq itself, given the URL: what the modes mean. Not for the spellings libpq does not have (none, no-verify).
    if (query.startsWith('sslmode=') && !query.includes('no-verify')) expect(await psql({}, ['--dbname', u])).toBe(expected);
  }, 30_000);
});

describe('target_session_attrs', () => {
  it('is checked when the target opens, as libpq checks it: a primary is no standby, and is read-write', async () => {
    const standby = url('postgres', 'sslmode=disable&target_session_attrs=standby', '127.0.0.1');
    await expect(openPg(standby, timeouts)).rejects.toThrow(/not a standby \(pg_is_in_recovery\(\) is false\), as target_session_attrs=standby asks/);
    expect(await psql({}, ['--dbname', standby])).toMatch(/^refused: .*hot standby/s);
    const readWrite = url('postgres', 'sslmode=disable&target_session_attrs=read-write', '127.0.0.1');
    expect(await outcomes(readWrite)).toEqual({ pool: 'plain', wire: 'plain', tool: 'plain' });
    expect(await psql({}, ['--dbname', readWrite])).toBe('plain');
  }, 30_000);
});
