// Matches BullMQ's completed/failed events (from QueueEvents) to the probe jobs waiting for them, whichever comes first.

export interface Outcome {
  status: 'completed' | 'failed';
  /** performance.now() when stackprobe saw the event. */
  at: number;
  returnvalue?: unknown;
  failedReason?: string;
}

export class Completions {
  /** Outcomes that arrived before anyone waited (a fast worker can finish before `add` returns). */
  private readonly early = new Map<string, Outcome>();
  private readonly waiters = new Map<string, (o: Outcome | null) => void>();

  /** Only events of ids starting with `idPrefix` are kept: a user's queue carries its own jobs' events too. */
  constructor(private readonly idPrefix: string) {}

  settle(jobId: string, outcome: Outcome): void {
    if (!jobId.startsWith(this.idPrefix)) return;
    const waiter = this.waiters.get(jobId);
    if (waiter) waiter(outcome);
    else this.early.set(jobId, outcome);
  }

  /** The job's outcome, or null after `ms` or when `signal` aborts. */
  wait(jobId: string, ms: number, signal: AbortSignal): Promise<Outcome | null> {
    const known = this.early.get(jobId);
    if (known) {
      this.early.delete(jobId);
      return Promise.resolve(known);
    }
    if (signal.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const finish = (o: Outcome | null) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiters.delete(jobId);
        resolve(o);
      };
      const onAbort = () => finish(null);
      const timer = setTimeout(onAbort, ms);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.set(jobId, finish);
    });
  }
}
