// load.replay: reads the application's statements from pg_stat_statements on a read-only session (version-dependent
// column names from health), and the per-statement server time of a window (a before/after difference).
import type { PgPool } from '../../targets/pg/types.js';
import { SkipCheck } from '../../util/errors.js';
import { EXTENSION_SQL, statementsSql } from '../health/statements-sql.js';
import type { PgssStatement } from './replay-select.js';

const NOT_PRELOADED = '55000';

export interface PgssRow extends PgssStatement {
  total_ms: number;
}

export interface PgssReader {
  read(): Promise<PgssRow[]>;
}

/** Reads through the pool, a session per read, so a session lost while the stages run is replaced, not fatal. */
export async function pgssReader(client: Pick<PgPool, 'query'>): Promise<PgssReader> {
  const ext = (await client.query<{ version: string; schema: string }>(EXTENSION_SQL)).rows[0];
  if (!ext) throw new SkipCheck('pg_stat_statements is not installed in this database (CREATE EXTENSION pg_stat_statements, with it in shared_preload_libraries): there is no statement mix to replay');
  const sql = statementsSql(ext.version, ext.schema);
  return {
    async read() {
      try {
        return (await client.query<PgssRow>(sql)).rows;
      } catch (err) {
        if ((err as { code?: string }).code === NOT_PRELOADED) throw new SkipCheck('pg_stat_statements is installed but not in shared_preload_libraries: there is no statement mix to replay');
        throw err;
      }
    },
  };
}

/** Server execution time per call of each queryid between two readings (all roles together); absent without new calls. */
export function serverMeans(before: PgssRow[], after: PgssRow[]): Map<string, number> {
  const sum = (rows: PgssRow[]) => {
    const m = new Map<string, { calls: number; total: number }>();
    for (const r of rows) {
      const e = m.get(r.queryid) ?? { calls: 0, total: 0 };
      e.calls += r.calls;
      e.total += r.total_ms;
      m.set(r.queryid, e);
    }
    return m;
  };
  const b = sum(before);
  const out = new Map<string, number>();
  for (const [id, a] of sum(after)) {
    const p = b.get(id) ?? { calls: 0, total: 0 };
    const calls = a.calls - p.calls;
    if (calls > 0) out.set(id, Math.max(0, a.total - p.total) / calls);
  }
  return out;
}
