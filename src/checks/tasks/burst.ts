// Sends a burst of probes as fast as a few concurrent senders can, timing each submission: shared by the Celery and
// BullMQ throughput checks.
import type { Recorder } from '../../exec/recorder.js';

/** Enough senders to keep the broker busy without turning the burst into a test of our own event loop. */
const BURST_SENDERS = 8;

/** Sends probes 0..count-1 with `send(i)`; returns the burst's wall time in ms. Stops early when the signal aborts. */
export async function sendBurst(count: number, send: (i: number) => Promise<unknown>, submit: Recorder, signal: AbortSignal): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: BURST_SENDERS }, async () => {
    while (next < count && !signal.aborted) {
      const i = next++;
      const t0 = performance.now();
      try {
        await send(i);
        submit.ok(performance.now() - t0);
      } catch (err) {
        submit.fail(err);
      }
    }
  }));
  return performance.now() - start;
}
