// Opens n connections at once; if any fails, closes the ones that opened and rethrows, so nothing is left connected.
export async function openAll<T extends { close(): Promise<void> }>(n: number, open: () => Promise<T>): Promise<T[]> {
  const settled = await Promise.allSettled(Array.from({ length: n }, open));
  const opened = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.allSettled(opened.map((c) => c.close()));
    throw failed.reason;
  }
  return opened;
}
