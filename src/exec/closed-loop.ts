// Closed loop: N virtual users each run the workload back to back, for a duration or a total iteration count.
import { TimeoutError } from '../util/errors.js';
import { sleep } from './timeout.js';
import { isTimeout, type ExecResult, type ExecutorBase } from './types.js';

export interface ClosedLoopOptions extends ExecutorBase {
  vus: number;
  durationMs?: number;
  iterations?: number;
  /** A pause after each iteration before the VU's next one (a user's think time): neither timed nor bounded by timeoutMs. */
  thinkTimeMs?: number;
}

/**
 * Timeouts cost nothing per iteration: one shared sweep (every timeoutMs / 10, 10 ms … 1 s) finds a VU whose
 * iteration has run too long, records a TimeoutError, and starts a replacement VU under the same id; the stuck
 * iteration is abandoned (its late result is ignored). A timer per iteration capped the loop near 1 M no-op
 * iterations/s (bench figure 3). A timeout therefore fires up to one sweep period late.
 */
export async function runClosedLoop(opts: ClosedLoopOptions): Promise<ExecResult> {
  if (opts.durationMs === undefined && opts.iterations === undefined) throw new Error('closed loop needs durationMs or iterations');
  const start = performance.now();
  const deadline = opts.durationMs === undefined ? Number.POSITIVE_INFINITY : start + opts.durationMs;
  const maxIterations = opts.iterations ?? Number.POSITIVE_INFINITY;
  const { recorder, signal } = opts;
  const think = opts.thinkTimeMs ?? 0;
  const generation = new Uint32Array(opts.vus);
  const startedAt = new Float64Array(opts.vus);
  const busy = new Uint8Array(opts.vus);
  let started = 0;
  let succeeded = 0;
  let failed = 0;
  let timedOut = 0;
  let live = opts.vus;
  let allDone!: () => void;
  const finished = new Promise<void>((resolve) => (allDone = resolve));

  const vu = async (id: number, gen: number): Promise<void> => {
    while (!signal.aborted && started < maxIterations && performance.now() < deadline) {
      const iteration = started++;
      const t0 = performance.now();
      startedAt[id] = t0;
      busy[id] = 1;
      try {
        await opts.fn(id, iteration, signal);
        if (generation[id] !== gen) return; // abandoned by the sweep: its timeout is already recorded
        succeeded++;
        recorder.ok(performance.now() - t0);
      } catch (err) {
        if (generation[id] !== gen) return;
        if (isTimeout(err)) timedOut++;
        else failed++;
        recorder.fail(err);
      }
      busy[id] = 0;
      if (think > 0) {
        await sleep(think, signal);
        if (generation[id] !== gen) return;
      }
    }
    if (generation[id] === gen && --live === 0) allDone();
  };

  const sweep = setInterval(() => {
    const now = performance.now();
    for (let id = 0; id < opts.vus; id++) {
      if (!busy[id] || now - startedAt[id]! <= opts.timeoutMs) continue;
      generation[id]!++;
      busy[id] = 0;
      timedOut++;
      recorder.fail(new TimeoutError(`iteration timed out after ${opts.timeoutMs} ms`));
      void vu(id, generation[id]!);
    }
  }, Math.min(1000, Math.max(10, Math.floor(opts.timeoutMs / 10))));
  sweep.unref();

  recorder.start();
  try {
    for (let id = 0; id < opts.vus; id++) void vu(id, 0);
    await finished;
  } finally {
    clearInterval(sweep);
    recorder.stop();
  }
  const elapsedMs = performance.now() - start;
  // A closed loop offers exactly what it starts: it never schedules work it cannot run.
  return {
    offered: started, started, iterations: started, succeeded, failed, timedOut, errors: failed + timedOut,
    elapsedMs, throughput: succeeded / (elapsedMs / 1000), interrupted: signal.aborted, dropped: 0,
  };
}
