// Operations that report their end through a callback (the measuring path's hot loops), and their promise twins.

/** The end of an operation on callbacks: no argument when it succeeded, the error when it failed. */
export type Ended = (err?: unknown) => void;

/** `start` as a promise: resolves when it ends without an error, rejects with its error. */
export function promiseOf(start: (ended: Ended) => void): Promise<void> {
  return new Promise((resolve, reject) => start((err) => (err === undefined ? resolve() : reject(err as Error))));
}

/** Hands the end of `running` to `ended`; a rejection without a reason still counts as a failure. */
export function endWith(running: Promise<unknown>, ended: Ended): void {
  running.then(() => ended(), (err: unknown) => ended(err ?? new Error('failed without a reason')));
}
