// Bounds a cleanup step: a cleanup that waits on a dead server or a dead socket must not hang the run.
export async function boundedCleanup(fn: () => unknown, ms: number, what = 'cleanup'): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(fn),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
