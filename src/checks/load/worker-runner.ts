// Runs each stage across worker threads: every thread takes its share, windows stream in each second, metrics merge exactly.
import type { Segment } from '../../exec/stages.js';
import { WorkerChannel, spawnWorker } from '../../exec/workers/spawn.js';
import type { SerializedMetric } from '../../result/model.js';
import { describeError } from '../../util/errors.js';
import type { Workload } from '../../workload/types.js';
import type { CheckContext } from '../types.js';
import type { SecondWindow, WindowSnapshot } from './per-second.js';
import { LOAD_APP_NAME } from './services.js';
import type { StageRunner } from './stage-runner.js';
import type { WorkerData } from './worker-protocol.js';
import { integerShare } from '../../exec/stages.js';

export interface WorkerRunnerOptions {
  ctx: CheckContext;
  workload: Workload;
  workers: number;
  segment: Segment;
  window: SecondWindow;
}

function redisData(ctx: CheckContext): WorkerData['redis'] {
  const target = ctx.targets.redis;
  if (!target) return undefined;
  return { wire: target.wire, keyPrefix: target.keyPrefix };
}

export async function startWorkerRunner(o: WorkerRunnerOptions): Promise<StageRunner> {
  const { ctx, workers } = o;
  const load = ctx.config.load;
  const pgt = ctx.targets.pg!;
  const channels: WorkerChannel[] = [];
  const closeAll = () => Promise.allSettled(channels.map((c) => c.close(10_000)));
  try {
    for (let w = 1; w <= workers; w++) {
      const data: WorkerData = {
        worker: w, workers, segment: o.segment, config: ctx.config, plan: o.workload.plan,
        pg: { ...pgt.workerTarget(), poolSize: Math.max(1, integerShare(load.pool_size, w, workers)), applicationName: `${LOAD_APP_NAME}-w${w}` },
        maxVus: Math.max(1, integerShare(load.max_vus, w, workers)),
        ...(ctx.targets.redis ? { redis: redisData(ctx) } : {}),
        ...(ctx.targets.celery ? { celeryConfig: ctx.config } : {}),
      };
      const channel = new WorkerChannel(spawnWorker(import.meta.url, 'worker', data), (m) => {
        if (m.type === 'window') o.window.absorb(m.snapshot as WindowSnapshot);
      });
      channels.push(channel);
    }
    await Promise.all(channels.map((c) => c.request({ type: 'ready' }, ctx.config.timeouts.connect_ms + 20_000, 'starting a load worker thread')));
  } catch (err) {
    await closeAll();
    throw new Error(`the load worker threads did not start: ${describeError(err)}`);
  }
  return {
    async runStage(n, stage, signal) {
      const onAbort = () => channels.forEach((c) => c.post({ type: 'abort' }));
      signal.addEventListener('abort', onAbort, { once: true });
      // The stage, its drain (bounded by the request timeout) and a margin: a thread that takes longer is stuck.
      const bound = stage.durationMs + 2 * load.request_timeout_ms + 30_000;
      try {
        const replies = await Promise.all(channels.map((c) => c.request({ type: 'stage', n, stage }, bound, `stage ${n} in a worker thread`)));
        return {
          metrics: replies.flatMap((r) => r.metrics as SerializedMetric[]),
          messages: replies.flatMap((r) => r.messages as string[]),
        };
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    async close() {
      await closeAll();
    },
  };
}
