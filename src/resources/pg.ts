// PostgreSQL's own counters for the target database (pg_stat_database), as per-second deltas, plus its connections.
import type { GaugeDecl } from '../metrics/declare.js';
import { PG_BLKS_HIT_PER_S, PG_BLKS_READ_PER_S, PG_COMMITS_PER_S, PG_CONNECTIONS, PG_DEADLOCKS_PER_S, PG_ROLLBACKS_PER_S, PG_TEMP_FILES_PER_S, PG_TEMP_MB_PER_S } from './metrics.js';
import type { Reading, ResourceSource } from './types.js';

/** Named catalog query: the cumulative counters of the current database and its backends. */
export const PG_STAT_DATABASE = `SELECT xact_commit::float8 AS commits, xact_rollback::float8 AS rollbacks, blks_hit::float8 AS blks_hit,
  blks_read::float8 AS blks_read, temp_files::float8 AS temp_files, temp_bytes::float8 AS temp_bytes, deadlocks::float8 AS deadlocks,
  numbackends::float8 AS connections
  FROM pg_stat_database WHERE datname = current_database()`;

type Row = Record<'commits' | 'rollbacks' | 'blks_hit' | 'blks_read' | 'temp_files' | 'temp_bytes' | 'deadlocks' | 'connections', number>;
const RATES: Array<[keyof Row, GaugeDecl]> = [
  ['commits', PG_COMMITS_PER_S], ['rollbacks', PG_ROLLBACKS_PER_S], ['blks_hit', PG_BLKS_HIT_PER_S],
  ['blks_read', PG_BLKS_READ_PER_S], ['temp_files', PG_TEMP_FILES_PER_S], ['temp_bytes', PG_TEMP_MB_PER_S],
  ['deadlocks', PG_DEADLOCKS_PER_S],
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
    const out: Reading[] = [{ metric: PG_CONNECTIONS, value: row.connections }];
    if (this.prev) {
      const sec = Math.max((at - this.prev.at) / 1000, 1e-3);
      for (const [key, decl] of RATES) {
        const scale = key === 'temp_bytes' ? 1024 * 1024 : 1;
        // A stats reset makes a counter go backwards: report 0 for that second rather than a negative rate.
        out.push({ metric: decl, value: Math.max(0, row[key] - this.prev.row[key]) / scale / sec });
      }
    }
    this.prev = { row, at };
    return out;
  }
}
