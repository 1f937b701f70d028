// Test helper: the shop app of test/fixtures/shop on a private redis-server: its worker (events on, embedded beat) and its traffic.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PYTHON, startCeleryWorker, type CeleryWorker } from './celery-worker.js';
import { startPrivateRedis, type PrivateRedis } from './redis.js';

const SHOP_DIR = resolve(import.meta.dirname, '../fixtures/shop');

export type ShopProfile = 'flawed' | 'clean';

export interface Shop {
  profile: ShopProfile;
  redis: PrivateRedis;
  worker: CeleryWorker;
  /** Starts the web app's traffic for `seconds`; resolves once the first messages are sent. */
  drive(seconds: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The flawed deployment runs no worker for `exports`; the clean one consumes every queue. The flawed worker sends task
 * events (-E); the clean one, like many in production, does not (stackprobe may turn them on for its window).
 */
const QUEUES: Record<ShopProfile, string[]> = {
  flawed: ['default', 'emails', 'reports'],
  clean: ['default', 'emails', 'reports', 'exports'],
};

function exited(child: ChildProcess): Promise<void> {
  return new Promise((res) => (child.exitCode !== null || child.signalCode !== null ? res() : child.once('exit', () => res())));
}

export async function startShop(profile: ShopProfile): Promise<Shop> {
  const redis = await startPrivateRedis();
  const dir = mkdtempSync(join(tmpdir(), 'stackprobe-shop-'));
  const env = { STACKPROBE_SHOP_PROFILE: profile, STACKPROBE_TEST_BROKER: redis.url, STACKPROBE_TEST_BACKEND: redis.url, PYTHONUNBUFFERED: '1' };
  let worker: CeleryWorker;
  try {
    const [first, ...more] = QUEUES[profile];
    worker = await startCeleryWorker({
      broker: redis.url, backend: redis.url, queue: first!, moreQueues: more, concurrency: 3,
      app: { dir: SHOP_DIR, module: 'shop_tasks' }, args: [...(profile === 'flawed' ? ['-E'] : []), '-B', '-s', join(dir, 'beat-schedule')], env,
      acksLate: true, prefetch: profile === 'flawed' ? 4 : 1,
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    await redis.stop();
    throw err;
  }
  const drivers: ChildProcess[] = [];
  const drive = async (seconds: number) => {
    const child = spawn(PYTHON, ['drive_shop.py', String(seconds)], { cwd: SHOP_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    drivers.push(child);
    await new Promise<void>((res, rej) => {
      child.stdout!.once('data', () => res());
      child.once('exit', (code) => rej(new Error(`the shop's traffic driver exited (${code}) before sending`)));
    });
  };
  const stop = async () => {
    for (const d of drivers) {
      if (d.exitCode === null && d.signalCode === null) d.kill('SIGKILL');
      await exited(d);
    }
    await worker.stop();
    rmSync(dir, { recursive: true, force: true });
    await redis.stop();
  };
  return { profile, redis, worker, drive, stop };
}
