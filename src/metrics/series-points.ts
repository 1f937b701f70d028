// The points of one time series while a check records it: times and values side by side in Float64Array chunks.
// A series gains a point a second for the whole run and is the run's own record (its charts), so it is kept whole; kept
// as [t, v] arrays each point cost ~72 bytes of V8 heap (an array, its backing store, a slot in the outer array), which
// was most of what a long load run still held after a full GC (bench figure 5). Here a point costs 16 bytes. Chunks
// rather than one array that doubles: nothing is copied as a series grows, and the room kept ahead of the last point is
// at most one chunk (4 KB) instead of as much as the series already holds.

export type Point = [t: number, v: number];

/** The first chunk's points, so a short series (a sweep's rounds) stays small; each next chunk doubles, up to the last. */
const FIRST_CHUNK = 16;
/** Points of every chunk from the fifth on (4 KB). */
const CHUNK = 256;

export class SeriesPoints implements Iterable<Point> {
  /** Each chunk holds t0, v0, t1, v1, …; every chunk but the last is full. */
  private readonly chunks: Float64Array[] = [];
  /** Where each chunk's first point stands in the series. */
  private readonly starts: number[] = [];
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** Appends points like Array.prototype.push, so a writer's `points.push([t, v])` reads as it did; returns the length. */
  push(...points: ReadonlyArray<readonly [number, number]>): number {
    for (const [t, v] of points) this.add(t, v);
    return this.count;
  }

  /** Appends one point without building an array for it. */
  add(t: number, v: number): void {
    let last = this.chunks.at(-1);
    let at = this.count - (this.starts.at(-1) ?? 0);
    if (!last || 2 * at === last.length) {
      // A full chunk's length in doubles is twice its points: the next one has twice the points, up to CHUNK.
      last = new Float64Array(2 * (last ? Math.min(CHUNK, last.length) : FIRST_CHUNK));
      this.chunks.push(last);
      this.starts.push(this.count);
      at = 0;
    }
    last[2 * at] = t;
    last[2 * at + 1] = v;
    this.count++;
  }

  /** The point at `index` (negative counts from the end, as Array.prototype.at), or undefined. */
  at(index: number): Point | undefined {
    const i = index < 0 ? this.count + index : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.count) return undefined;
    let c = this.chunks.length - 1;
    while (this.starts[c]! > i) c--;
    const chunk = this.chunks[c]!;
    const k = 2 * (i - this.starts[c]!);
    return [chunk[k]!, chunk[k + 1]!];
  }

  /** The points `keep` accepts, as a new array. */
  filter(keep: (point: Point, index: number) => boolean): Point[] {
    const out: Point[] = [];
    let i = 0;
    for (const p of this) if (keep(p, i++)) out.push(p);
    return out;
  }

  /** Every point as a new [t, v] array: what run.json and the live view are built from. */
  toArray(): Point[] {
    return this.filter(() => true);
  }

  /** Serialises as the [[t, v], …] array it replaced. */
  toJSON(): Point[] {
    return this.toArray();
  }

  *[Symbol.iterator](): Iterator<Point> {
    let left = this.count;
    for (const chunk of this.chunks) {
      for (let k = 0; k < chunk.length && left > 0; k += 2, left--) yield [chunk[k]!, chunk[k + 1]!];
    }
  }
}
