// Open loop: iterations start at a fixed arrival rate whatever the system does, and latency is measured from each
// iteration's *intended* start time, so a stall shows in the percentiles (coordinated-omission correction).
import { sleep, withTimeout } from './timeout.js';
import { isTimeout, type ExecResult, type ExecutorBase } from './types.js';

export interface ArrivalRateOptions extends ExecutorBase {
  /** Iterations per second. */
  rate: number;
  durationMs: number;
  /** At most this many iterations in flight. */
  maxVus: number;
  /** Iterations waiting for a free VU beyond this are dropped (and counted). Default: rate × 60 s. */
  maxBacklog?: number;
  /** How long to keep draining the backlog after the duration ends; default timeoutMs. */
  drainMs?: number;
}

export async function runArrivalRate(opts: ArrivalRateOptions): Promise<ExecResult> {
  const { recorder, signal } = opts;
  const intervalMs = 1000 / opts.rate;
  const total = Math.floor((opts.durationMs / 1000) * opts.rate);
  const maxBacklog = opts.maxBacklog ?? Math.ceil(opts.rate * 60);
  const backlog: number[] = []; // intended start times, oldest first
  const freeVus: number[] = Array.from({ length: opts.maxVus }, (_, i) => opts.maxVus - 1 - i);
  const inFlight = new Set<Promise<void>>();
  let iteration = 0;
  let scheduled = 0;
  let succeeded = 0;
  let failed = 0;
  let timedOut = 0;
  let dropped = 0;
  let draining = false;
  const start = performance.now();

  const launch = (vu: number, intended: number): void => {
    const it = iteration++;
    const p = (async () => {
      try {
        await withTimeout(opts.fn(vu, it, signal), opts.timeoutMs, 'iteration');
        succeeded++;
        recorder.ok(performance.now() - intended);
      } catch (err) {
        if (isTimeout(err)) timedOut++;
        else failed++;
        recorder.fail(err);
      }
    })().finally(() => {
      inFlight.delete(p);
      const next = backlog.shift();
      if (next !== undefined && !(draining && signal.aborted)) launch(vu, next);
      else freeVus.push(vu);
    });
    inFlight.add(p);
  };

  recorder.start();
  try {
    while (scheduled < total && !signal.aborted) {
      const now = performance.now();
      // Start every iteration whose intended time has come; batching keeps high rates exact despite timer granularity.
      while (scheduled < total && start + scheduled * intervalMs <= now) {
        const intended = start + scheduled * intervalMs;
        scheduled++;
        const vu = freeVus.pop();
        if (vu !== undefined) launch(vu, intended);
        else if (backlog.length < maxBacklog) backlog.push(intended);
        else {
          dropped++;
          recorder.dropped(1);
        }
      }
      if (scheduled < total) await sleep(start + scheduled * intervalMs - performance.now(), signal);
    }
    draining = true;
    const drainDeadline = performance.now() + (opts.drainMs ?? opts.timeoutMs);
    while ((inFlight.size > 0 || backlog.length > 0) && performance.now() < drainDeadline && !signal.aborted) {
      await Promise.race([...inFlight, sleep(50)]);
    }
    const left = backlog.splice(0).length;
    dropped += left;
    recorder.dropped(left);
    // Whatever is still in flight is bounded by its own timeout; wait for it so no work outlives the executor.
    await Promise.allSettled([...inFlight]);
  } finally {
    recorder.stop();
  }
  const elapsedMs = performance.now() - start;
  return {
    offered: scheduled, started: iteration, iterations: iteration, succeeded, failed, timedOut, errors: failed + timedOut,
    elapsedMs, throughput: succeeded / (elapsedMs / 1000), interrupted: signal.aborted, dropped,
  };
}
