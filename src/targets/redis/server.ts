// Starts a private redis-server for a run or a test: free loopback port, random password, no persistence, a temp dir
// that is removed on stop(); a failed start stops the process and removes the dir too.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../embedded/free-port.js';

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
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
    '--daemonize', 'no', '--logfile', '', '--requirepass', password, ...(opts.args ?? []),
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-redis-'));
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
