// Pure: turns pg_stat_statements rows into the three top lists (total time, mean time, calls) with derived shares.

export interface StatementRow {
  queryid: string;
  query: string;
  role: string | null;
  calls: number;
  total_ms: number;
  mean_ms: number;
  stddev_ms: number;
  max_ms: number;
  rows: number;
  shared_hit: number;
  shared_read: number;
  temp_blocks: number;
}

/** A row as it is reported: the buffer counts become a hit share, and the statement's share of all time is added. */
export interface RankedStatement extends Omit<StatementRow, 'shared_hit' | 'shared_read'> {
  /** Shared buffers found in cache over all shared buffers touched; null when it touched none. */
  hit_share: number | null;
  /** This statement's execution time over all statements' of the database. */
  time_share: number;
}

export interface TopLists {
  totalMs: number;
  statements: number;
  byTotal: RankedStatement[];
  byMean: RankedStatement[];
  byCalls: RankedStatement[];
}

const round = (v: number, d = 3) => Math.round(v * 10 ** d) / 10 ** d;

export function rank(rows: StatementRow[], top: number, minCalls: number): TopLists {
  const totalMs = rows.reduce((t, r) => t + r.total_ms, 0);
  const ranked = rows.map((r): RankedStatement => {
    const touched = r.shared_hit + r.shared_read;
    return {
      queryid: r.queryid, query: r.query, role: r.role, calls: r.calls, total_ms: round(r.total_ms), mean_ms: round(r.mean_ms),
      stddev_ms: round(r.stddev_ms), max_ms: round(r.max_ms), rows: r.rows,
      hit_share: touched > 0 ? round(r.shared_hit / touched, 4) : null,
      temp_blocks: r.temp_blocks,
      time_share: totalMs > 0 ? round(r.total_ms / totalMs, 4) : 0,
    };
  });
  const by = (key: (s: RankedStatement) => number, pool = ranked) => [...pool].sort((a, b) => key(b) - key(a)).slice(0, top);
  return {
    totalMs: round(totalMs),
    statements: rows.length,
    byTotal: by((s) => s.total_ms),
    // A statement called once or twice (a migration, a report) says little about the application's steady state.
    byMean: by((s) => s.mean_ms, ranked.filter((s) => s.calls >= minCalls)),
    byCalls: by((s) => s.calls),
  };
}
