// A closed loop of VUs whose iterations report their end through a callback instead of a promise: the measuring
// path's own loop, where an iteration is a function call. With it (and a rarer no-op) the queries check's one-row
// SELECT went from about 0.64× to 0.8× pgbench's rate on 2 cores (bench/README.md, "Before and after").
// Iterations are bounded by whoever runs them (a wire connection's watchdog cancels, then drops, a late request), so
// there is no sweep for stuck iterations: the loop ends once every VU has finished the iteration it had started.

/** Starts one iteration of VU `vu` and calls `done` exactly once when it has ended, failed or not. */
export type CallbackStep = (vu: number, done: () => void) => void;

export interface CallbackLoopOptions {
  vus: number;
  durationMs: number;
  /** Stops starting iterations; those in flight end as their own bounds allow. */
  signal: AbortSignal;
  step: CallbackStep;
}

export interface CallbackLoopResult {
  /** Iterations started (each one has ended by the time the loop resolves). */
  iterations: number;
  elapsedMs: number;
}

export function runCallbackLoop(opts: CallbackLoopOptions): Promise<CallbackLoopResult> {
  const { vus, signal, step } = opts;
  const start = performance.now();
  const deadline = start + opts.durationMs;
  let iterations = 0;
  let live = vus;
  let aborted = signal.aborted;
  /** Per VU: its iteration is inside step() (1), or ended there before step() returned (2). */
  const inStep = new Uint8Array(vus);
  return new Promise((resolve) => {
    const finishVu = () => {
      if (--live === 0) {
        signal.removeEventListener('abort', onAbort);
        resolve({ iterations, elapsedMs: performance.now() - start });
      }
    };
    const onAbort = (): void => {
      aborted = true;
    };
    // One `done` per VU, made once: an iteration ends exactly once (the step's contract), so a VU's callback needs no
    // state of the iteration's own, and an iteration makes no closure of the loop's (the measuring path's hot loop).
    const dones = Array.from({ length: vus }, (_, vu) => () => {
      if (inStep[vu] === 1) inStep[vu] = 2;
      else run(vu);
    });
    const run = (vu: number): void => {
      if (aborted || performance.now() >= deadline) return finishVu();
      iterations++;
      inStep[vu] = 1;
      step(vu, dones[vu]!);
      const endedInStep = inStep[vu] === 2;
      inStep[vu] = 0;
      // An iteration that ended before step() returned (a closed connection fails at once) continues on the next turn
      // of the event loop: a run of them neither grows the stack nor keeps timers and the abort signal from firing.
      if (endedInStep) setImmediate(run, vu);
    };
    if (vus <= 0) return resolve({ iterations: 0, elapsedMs: 0 });
    signal.addEventListener('abort', onAbort, { once: true });
    for (let vu = 0; vu < vus; vu++) run(vu);
  });
}
