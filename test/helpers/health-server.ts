// Test helper: a private PostgreSQL 15 (Debian's binaries, which ship pg_stat_statements) started with
// shared_preload_libraries = 'pg_stat_statements', run as `nobody` when we are root; stop() removes every file.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { stopServer } from '../../src/targets/embedded/embedded-pg.js';
import { freePort } from '../../src/targets/embedded/free-port.js';
import { ensureTemplate, type Template } from '../../src/targets/embedded/template.js';

export const PG_BIN = process.env.STACKPROBE_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PrivateServer {
  port: number;
  dataDir: string;
  /** A URL for `user` on `db` (trust authentication on loopback: the port is private to the test). */
  url(db?: string, user?: string): string;
  sql<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[], db?: string): Promise<T[]>;
  stop(): Promise<void>;
}

const ids = () => (process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined);

function runToEnd(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...ids(), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} exited ${code}: ${out.slice(-800)}`))));
  });
}

function ready(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`private PostgreSQL not ready in ${ms} ms: ${log.slice(-500)}`)), ms);
    const onData = (d: Buffer) => {
      log += d.toString();
      if (/ready to accept (read-only )?connections/.test(log)) { clearTimeout(timer); resolve(); }
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`private PostgreSQL exited (${code}): ${log.slice(-500)}`)); });
  });
}

const INITDB_ARGS = ['-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'];
let template: Promise<Template | undefined> | undefined;

/**
 * The data directory every test server starts from, made by initdb once per binaries and server user and kept in the
 * temp folder as the product keeps its own (src/targets/embedded/template.ts, keyed by these initdb arguments, so the
 * two never mix). initdb is most of a start-up: on the 2-core host with the suite running, a start took 1.5–2.2 s
 * with initdb and 0.5–1.1 s from a copy, and a run makes about twenty. None when it cannot be made: then each start
 * runs initdb of its own.
 */
function testTemplate(): Promise<Template | undefined> {
  const initdb = path.join(PG_BIN, 'initdb');
  // Role postgres gets no password (initdb's pwfile is not passed): trust authentication, as a one-off initdb gives.
  template ??= ensureTemplate({ initdb, postgres: path.join(PG_BIN, 'postgres') }, ids(), INITDB_ARGS, randomBytes(18).toString('base64url'),
    (dir) => runToEnd(initdb, ['-D', dir, ...INITDB_ARGS])).catch(() => undefined);
  return template;
}

/**
 * Starts a private server: a copy of the template (else a fresh initdb), or with `replicaOf` a physical replica made by pg_basebackup of that server
 * (standby.signal and primary_conninfo written by -R), streaming from it.
 */
export async function startPrivateServer(settings: Record<string, string> = {}, opts: { replicaOf?: PrivateServer } = {}): Promise<PrivateServer> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-health-'));
  await chmod(root, 0o755);
  const dataDir = path.join(root, 'data');
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child) await stopServer(child);
    await rm(root, { recursive: true, force: true });
  };
  try {
    await mkdir(dataDir, { mode: 0o700 });
    const who = ids();
    if (who) await chown(dataDir, who.uid, who.gid);
    if (opts.replicaOf) {
      await runToEnd(path.join(PG_BIN, 'pg_basebackup'), ['-D', dataDir, '-R', '-X', 'stream', '-c', 'fast', '-h', '127.0.0.1', '-p', String(opts.replicaOf.port), '-U', 'postgres', '--no-sync']);
    } else {
      const from = await testTemplate();
      // As the server's user, so the copy is its own; -a keeps the 0700 modes PostgreSQL insists on.
      if (from) await runToEnd('cp', ['-a', `${from.dataDir}/.`, dataDir]);
      else await runToEnd(path.join(PG_BIN, 'initdb'), ['-D', dataDir, ...INITDB_ARGS]);
    }
    const port = await freePort();
    const all: Record<string, string> = {
      shared_preload_libraries: 'pg_stat_statements', fsync: 'off', full_page_writes: 'off', max_connections: '60',
      'pg_stat_statements.track': 'all', ...settings,
    };
    const args = ['-D', dataDir, '-p', String(port), '-h', '127.0.0.1', '-k', '', ...Object.entries(all).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    child = spawn(path.join(PG_BIN, 'postgres'), args, { ...who, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    child.unref();
    await ready(child, 30_000);
    child.stdout?.resume();
    child.stderr?.resume();
    const url = (db = 'postgres', user = 'postgres') => `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${encodeURIComponent(db)}`;
    return {
      port,
      dataDir,
      url,
      async sql(text, values, db) {
        const c = new pg.Client({ connectionString: url(db), connectionTimeoutMillis: 5000 });
        c.on('error', () => undefined);
        await c.connect();
        try {
          return (await c.query(text, values)).rows;
        } finally {
          await c.end();
        }
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
