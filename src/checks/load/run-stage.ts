// Runs this thread's share of one stage: the open or closed loop over the scenario, recorded into a StageRecorder.
import { runArrivalRate } from '../../exec/arrival-rate.js';
import { runClosedLoop } from '../../exec/closed-loop.js';
import { promiseOf, type Ended } from '../../exec/ended.js';
import type { Segment, Stage } from '../../exec/stages.js';
import type { ExecResult } from '../../exec/types.js';
import { startPingsOn } from '../../targets/redis/wire/ping.js';
import { createRng, type Rng } from '../../workload/prng.js';
import { ForwardingRecorder, type StageRecorder } from './record.js';
import { M, REDIS_PING } from './metrics.js';
import { pickType, startRequest, type Scenario } from './scenario.js';
import type { StepServices } from './steps.js';
import { poolStatsOf, recordPoolStats } from './attribution-pool.js';
import type { SessionPool } from '../../targets/pg/wire/pool.js';
import type { Trend } from '../../metrics/trend.js';

/** The load's own PRNG stream, apart from the workload generator's and the queries category's. */
const STREAM_LOAD = 300;

export interface StageEnv {
  services: StepServices;
  scenario: Scenario;
  seed: number;
  /** This thread's share of the whole load (segment × worker), which also picks its PRNG streams. */
  share: Segment;
  executor: 'arrival-rate' | 'closed-loop';
  maxVus: number;
  thinkTimeMs: number;
  requestTimeoutMs: number;
  /** The pools whose session waits the stage records (load_pg_pool_*), as opened so far; default the services' pool and readPool. */
  pools?: () => SessionPool[];
}

const EMPTY: ExecResult = { offered: 0, started: 0, iterations: 0, succeeded: 0, failed: 0, timedOut: 0, errors: 0, elapsedMs: 0, throughput: 0, interrupted: false, dropped: 0 };

/** `stage` is already this thread's share (its rate or VUs); `index` is the 1-based stage number. */
export async function runStageHere(env: StageEnv, stage: Stage, rec: StageRecorder, signal: AbortSignal): Promise<ExecResult> {
  const rngs: Rng[] = [];
  // One request of VU `vu`, on callbacks: the closed loop runs it with no promise of its own, and a single-statement
  // request (a financial read, a custom step) with none at all.
  const start = (vu: number, done: Ended): void => {
    const rng = (rngs[vu] ??= createRng(env.seed, STREAM_LOAD, env.share.index, rec.stage, vu));
    const type = env.scenario.pick?.(rng) ?? pickType(env.scenario.types, rng);
    rec.requestType(type.name);
    startRequest(type, env.services, rng, rec, done);
  };
  const t0 = performance.now();
  // Beside the stage's Redis steps, on the same connection: the client's and the network's share of cache_get. A mix
  // with no Redis step has nothing for it to explain: no PING (100 a second of timers, writes and wake-ups beside the load).
  const redis = env.scenario.types.some((t) => t.redis) ? env.services.redis : undefined;
  const pools = env.pools ?? (() => [env.services.pool, ...(env.services.readPool ? [env.services.readPool] : [])]);
  // A pool opened during the stage starts at zero, so the totals of the pools at the end minus those at the start hold.
  const before = poolStatsOf(pools());
  let pingTrend: Trend | undefined;
  const pings = redis ? startPingsOn(redis, (ms) => (pingTrend ??= rec.registry.trend(REDIS_PING, { stage: String(rec.stage) })).record(ms)) : undefined;
  try {
    return await runStage(env, stage, rec, signal, start, t0);
  } finally {
    pings?.stop();
    recordPoolStats(rec.registry, rec.stage, before, poolStatsOf(pools()));
  }
}


async function runStage(env: StageEnv, stage: Stage, rec: StageRecorder, signal: AbortSignal, start: (vu: number, done: Ended) => void, t0: number): Promise<ExecResult> {
  let result: ExecResult;
  if (env.executor === 'arrival-rate') {
    if (!stage.rate) return EMPTY;
    result = await runArrivalRate({
      rate: stage.rate, durationMs: stage.durationMs, maxVus: env.maxVus, timeoutMs: env.requestTimeoutMs,
      // A backlog left when the stage ends is drained for a bounded time; what is still waiting then counts as dropped.
      drainMs: Math.min(env.requestTimeoutMs, Math.max(1000, stage.durationMs / 2)),
      // Drops reach the StageRecorder through the ForwardingRecorder as they happen (counted as failed attempts).
      recorder: new ForwardingRecorder(rec), signal, fn: (vu) => promiseOf((ended) => start(vu, ended)),
    });
  } else {
    if (!stage.vus) return EMPTY;
    result = await runClosedLoop({
      vus: stage.vus, durationMs: stage.durationMs, signal,
      // The loop times and bounds the request alone; the think time after it is neither latency nor part of the bound.
      // A timed-out request is recorded within a sweep period (≤ 1 s) of its bound and abandoned.
      timeoutMs: env.requestTimeoutMs, thinkTimeMs: env.thinkTimeMs, recorder: new ForwardingRecorder(rec),
      step: (vu, _iteration, done) => start(vu, done),
    });
  }
  rec.registry.gauge(M.elapsed, { stage: String(rec.stage) }).set((performance.now() - t0) / 1000);
  return result;
}
