// PostgreSQL's own counters for the target database (pg_stat_database), as per-second deltas, plus its connections.
import type { Reading, ResourceSource } from './types.js';

/** Named catalog query: the cumulative counters of the current database and its backends. */
export const PG_STAT_DATABASE = `SELECT xact_commit::float8 AS commits, xact_rollback::float8 AS rollbacks, blks_hit::float8 AS blks_hit,
  blks_read::float8 AS blks_read, temp_files::float8 AS temp_files, temp_bytes::float8 AS temp_bytes, deadlocks::float8 AS deadlocks,
  numbackends::float8 AS connections
  FROM pg_stat_database WHERE datname = current_database()`;

type Row = Record<'commits' | 'rollbacks' | 'blks_hit' | 'blks_read' | 'temp_files' | 'temp_bytes' | 'deadlocks' | 'connections', number>;
const RATES: Array<[keyof Row, string, string]> = [
  ['commits', 'pg_commits_per_s', '/s'], ['rollbacks', 'pg_rollbacks_per_s', '/s'], ['blks_hit', 'pg_blks_hit_per_s', '/s'],
  ['blks_read', 'pg_blks_read_per_s', '/s'], ['temp_files', 'pg_temp_files_per_s', '/s'], ['temp_bytes', 'pg_temp_mb_per_s', 'MB/s'],
  ['deadlocks', 'pg_deadlocks_per_s', '/s'],
];

/**
 * What the sampler needs of the target's pool: one query. resources sits beside targets (docs/architecture.md), so it
 * names its own; the target's pools fit it.
 */
export interface StatsQuerier {
  query(text: string): Promise<{ rows: unknown[] }>;
}

export class PgStatsSource implements ResourceSource {
  readonly name = 'postgresql';
  private prev: { row: Row; at: number } | null = null;

  constructor(private readonly pool: StatsQuerier) {}

  async sample(): Promise<Reading[]> {
    const row = (await this.pool.query(PG_STAT_DATABASE)).rows[0] as Row | undefined;
    if (!row) return [];
    const at = performance.now();
    const out: Reading[] = [{ name: 'pg_connections', unit: '', value: row.connections }];
    if (this.prev) {
      const sec = Math.max((at - this.prev.at) / 1000, 1e-3);
      for (const [key, name, unit] of RATES) {
        const scale = key === 'temp_bytes' ? 1024 * 1024 : 1;
        // A stats reset makes a counter go backwards: report 0 for that second rather than a negative rate.
        out.push({ name, unit, value: Math.max(0, row[key] - this.prev.row[key]) / scale / sec });
      }
    }
    this.prev = { row, at };
    return out;
  }
}
