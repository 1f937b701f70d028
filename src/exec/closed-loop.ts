// Closed loop: N virtual users each run the workload back to back, for a duration or a total iteration count.
import { withTimeout } from './timeout.js';
import type { ExecResult, ExecutorBase } from './types.js';

export interface ClosedLoopOptions extends ExecutorBase {
  vus: number;
  durationMs?: number;
  iterations?: number;
}

export async function runClosedLoop(opts: ClosedLoopOptions): Promise<ExecResult> {
  if (opts.durationMs === undefined && opts.iterations === undefined) throw new Error('closed loop needs durationMs or iterations');
  const start = performance.now();
  const deadline = opts.durationMs === undefined ? Number.POSITIVE_INFINITY : start + opts.durationMs;
  const maxIterations = opts.iterations ?? Number.POSITIVE_INFINITY;
  let started = 0;
  let errors = 0;
  const { recorder, signal } = opts;

  const vu = async (id: number): Promise<void> => {
    while (!signal.aborted && started < maxIterations && performance.now() < deadline) {
      const iteration = started++;
      const t0 = performance.now();
      try {
        await withTimeout(opts.fn(id, iteration, signal), opts.timeoutMs, 'iteration');
        recorder.ok(performance.now() - t0);
      } catch (err) {
        errors++;
        recorder.fail(err);
      }
    }
  };

  recorder.start();
  try {
    await Promise.all(Array.from({ length: opts.vus }, (_, i) => vu(i)));
  } finally {
    recorder.stop();
  }
  const elapsedMs = performance.now() - start;
  return { iterations: started, errors, elapsedMs, throughput: started / (elapsedMs / 1000), interrupted: signal.aborted, dropped: 0 };
}
