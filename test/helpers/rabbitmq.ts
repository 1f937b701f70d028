// Test helper: a private RabbitMQ node (its own node name, AMQP and distribution ports, data and cookie in a temp dir)
// with the management plugin on 127.0.0.1:15672, where stackprobe looks for it beside a broker URL. stop() stops the
// node and removes the dir, whatever state it is in.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sleep } from '../../src/exec/timeout.js';
import { freePort } from '../../src/targets/embedded/free-port.js';

const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
export const MANAGEMENT_PORT = 15672;
const GUEST = `Basic ${Buffer.from('guest:guest').toString('base64')}`;

export interface PrivateRabbit {
  /** amqp://guest:guest@127.0.0.1:<port>/ (guest may log in from loopback only, which this is). */
  url: string;
  /** Calls the management API as guest (an administrator); rejects on a status other than 2xx. */
  api(method: string, pathname: string, body?: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    void err; // ESRCH: gone
    return false;
  }
};

async function api(method: string, pathname: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${MANAGEMENT_PORT}${pathname}`, {
    method, headers: { authorization: GUEST, 'content-type': 'application/json' }, signal: AbortSignal.timeout(5000),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${pathname}: HTTP ${res.status} ${await res.text()}`);
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

export async function startPrivateRabbit(timeoutMs = 120_000): Promise<PrivateRabbit> {
  const taken = await fetch(`http://127.0.0.1:${MANAGEMENT_PORT}/`, { signal: AbortSignal.timeout(2000) }).then(() => true, () => false);
  if (taken) throw new Error(`port ${MANAGEMENT_PORT} is taken: the private RabbitMQ's management listener needs it`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-test-rabbit-'));
  const [port, dist] = [await freePort(), await freePort()];
  await writeFile(path.join(dir, 'enabled_plugins'), '[rabbitmq_management].\n');
  await writeFile(path.join(dir, 'rabbitmq.conf'), [
    `listeners.tcp.default = ${port}`, `management.tcp.port = ${MANAGEMENT_PORT}`, 'management.tcp.ip = 127.0.0.1',
    // Queue figures reach the management API every 500 ms instead of every 5 s.
    'collect_statistics_interval = 500', '',
  ].join('\n'));
  await writeFile(path.join(dir, '.erlang.cookie'), randomBytes(16).toString('hex'), { mode: 0o600 });
  const child: ChildProcess = spawn(SERVER, [], {
    stdio: 'ignore',
    env: {
      PATH: '/usr/sbin:/usr/bin:/bin', HOME: dir, RABBITMQ_NODENAME: `sptest${port}@localhost`, RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(port), RABBITMQ_DIST_PORT: String(dist), RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(dir, 'log'), RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
      RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq'), RABBITMQ_PID_FILE: path.join(dir, 'pid'),
    },
  });
  const stop = async () => {
    // The Erlang VM is the launcher's child: stop it by its pid file, then the launcher ends too.
    const pid = Number((await readFile(path.join(dir, 'pid'), 'utf8').catch(() => '')).trim());
    if (pid > 0 && alive(pid)) {
      process.kill(pid, 'SIGTERM');
      const deadline = performance.now() + 20_000;
      while (alive(pid) && performance.now() < deadline) await sleep(200);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`rabbitmq-server exited (${child.exitCode}) before its management API answered`);
      if (await api('GET', '/api/overview').then(() => true, () => false)) break;
      if (performance.now() > deadline) throw new Error(`the private RabbitMQ did not answer within ${timeoutMs} ms`);
      await sleep(500);
    }
    return { url: `amqp://guest:guest@127.0.0.1:${port}/`, api, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
