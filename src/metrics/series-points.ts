// The points of one time series while a check records it: times and values side by side in one Float64Array.
// A series gains a point a second for the whole run and is the run's own record (its charts), so it is kept whole; kept
// as [t, v] arrays each point cost ~72 bytes of V8 heap (an array, its backing store, a slot in the outer array), which
// was most of what a long load run still held after a full GC (bench figure 5). Here a point costs 16 bytes (up to 32
// while the store has room to grow into).

export type Point = [t: number, v: number];

/** Points of the store before it first grows: a short series (a sweep's rounds) stays small. */
const INITIAL_POINTS = 16;

export class SeriesPoints implements Iterable<Point> {
  /** t0, v0, t1, v1, …; the first `2 × length` slots are points, the rest room to grow. */
  private data = new Float64Array(2 * INITIAL_POINTS);
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
    if (2 * this.count === this.data.length) {
      const grown = new Float64Array(2 * this.data.length);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[2 * this.count] = t;
    this.data[2 * this.count + 1] = v;
    this.count++;
  }

  /** The point at `index` (negative counts from the end, as Array.prototype.at), or undefined. */
  at(index: number): Point | undefined {
    const i = index < 0 ? this.count + index : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.count) return undefined;
    return [this.data[2 * i]!, this.data[2 * i + 1]!];
  }

  /** The points `keep` accepts, as a new array. */
  filter(keep: (point: Point, index: number) => boolean): Point[] {
    const out: Point[] = [];
    for (let i = 0; i < this.count; i++) {
      const p: Point = [this.data[2 * i]!, this.data[2 * i + 1]!];
      if (keep(p, i)) out.push(p);
    }
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
    for (let i = 0; i < this.count; i++) yield [this.data[2 * i]!, this.data[2 * i + 1]!];
  }
}
