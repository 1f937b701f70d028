// A load worker thread: opens its own connections, runs its share of each stage on request, streams per-second windows.
import { parentPort, workerData } from 'node:worker_threads';
import { combinedShare, shareOfStage, type Stage } from '../../exec/stages.js';
import { serializeMetrics } from '../../metrics/serialize.js';
import { openCelery } from '../../targets/celery/open.js';
import type { CeleryTarget } from '../../targets/celery/target.js';
import { describeError } from '../../util/errors.js';
import { openReconnectingWire } from '../../targets/redis/connect.js';
import { silentLogger } from '../../util/logger.js';
import { SecondWindow } from './per-second.js';
import { StageRecorder } from './record.js';
import { runStageHere, type StageEnv } from './run-stage.js';
import { buildScenario } from './scenario.js';
import { TaskTidy, type StepServices } from './steps.js';
import { loadPools, NOOP_EVERY_MS, splitPool, taskQueue } from './services.js';
import { CONNECTIONS_LOST, PG_NOOP } from './metrics.js';
import type { WorkerData } from './worker-protocol.js';
import { segmentAccounts } from '../../workload/plan.js';

const data = workerData as WorkerData;
const port = parentPort!;
const window = new SecondWindow();
let abort = new AbortController();
let services: StepServices | undefined;
let celery: CeleryTarget | undefined;
let closeCelery: (() => Promise<void>) | undefined;
/** Redis connection losses not yet handed to a stage's metrics, and the last error seen. */
const redisLost = { count: 0, reason: undefined as string | undefined };
let closing = false;
/** The running stage's registry: the no-op samples of this thread's sessions go there, and back with its metrics. */
let noopInto: StageRecorder['registry'] | undefined;

async function open(): Promise<StageEnv> {
  const load = data.config.load;
  const sizes = splitPool(load, data.pg.poolSize);
  // A session lost while idle or in use fails its request and is dropped from the pool, never the thread.
  const pools = loadPools(data.pg, load, sizes, data.pg.applicationName, data.pg.timeouts.connectMs);
  // The client's share on this thread's own sessions, beside the requests they carry (between stages nothing is kept).
  pools.pool.sampleNoop(NOOP_EVERY_MS, (ms) => noopInto?.trend(PG_NOOP).record(ms));
  services = { ...pools, plan: data.plan, statementTimeoutMs: load.request_timeout_ms, writeAccounts: segmentAccounts(data.plan.accounts.length, data.segment.index, data.segment.count) };
  if (data.redis) {
    // Commands reject with their own errors; a connection the server or the network closes is counted and reported.
    const redis = openReconnectingWire(data.redis.wire, (err) => {
      if (closing) return;
      redisLost.count++;
      redisLost.reason = describeError(err);
    });
    services.redis = redis;
    services.keyPrefix = data.redis.keyPrefix;
  }
  if (data.celeryConfig) {
    const opened = await openCelery(data.celeryConfig, silentLogger(), () => undefined);
    if (!opened.target) throw new Error(`worker ${data.worker}: cannot open Celery: ${opened.reason ?? 'unknown reason'}`);
    celery = opened.target;
    closeCelery = opened.close;
    services.celery = celery;
    services.task = { name: data.config.load.task_name, queue: taskQueue(data.config), tidy: new TaskTidy(celery) };
  }
  const share = combinedShare(data.segment, data.worker, data.workers);
  return {
    services, scenario: buildScenario(data.config.load, { redis: !!data.redis, celery: !!celery }), seed: data.config.workload.seed, share,
    executor: data.config.load.executor, maxVus: data.maxVus, thinkTimeMs: data.config.load.think_time_ms, requestTimeoutMs: data.config.load.request_timeout_ms,
  };
}

const postWindow = () => {
  const snap = window.take(true);
  if (snap.ok + snap.errors > 0) port.postMessage({ type: 'window', snapshot: { ok: snap.ok, errors: snap.errors, kinds: snap.kinds, histogram: snap.histogram } });
};

async function runStage(env: StageEnv, n: number, stage: Stage) {
  abort = new AbortController();
  const rec = new StageRecorder(n, window);
  const timer = setInterval(postWindow, 250);
  noopInto = rec.registry;
  try {
    await runStageHere(env, shareOfStage(stage, env.share.index, env.share.count), rec, abort.signal);
  } finally {
    noopInto = undefined;
    clearInterval(timer);
    postWindow();
  }
  if (redisLost.count > 0) {
    rec.registry.counter(CONNECTIONS_LOST).add(redisLost.count);
    rec.messages.push(`worker ${data.worker}: the load's Redis connection was lost: ${redisLost.reason ?? 'closed by the server or the network'}`);
    redisLost.count = 0;
  }
  return { metrics: serializeMetrics(rec.registry, 0), messages: rec.messages };
}

async function close(): Promise<void> {
  closing = true;
  await services?.task?.tidy.done();
  await services?.pool.end();
  await services?.readPool?.end();
  await services?.redis?.close();
  await closeCelery?.();
}

const ready = open();
port.on('message', (m: { type: string; id?: number; stage?: Stage; n?: number }) => {
  const reply = (p: Promise<Record<string, unknown>>) =>
    p.then(
      (body) => port.postMessage({ ...body, type: 'done', id: m.id }),
      (err: unknown) => port.postMessage({ type: 'error', id: m.id, message: describeError(err) }),
    );
  if (m.type === 'abort') abort.abort();
  else if (m.type === 'ready') void reply(ready.then(() => ({})));
  else if (m.type === 'stage') void reply(ready.then((env) => runStage(env, m.n!, m.stage!)));
  else if (m.type === 'close') void reply(close().then(() => ({})));
});
