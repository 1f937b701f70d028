// Closed loop: N virtual users each run the workload back to back, for a duration or a total iteration count.
import { TimeoutError } from '../util/errors.js';
import { endWith, type Ended } from './ended.js';
import { isTimeout, type ExecResult, type ExecutorBase, type IterationFn } from './types.js';

/**
 * One iteration that reports its end through `done` instead of a promise: `done()` when it succeeded, `done(err)` when
 * it failed. Called at most once per iteration (a later call is ignored).
 */
export type IterationStep = (vu: number, iteration: number, done: Ended) => void;

export type ClosedLoopOptions = Omit<ExecutorBase, 'fn'> & {
  vus: number;
  durationMs?: number;
  iterations?: number;
  /** A pause after each iteration before the VU's next one (a user's think time): neither timed nor bounded by timeoutMs. */
  thinkTimeMs?: number;
} & ({ fn: IterationFn; step?: undefined } | { step: IterationStep; fn?: undefined });

/**
 * The loop itself runs on callbacks: an iteration given as `step` costs no promise of the loop's own (the load's
 * measuring path uses that); one given as `fn` is awaited through one `then`.
 *
 * Timeouts cost nothing per iteration: one shared sweep (every timeoutMs / 10, 10 ms … 1 s) finds a VU whose
 * iteration has run too long, records a TimeoutError, and starts a replacement VU under the same id; the stuck
 * iteration is abandoned (its late result is ignored). A timer per iteration capped the loop near 1 M no-op
 * iterations/s (bench figure 3). A timeout therefore fires up to one sweep period late.
 */
export function runClosedLoop(opts: ClosedLoopOptions): Promise<ExecResult> {
  if (opts.durationMs === undefined && opts.iterations === undefined) return Promise.reject(new Error('closed loop needs durationMs or iterations'));
  const start = performance.now();
  const deadline = opts.durationMs === undefined ? Number.POSITIVE_INFINITY : start + opts.durationMs;
  const maxIterations = opts.iterations ?? Number.POSITIVE_INFINITY;
  const { recorder, signal } = opts;
  const think = opts.thinkTimeMs ?? 0;
  const fn = opts.fn;
  const step: IterationStep = opts.step ?? ((vu, iteration, done) => endWith(fn!(vu, iteration, signal), done));
  const generation = new Uint32Array(opts.vus);
  const startedAt = new Float64Array(opts.vus);
  const busy = new Uint8Array(opts.vus);
  /** A VU's think-time timer, so an abort ends the pause at once. */
  const thinking: Array<NodeJS.Timeout | undefined> = new Array(opts.vus);
  let started = 0;
  let succeeded = 0;
  let failed = 0;
  let timedOut = 0;
  let live = opts.vus;
  let aborted = signal.aborted;
  let allDone!: () => void;
  const finished = new Promise<void>((resolve) => (allDone = resolve));

  const next = (id: number, gen: number): void => {
    thinking[id] = undefined;
    if (generation[id] !== gen) return; // replaced by the sweep while it thought
    // One clock read per iteration, both the deadline's and the iteration's start (a read costs about what the rest
    // of the loop's own work does), and the abort seen through a flag (the signal's getter checks its receiver each time).
    const t0 = performance.now();
    if (aborted || started >= maxIterations || t0 >= deadline) {
      if (--live === 0) allDone();
      return;
    }
    const iteration = started++;
    startedAt[id] = t0;
    busy[id] = 1;
    let ended = false;
    let inStep = true;
    let endedInStep = false;
    const done: Ended = (err) => {
      if (ended) return;
      ended = true;
      if (generation[id] !== gen) return; // abandoned by the sweep: its timeout is already recorded
      if (err === undefined) {
        succeeded++;
        recorder.ok(performance.now() - t0);
      } else {
        if (isTimeout(err)) timedOut++;
        else failed++;
        recorder.fail(err);
      }
      busy[id] = 0;
      if (think > 0 && !aborted) thinking[id] = setTimeout(next, think, id, gen);
      else if (inStep) endedInStep = true;
      else next(id, gen);
    };
    try {
      step(id, iteration, done);
    } catch (err) {
      done(err ?? new Error('the iteration threw without a reason'));
    }
    inStep = false;
    // An iteration that ended before step() returned (a closed connection fails at once) continues on the next turn
    // of the event loop: a run of them neither grows the stack nor keeps timers and the abort signal from firing.
    if (endedInStep) setImmediate(next, id, gen);
  };

  const sweep = setInterval(() => {
    const now = performance.now();
    for (let id = 0; id < opts.vus; id++) {
      if (!busy[id] || now - startedAt[id]! <= opts.timeoutMs) continue;
      generation[id]!++;
      busy[id] = 0;
      timedOut++;
      recorder.fail(new TimeoutError(`iteration timed out after ${opts.timeoutMs} ms`));
      next(id, generation[id]!);
    }
  }, Math.min(1000, Math.max(10, Math.floor(opts.timeoutMs / 10))));
  sweep.unref();
  const onAbort = (): void => {
    aborted = true;
    for (let id = 0; id < opts.vus; id++) {
      const timer = thinking[id];
      if (timer === undefined) continue;
      clearTimeout(timer);
      next(id, generation[id]!);
    }
  };
  signal.addEventListener('abort', onAbort, { once: true });

  recorder.start();
  for (let id = 0; id < opts.vus; id++) next(id, 0);
  if (opts.vus <= 0) allDone();
  return finished.then(() => {
    clearInterval(sweep);
    signal.removeEventListener('abort', onAbort);
    recorder.stop();
    const elapsedMs = performance.now() - start;
    // A closed loop offers exactly what it starts: it never schedules work it cannot run.
    return {
      offered: started, started, iterations: started, succeeded, failed, timedOut, errors: failed + timedOut,
      elapsedMs, throughput: succeeded / (elapsedMs / 1000), interrupted: signal.aborted, dropped: 0,
    };
  });
}
