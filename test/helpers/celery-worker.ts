// Test helper: a real Celery worker (Debian's python3-celery) on a unique queue, started, pinged, stopped and cleaned up.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { tasksChecks } from '../../src/checks/tasks/index.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { CheckResult } from '../../src/result/model.js';
import { SharedResources } from '../../src/run/context.js';
import { runCheck, skippedResult } from '../../src/run/run-check.js';
import { selectChecks } from '../../src/run/select.js';
import { sleep } from '../../src/exec/timeout.js';
import { openCelery } from '../../src/targets/celery/open.js';
import { silentLogger } from '../../src/util/logger.js';

/** Debian's interpreter: the default python3 on PATH does not see Debian's celery and redis packages. */
export const PYTHON = '/usr/bin/python3';
/** A Redis database of their own keeps the tests' pidbox channel and keys apart from everything else. */
export const TEST_REDIS_BROKER = process.env.STACKPROBE_TEST_CELERY_REDIS ?? 'redis://127.0.0.1:6379/7';
export const TEST_AMQP_BROKER = process.env.STACKPROBE_TEST_AMQP ?? 'amqp://guest:guest@127.0.0.1:5672//';
export const TEST_BACKEND = TEST_REDIS_BROKER;
const TASKS_DIR = resolve(import.meta.dirname, '../celery');

export interface CeleryWorker {
  /** The worker's node name, `<unique>@<host>`. */
  name: string;
  queue: string;
  broker: string;
  backend: string;
  /** The worker's log so far. */
  log(): string;
  running(): boolean;
  /** SIGTERM (warm shutdown), then SIGKILL after graceMs; removes its files. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

export function uniqueQueue(): string {
  return `stackprobe_t_${randomBytes(5).toString('hex')}`;
}

async function answersPing(broker: string, name: string): Promise<boolean> {
  // Broker only: opening a result backend would also reap other runs' leftovers, which a test may be looking at.
  const config = validateConfig({ celery_broker_url: broker });
  const opened = await openCelery(config, silentLogger(), () => undefined);
  if (!opened.target) throw new Error(`test broker unavailable: ${opened.reason}`);
  try {
    const replies = await opened.target.control('ping', {}, { timeoutMs: 500 });
    return replies.some((r) => r.worker === name);
  } finally {
    await opened.target.close();
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((res) => (child.exitCode !== null || child.signalCode !== null ? res() : child.once('exit', () => res())));
}

export interface WorkerOptions {
  broker?: string;
  backend?: string;
  queue?: string;
  concurrency?: number;
  /** task_acks_late (default off). */
  acksLate?: boolean;
  /** worker_prefetch_multiplier (default 1). */
  prefetch?: number;
  /** Another app than test/celery's: its folder and module (`-A`). */
  app?: { dir: string; module: string };
  /** More queues to consume besides `queue`. */
  moreQueues?: string[];
  /** More worker arguments (`-E`, `-B`, …) and environment. */
  args?: string[];
  env?: Record<string, string>;
}

export async function startCeleryWorker(opts: WorkerOptions = {}): Promise<CeleryWorker> {
  const broker = opts.broker ?? TEST_REDIS_BROKER;
  const backend = opts.backend ?? TEST_BACKEND;
  const queue = opts.queue ?? uniqueQueue();
  const unique = `sp${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'stackprobe-celery-'));
  const logPath = join(dir, 'worker.log');
  const fd = openSync(logPath, 'a');
  const child = spawn(
    PYTHON,
    ['-m', 'celery', '-A', opts.app?.module ?? 'stackprobe_test_tasks', 'worker', '-Q', [queue, ...(opts.moreQueues ?? [])].join(','), ...(opts.args ?? []), '-c', String(opts.concurrency ?? 2), '--pool', 'prefork',
      '--without-gossip', '--without-mingle', '-n', `${unique}@%h`, '-l', 'INFO'],
    // Its own process group, so stop() reaches the prefork children too.
    {
      cwd: opts.app?.dir ?? TASKS_DIR,
      env: {
        ...process.env, ...opts.env, STACKPROBE_TEST_BROKER: broker, STACKPROBE_TEST_BACKEND: backend, PYTHONUNBUFFERED: '1',
        STACKPROBE_TEST_ACKS_LATE: opts.acksLate ? '1' : '0', STACKPROBE_TEST_PREFETCH: String(opts.prefetch ?? 1),
      },
      stdio: ['ignore', fd, fd], detached: true,
    },
  );
  closeSync(fd);
  let stopped = false;
  let finalLog: string | undefined;
  const log = () => finalLog ?? readFileSync(logPath, 'utf8');
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = async (graceMs = 10_000) => {
    if (stopped) return;
    stopped = true;
    if (running()) {
      process.kill(-child.pid!, 'SIGTERM');
      await Promise.race([exited(child), sleep(graceMs)]);
      if (running()) process.kill(-child.pid!, 'SIGKILL');
      await exited(child);
    }
    finalLog = log();
    rmSync(dir, { recursive: true, force: true });
    // The worker declared its queue on Redis as a binding set; remove it with the queue. (Its result keys expire: result_expires=300.)
    if (broker.startsWith('redis')) {
      const r = new Redis(broker, { maxRetriesPerRequest: 1, retryStrategy: () => null });
      r.on('error', () => undefined); // a test may have stopped the broker itself
      await r.del(`_kombu.binding.${queue}`, queue).catch(() => undefined).finally(() => r.disconnect());
    }
  };
  // The node name is `<unique>@<hostname>`: read it back from the banner rather than guessing the host.
  const deadline = performance.now() + 60_000;
  let name = '';
  while (performance.now() < deadline) {
    if (!running()) {
      const text = log();
      await stop();
      throw new Error(`celery worker exited at start:\n${text}`);
    }
    name ||= new RegExp(`(${unique}@\\S+)`).exec(log())?.[1] ?? '';
    if (name && (await answersPing(broker, name))) return { name, queue, broker, backend, log, running, stop };
    await sleep(250);
  }
  const text = log();
  await stop();
  throw new Error(`celery worker did not answer ping within 60 s:\n${text}`);
}

/**
 * Runs tasks checks the way the runner does (selection, --read-only, budgets, clean-up), opening only the Celery target:
 * a full run would also start a private PostgreSQL and redis-server these tests never use.
 */
export async function runTasksChecks(input: ConfigInput, ids: string[], onCheckStart?: (id: string) => void): Promise<CheckResult[]> {
  const config = validateConfig(input);
  const log = silentLogger();
  const selection = selectChecks(tasksChecks.filter((c) => ids.includes(c.id)), config);
  const opened = await openCelery(config, log, () => undefined);
  const shared = new SharedResources();
  const results: CheckResult[] = [];
  try {
    for (const check of selection.run) {
      onCheckStart?.(check.id);
      results.push(await runCheck({
        check, config, targets: opened.target ? { celery: opened.target } : {}, unavailable: opened.reason ? { celery: opened.reason } : {},
        broken: new Set(opened.broken ? ['celery'] : []), shared, signal: new AbortController().signal, log, onProgress: () => undefined,
      }));
    }
  } finally {
    await shared.cleanupAll(log);
    // As the runner does: a close that fails (the broker is gone) is logged, and the results still count.
    await opened.close?.().catch((err: unknown) => log.error({ err: String(err) }, 'closing the Celery target failed'));
  }
  return [...results, ...selection.skipped.map(({ check, reason }) => skippedResult(check, reason))];
}
