// What every executor takes and returns.
import type { Recorder } from './recorder.js';

/** One iteration of a workload; `vu` is the virtual user's index, stable for its lifetime. */
export type IterationFn = (vu: number, iteration: number, signal: AbortSignal) => Promise<unknown>;

export interface ExecutorBase {
  fn: IterationFn;
  recorder: Recorder;
  /** Stops scheduling new iterations; in-flight ones finish (bounded by timeoutMs). */
  signal: AbortSignal;
  /** Upper bound of one iteration; a slower one is recorded as a TimeoutError. */
  timeoutMs: number;
}

export interface ExecResult {
  iterations: number;
  errors: number;
  elapsedMs: number;
  /** iterations (ok or failed) per second of wall time */
  throughput: number;
  interrupted: boolean;
  /** Open loop only: iterations that could not start because every VU was busy and the backlog was full. */
  dropped: number;
}
