// Plain-words phrasing shared by the pool checks' findings.

/** "37× slower to open than to reuse" / "about the same". */
export function ratioWords(slow: number, fast: number): string {
  if (fast <= 0) return 'no pooled figure to compare';
  const r = slow / fast;
  if (r < 1.5) return 'about the same, so pooling saves little here';
  return `opening a connection is ${r >= 10 ? Math.round(r) : Math.round(r * 10) / 10}× slower than reusing one`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** 75 -> "75 s", 400 -> "6.7 min", 9000 -> "2.5 h". */
export function durationWords(seconds: number): string {
  if (seconds < 10) return `${Math.round(seconds * 10) / 10} s`;
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 6) / 10} min`;
  return `${Math.round(seconds / 360) / 10} h`;
}
