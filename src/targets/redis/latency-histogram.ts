// LATENCY HISTOGRAM (Redis >= 7.0): per command, calls and a cumulative histogram over power-of-two microsecond buckets.

/** One command's histogram: `buckets[i]` = [upper bound in µs, calls at or below it], cumulative, ascending. */
export interface CommandHistogram {
  calls: number;
  buckets: Array<[number, number]>;
}

const pairs = (list: unknown[]): Array<[unknown, unknown]> => {
  const out: Array<[unknown, unknown]> = [];
  for (let i = 0; i + 1 < list.length; i += 2) out.push([list[i], list[i + 1]]);
  return out;
};

/** The server's reply (a flat map of command -> [`calls`, n, `histogram_usec`, [bucket, count, …]]) by command name. */
export function parseLatencyHistogram(reply: unknown): Map<string, CommandHistogram> {
  const out = new Map<string, CommandHistogram>();
  if (!Array.isArray(reply)) return out;
  for (const [name, body] of pairs(reply)) {
    if (typeof name !== 'string' || !Array.isArray(body)) continue;
    const fields = new Map(pairs(body).map(([k, v]) => [String(k), v]));
    const raw = fields.get('histogram_usec');
    const buckets = Array.isArray(raw) ? pairs(raw).map(([b, c]) => [Number(b), Number(c)] as [number, number]) : [];
    out.set(name.toLowerCase(), { calls: Number(fields.get('calls') ?? 0), buckets: buckets.sort((a, b) => a[0] - b[0]) });
  }
  return out;
}

/** The calls of `after` not yet in `before`, per bucket (a cumulative histogram minus an earlier one). */
export function histogramDelta(before: CommandHistogram | undefined, after: CommandHistogram): CommandHistogram {
  const prior = new Map(before?.buckets ?? []);
  // A bucket absent earlier holds, cumulatively, what the largest earlier bucket below it held.
  const priorAt = (bound: number): number => {
    let best = 0;
    for (const [b, c] of prior) if (b <= bound && c > best) best = c;
    return best;
  };
  return { calls: after.calls - (before?.calls ?? 0), buckets: after.buckets.map(([b, c]) => [b, c - priorAt(b)]) };
}

/**
 * The upper bound (µs) of the bucket holding the p-th percentile of a cumulative histogram: "p99 ≤ 64 µs". Buckets are
 * powers of two, so this is at most twice the true value; undefined without calls.
 */
export function percentileBound(h: CommandHistogram, p: number): number | undefined {
  if (h.calls <= 0) return undefined;
  const rank = Math.ceil((p / 100) * h.calls);
  for (const [bound, cumulative] of h.buckets) if (cumulative >= rank) return bound;
  return h.buckets[h.buckets.length - 1]?.[0];
}
