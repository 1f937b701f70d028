// The live progress view while a run goes on: a redrawn check list on a terminal, plain timestamped lines otherwise.
import type { RunEvent } from '../result/events.js';
import { createPlainView } from './progress-plain.js';
import { createTtyView } from './progress-tty.js';

export interface ProgressOptions {
  /** A terminal that can redraw lines: the redrawn check list; otherwise one plain line per event. */
  tty: boolean;
  /** Where the view writes: stdout, or stderr when stdout carries the JSON result. */
  stream: NodeJS.WritableStream;
  color: boolean;
  /** Monotonic milliseconds for the plain view's elapsed times; performance.now() unless a test pins it. */
  now?: () => number;
}

export interface ProgressView {
  /** Never throws: unknown check ids and out-of-order events are shown as well as they can be, or ignored. */
  onEvent(event: RunEvent): void;
  /** Settles the view (checks that never ended are shown as not run); call once, after the run returns. */
  done(): Promise<void>;
}

export function createProgressView(opts: ProgressOptions): ProgressView {
  return opts.tty ? createTtyView(opts) : createPlainView(opts);
}
