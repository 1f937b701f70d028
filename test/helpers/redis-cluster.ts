// Test helper: a private Redis Cluster of `masters` redis-servers on free loopback ports (one password, no persistence),
// joined with `redis-cli --cluster create`, in one temp dir that stop() removes with the servers, whatever state they are in.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { sleep } from '../../src/exec/timeout.js';
import { freePort } from '../../src/targets/embedded/free-port.js';

export interface PrivateCluster {
  /** URL of the first node, with the password: never print it. */
  url: string;
  ports: number[];
  dir: string;
  /** A plain client of one node (keys of other slots are refused with MOVED); closed by stop(). */
  node(port: number): Redis;
  /** Stops every server and removes the dir; safe to call twice and after a failed start. */
  stop(): Promise<void>;
}

function waitReady(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within ${timeoutMs} ms: ${log.slice(-300)}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      log += d.toString();
      if (/Ready to accept connections/i.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (code ${code}): ${log.slice(-300)}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function runCli(args: string[], password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // The password goes in the environment redis-cli reads, not on its command line.
    const child = spawn('redis-cli', args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', REDISCLI_AUTH: password }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`redis-cli ${args[0]} exited ${code}: ${out.slice(-500)}`))));
  });
}

/** Starts `masters` cluster-enabled servers, creates the cluster (no replicas) and waits until every node says cluster_state:ok. */
export async function startPrivateCluster(masters = 3, timeoutMs = 30_000): Promise<PrivateCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-test-cluster-'));
  const password = randomBytes(12).toString('hex');
  const children: ChildProcess[] = [];
  const clients: Redis[] = [];
  const ports: number[] = [];
  const stop = async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(children.map(stopChild));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      const busPort = await freePort();
      const nodeDir = path.join(dir, String(port));
      await mkdir(nodeDir);
      const conf = path.join(nodeDir, 'redis.conf');
      await writeFile(conf, [
        `port ${port}`, `cluster-port ${busPort}`, 'bind 127.0.0.1', `dir "${nodeDir}"`, 'save ""', 'appendonly no', 'daemonize no',
        'logfile ""', 'cluster-enabled yes', 'cluster-config-file nodes.conf', `requirepass ${password}`, `masterauth ${password}`,
      ].join('\n'), { mode: 0o600 });
      const child = spawn('redis-server', [conf], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      await waitReady(child, 10_000);
      child.stdout?.resume();
      child.stderr?.resume();
      ports.push(port);
    }
    await runCli(['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], password);
    const node = (port: number) => {
      const c = new Redis({ host: '127.0.0.1', port, password, maxRetriesPerRequest: 1 });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    };
    const all = ports.map(node);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(all.map(async (c) => /cluster_state:ok/.test(String(await c.call('CLUSTER', 'INFO')))
        && (String(await c.call('CLUSTER', 'NODES')).match(/master/g) ?? []).length === masters));
      if (states.every(Boolean)) break;
      if (performance.now() > deadline) throw new Error(`the cluster did not reach cluster_state:ok within ${timeoutMs} ms`);
      await sleep(100);
    }
    return { url: `redis://:${password}@127.0.0.1:${ports[0]}`, ports, dir, node, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
