// Test helper: Debian's pgbouncer on a free loopback port in front of the local PostgreSQL, in a temp dir, removed afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { waitFor } from '../../src/exec/timeout.js';
import { freePort } from '../../src/targets/embedded/free-port.js';

export const PGBOUNCER_BIN = process.env.STACKPROBE_PGBOUNCER ?? '/usr/sbin/pgbouncer';
/** pgbouncer refuses to run as root: as root the helper runs it as nobody. */
const NOBODY = 65534;
export const PGBOUNCER_PASSWORD = 'bouncer-secret-7';

export interface PgBouncerOptions {
  poolMode?: 'session' | 'transaction' | 'statement';
  defaultPoolSize?: number;
  /** Users allowed on the admin console (stats_users); default postgres. */
  statsUsers?: string[];
  /** Backend server; default the local PostgreSQL. */
  serverPort?: number;
  /** PgBouncer's default: refuse `statement_timeout` as a startup parameter (stackprobe must cope). */
  refuseStatementTimeout?: boolean;
}

export interface TestPgBouncer {
  port: number;
  /** URL of `db` through PgBouncer, as user postgres with the userlist's password. */
  url(db: string, user?: string): string;
  adminUrl(user?: string): string;
  /** Stops PgBouncer (idempotent) and removes its directory. */
  stop(): Promise<void>;
  /** Output PgBouncer wrote, for failing assertions. */
  log(): string;
}

function ini(dir: string, port: number, o: PgBouncerOptions): string {
  return [
    '[databases]',
    `* = host=127.0.0.1 port=${o.serverPort ?? 5432}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = md5',
    `auth_file = ${path.join(dir, 'userlist.txt')}`,
    'admin_users = postgres',
    `stats_users = ${(o.statsUsers ?? ['postgres']).join(',')}`,
    `pool_mode = ${o.poolMode ?? 'transaction'}`,
    `default_pool_size = ${o.defaultPoolSize ?? 5}`,
    'max_client_conn = 500',
    // node-postgres sends statement_timeout in the startup packet; PgBouncer rejects unknown startup parameters.
    `ignore_startup_parameters = extra_float_digits${o.refuseStatementTimeout ? '' : ',statement_timeout'}`,
    `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
    'logfile =',
    'log_connections = 0',
    'log_disconnections = 0',
    '',
  ].join('\n');
}

export async function startPgBouncer(o: PgBouncerOptions = {}): Promise<TestPgBouncer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'stackprobe-pgbouncer-'));
  const port = await freePort();
  const users = ['postgres', ...(o.statsUsers ?? [])];
  await writeFile(path.join(dir, 'userlist.txt'), users.map((u) => `"${u}" "${PGBOUNCER_PASSWORD}"\n`).join(''));
  await writeFile(path.join(dir, 'pgbouncer.ini'), ini(dir, port, o));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await chmod(dir, 0o777);
  let output = '';
  const child: ChildProcess = spawn(PGBOUNCER_BIN, [path.join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  child.stdout?.on('data', (d: Buffer) => void (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => void (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  const url = (db: string, user = 'postgres') => `postgres://${user}:${PGBOUNCER_PASSWORD}@127.0.0.1:${port}/${db}`;
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`pgbouncer exited with ${child.exitCode}: ${output}`);
      const c = new pg.Client({ connectionString: url('pgbouncer'), connectionTimeoutMillis: 1000 });
      c.on('error', () => undefined);
      try {
        await c.connect();
        await c.query('SHOW VERSION');
        return true;
      } catch (err) {
        void err; // not listening yet: poll again
        return false;
      } finally {
        await c.end().catch(() => undefined);
      }
    }, 10_000, 'pgbouncer to accept connections', 50);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, url, adminUrl: (user) => url('pgbouncer', user), stop, log: () => output };
}
