// Two printouts of one definition cut down to where they differ, so a finding can show both forms in one short line.

const CONTEXT = 32;

/** Whitespace runs (the server's line breaks and indentation) shown as one space. */
const flat = (s: string): string => s.replace(/\s+/g, ' ').trim();

function window(s: string, from: number, to: number, room: number): string {
  let start = Math.max(0, from - CONTEXT);
  // Begin at a word when one starts close by, so the excerpt does not open mid-name.
  const space = start > 0 ? s.lastIndexOf(' ', start) : -1;
  if (space >= 0 && from - space <= 2 * CONTEXT) start = space + 1;
  const end = Math.min(s.length, Math.max(to + CONTEXT, start + 1), start + room);
  return `${start > 0 ? '…' : ''}${s.slice(start, end)}${end < s.length ? '…' : ''}`;
}

/**
 * The part of each form from a little before the first differing character to a little after the last one (at most
 * `room` characters each), e.g. `…kind)::text = ANY (ARRAY['debit'::text])…` against `…ANY (ARRAY['debit'::text, 'fee'::text])…`.
 */
export function contrast(source: string, restored: string, room = 96): { source: string; restored: string } {
  const a = flat(source);
  const b = flat(restored);
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let q = 0;
  while (q < a.length - p && q < b.length - p && a[a.length - 1 - q] === b[b.length - 1 - q]) q++;
  return { source: window(a, p, a.length - q, room), restored: window(b, p, b.length - q, room) };
}
