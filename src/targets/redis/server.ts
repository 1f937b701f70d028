// Starts a private redis-server for a run or a test: free loopback port, random password, no persistence, a temp dir
// that is removed on stop(); a failed start stops the process and removes the dir too. The dir records its owner, so
// the next start reaps a server whose stackprobe was killed outright (as the embedded PostgreSQL does).
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnChild } from '../../util/child.js';
import { freePort } from '../embedded/free-port.js';
import { claim, reapOrphans } from '../embedded/reap.js';

const PREFIX = 'stackprobe-redis-';
/** Written by us right after the spawn: the reaper of a later run reads the server's pid from it. */
const PID_FILE = 'redis.pid';
const CONFIG_FILE = 'redis.conf';

export interface PrivateRedis {
  /** With the password: never print it (use redactUrl). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** Extra `--name value` arguments, e.g. `['--maxmemory', '2mb']`. */
  args?: string[];
  startTimeoutMs?: number;
  /** Path of the binary; default `redis-server` found on PATH. */
  binary?: string;
}

/** The redis-server on PATH, or undefined when there is none. */
export async function findRedisServer(envPath = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'redis-server');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch (err) {
      // Not in this directory (or not executable): keep looking along PATH.
      void err;
    }
  }
  return undefined;
}

function waitReady(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within ${timeoutMs} ms: ${log.slice(-400)}`)), timeoutMs);
    const onData = (d: Buffer) => {
      log += d.toString();
      if (/Ready to accept connections/i.test(log)) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited early (code ${code}): ${log.trim().slice(-400)}`));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM'); // no persistence configured: shutdown is immediate
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function startOnce(binary: string, dir: string, opts: PrivateRedisOptions): Promise<PrivateRedis> {
  const port = await freePort();
  const password = randomBytes(18).toString('base64url');
  // Settings go in a private file, not argv: the password stays off the command line, and the process title names the
  // file (so its directory), which is how a reaper tells this server from an unrelated process that got its pid.
  const configFile = path.join(dir, CONFIG_FILE);
  const settings = [
    `port ${port}`, 'bind 127.0.0.1', `dir "${dir}"`, 'save ""', 'appendonly no', 'daemonize no', 'logfile ""',
    `requirepass ${password}`, 'proc-title-template "{title} {listen-addr} {config-file}"',
  ];
  await writeFile(configFile, `${settings.join('\n')}\n`, { mode: 0o600 });
  const child = spawnChild(binary, [configFile, ...(opts.args ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid !== undefined) await writeFile(path.join(dir, PID_FILE), `${child.pid}\n`);
  // Not ref-counted: the run stops it explicitly (also on Ctrl-C); an idle server must not keep Node alive.
  child.unref();
  try {
    await waitReady(child, opts.startTimeoutMs ?? 10_000);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  child.stdout?.resume();
  child.stderr?.resume();
  return { url: `redis://:${password}@127.0.0.1:${port}`, port, stop: () => stopChild(child) };
}

export async function startPrivateRedis(opts: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const binary = opts.binary ?? (await findRedisServer());
  if (!binary) throw new Error('no redis-server on PATH');
  // Servers of stackprobes that were SIGKILLed (no chance to stop them) are stopped and removed first.
  await reapOrphans(PREFIX, (d) => path.join(d, PID_FILE));
  const dir = await mkdtemp(path.join(os.tmpdir(), PREFIX));
  await claim(dir);
  let lastError: unknown;
  // The free port can be taken between finding it and binding it; a second try with a new port covers that race.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const server = await startOnce(binary, dir, opts);
      return {
        ...server,
        stop: async () => {
          try {
            await server.stop();
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      };
    } catch (err) {
      lastError = err;
      if (!/address already in use/i.test(String(err))) break;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
