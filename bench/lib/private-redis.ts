// A private redis-server on a free port for figure 2, so both tools write only into a server the harness removes.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { waitFor } from '../../src/exec/timeout.js';
import { WireConnection } from '../../src/targets/redis/wire/connection.js';

export interface PrivateRedis {
  port: number;
  url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    const c = await WireConnection.connect(url, { connectMs: 500, commandMs: 500 });
    await c.call(['PING']);
    await c.close();
    return true;
  } catch (err) {
    void err; // not listening yet
    return false;
  }
}

export async function startPrivateRedis(binary: string): Promise<PrivateRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  try {
    await waitFor(() => answers(url), 10_000, 'the private redis-server', 100);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, url, stop };
}
