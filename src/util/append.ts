// Appends without spreading into a call: `a.push(...b)` passes b as arguments, and a large b (a crafted run.json with
// 200k findings) overflows the stack.

export function appendAll<T>(into: T[], ...lists: ReadonlyArray<readonly T[]>): T[] {
  for (const list of lists) for (const item of list) into.push(item);
  return into;
}

/** The largest of `values` and `floor`, without spreading them into Math.max. */
export function maxOf(values: Iterable<number>, floor = Number.NEGATIVE_INFINITY): number {
  let m = floor;
  for (const v of values) if (v > m) m = v;
  return m;
}

/** The smallest of `values` and `ceiling`, without spreading them into Math.min. */
export function minOf(values: Iterable<number>, ceiling = Number.POSITIVE_INFINITY): number {
  let m = ceiling;
  for (const v of values) if (v < m) m = v;
  return m;
}
