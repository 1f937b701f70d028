// Bounds a broker or backend call by the caller's abort signal as well as a timeout: a frozen broker never holds a check.
import { withTimeout } from '../../exec/timeout.js';

/** Why the signal aborted, as an Error (the check budget's reason is a DOMException TimeoutError). */
export function abortReason(signal: AbortSignal, what: string): Error {
  const r: unknown = signal.reason;
  const why = r instanceof Error ? r.message : 'aborted';
  return new Error(`${what}: ${why}`);
}

/** Rejects when `ms` passes or `signal` aborts, whichever first; the underlying call is left to its own timeout. */
export function bounded<T>(promise: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  if (!signal) return withTimeout(promise, ms, what);
  if (signal.aborted) {
    promise.catch(() => undefined); // its own failure no longer matters to anyone
    return Promise.reject(abortReason(signal, what));
  }
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortReason(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return withTimeout(Promise.race([promise, aborted]), ms, what).finally(() => signal.removeEventListener('abort', onAbort));
}

/** Keeps the latest connection error of a client (ECONNRESET, auth), so a later generic failure can say why. */
export class LostReason {
  private reason: string | undefined;
  note(err: unknown): void {
    this.reason = err instanceof Error ? (err.message || err.name) : String(err);
  }
  /** `err`'s message, with the connection's own error appended when the message alone does not say why. */
  explain(err: unknown): Error {
    const msg = err instanceof Error ? err.message : String(err);
    if (this.reason && !msg.includes(this.reason)) return new Error(`${msg} (connection: ${this.reason})`, { cause: err });
    return err instanceof Error ? err : new Error(msg);
  }
}
