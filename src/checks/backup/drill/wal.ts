// WAL segment names and the continuity of an archive: every segment from the backup's start to the newest archived one, gaps named.
import { readdir } from 'node:fs/promises';

const SEGMENT = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/;

export interface Segment {
  timeline: number;
  segno: bigint;
  name: string;
}

export function parseSegment(name: string, segBytes: number): Segment | undefined {
  const m = SEGMENT.exec(name);
  if (!m) return undefined;
  const perLog = BigInt(0x100000000 / segBytes);
  return { timeline: Number.parseInt(m[1]!, 16), segno: BigInt(`0x${m[2]}`) * perLog + BigInt(`0x${m[3]}`), name };
}

export function segmentName(timeline: number, segno: bigint, segBytes: number): string {
  const perLog = BigInt(0x100000000 / segBytes);
  const hex = (n: bigint | number) => n.toString(16).toUpperCase().padStart(8, '0');
  return `${hex(timeline)}${hex(segno / perLog)}${hex(segno % perLog)}`;
}

export interface Continuity {
  /** Segments present from the start to the newest (any timeline at or after the start's). */
  present: number;
  newest: string | undefined;
  /** Missing segments, as runs: first and last name of each gap. */
  gaps: { from: string; to: string; count: number }[];
}

/** Checks that the archive holds every segment from `startName` on; a gap means a restore stops there (or fails) and loses what follows. */
export function continuity(names: string[], startName: string, segBytes: number): Continuity {
  const start = parseSegment(startName, segBytes);
  if (!start) throw new Error(`the backup's start segment ${startName} is not a WAL segment name`);
  const have = new Map<bigint, Segment>();
  for (const n of names) {
    const s = parseSegment(n, segBytes);
    if (!s || s.timeline < start.timeline || s.segno < start.segno) continue;
    const prev = have.get(s.segno);
    if (!prev || prev.timeline < s.timeline) have.set(s.segno, s);
  }
  const max = [...have.keys()].reduce((a, b) => (b > a ? b : a), start.segno);
  const gaps: Continuity['gaps'] = [];
  let tl = start.timeline;
  let open: { from: bigint; to: bigint } | undefined;
  const close = () => {
    if (open) gaps.push({ from: segmentName(tl, open.from, segBytes), to: segmentName(tl, open.to, segBytes), count: Number(open.to - open.from) + 1 });
    open = undefined;
  };
  for (let s = start.segno; s <= max; s++) {
    const seg = have.get(s);
    if (seg) { close(); tl = seg.timeline; continue; }
    if (open) open.to = s;
    else open = { from: s, to: s };
  }
  close();
  const newest = have.get(max);
  return { present: have.size, newest: newest?.name, gaps };
}

export async function archiveNames(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => SEGMENT.test(n));
}
