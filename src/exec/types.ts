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

/**
 * What happened to every iteration the executor was asked for: offered = started + dropped; started = succeeded +
 * failed + timedOut. Success shares and throughputs are taken over these, never over what succeeded alone.
 */
export interface ExecResult {
  /** Iterations the schedule asked for (open loop: rate × duration up to the stop; closed loop: those started). */
  offered: number;
  /** Iterations that began running (also `iterations`, kept for callers that count starts). */
  started: number;
  iterations: number;
  /** Started iterations that ended without an error. */
  succeeded: number;
  /** Started iterations that ended with an error other than a timeout. */
  failed: number;
  /** Started iterations that hit the executor's timeout (or a client's own command timeout). */
  timedOut: number;
  /** failed + timedOut. */
  errors: number;
  elapsedMs: number;
  /** Succeeded iterations per second of wall time: completions, never attempts. */
  throughput: number;
  interrupted: boolean;
  /** Open loop only: iterations that could not start because every VU was busy and the backlog was full. */
  dropped: number;
}

/** True for an executor timeout and for a client's own timeout (ioredis "Command timed out", pg query_timeout). */
export function isTimeout(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === 'TimeoutError' || /timed? ?out|timeout exceeded/i.test(err.message);
}
