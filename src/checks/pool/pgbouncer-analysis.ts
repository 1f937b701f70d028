// Pure reading of PgBouncer's SHOW POOLS / SHOW STATS / SHOW CONFIG rows into the figures pool.pgbouncer reports.
import { num, type AdminRow } from '../../targets/pgbouncer/admin.js';

export interface PoolState {
  database: string;
  user: string;
  mode: string;
  clActive: number;
  clWaiting: number;
  svActive: number;
  svIdle: number;
  /** Longest current client wait, ms (maxwait seconds + maxwait_us). */
  maxWaitMs: number;
}

/** The application's pools: the admin console's own virtual pool is left out. */
export function readPools(rows: AdminRow[]): PoolState[] {
  return rows
    .filter((r) => r.database !== 'pgbouncer')
    .map((r) => ({
      database: r.database ?? '?',
      user: r.user ?? '?',
      mode: r.pool_mode ?? '',
      clActive: num(r, 'cl_active'),
      clWaiting: num(r, 'cl_waiting'),
      svActive: num(r, 'sv_active'),
      svIdle: num(r, 'sv_idle'),
      maxWaitMs: num(r, 'maxwait') * 1000 + num(r, 'maxwait_us') / 1000,
    }));
}

export interface PoolTotals {
  clActive: number;
  clWaiting: number;
  svActive: number;
  maxWaitMs: number;
}

export function totals(pools: PoolState[]): PoolTotals {
  return pools.reduce(
    (t, p) => ({ clActive: t.clActive + p.clActive, clWaiting: t.clWaiting + p.clWaiting, svActive: t.svActive + p.svActive, maxWaitMs: Math.max(t.maxWaitMs, p.maxWaitMs) }),
    { clActive: 0, clWaiting: 0, svActive: 0, maxWaitMs: 0 },
  );
}

export interface DatabaseStats {
  database: string;
  transactions: number;
  /**
   * Average wait for a server connection per transaction since PgBouncer started, ms (total_wait_time /
   * total_xact_count: SHOW STATS's own avg_wait_time divides by new clients, which overstates it for long-lived clients).
   */
  avgWaitMs: number;
  avgXactMs: number;
}

export function readStats(rows: AdminRow[]): DatabaseStats[] {
  return rows
    .filter((r) => r.database !== 'pgbouncer')
    .map((r) => ({
      database: r.database ?? '?',
      transactions: num(r, 'total_xact_count'),
      avgWaitMs: num(r, 'total_xact_count') > 0 ? num(r, 'total_wait_time') / num(r, 'total_xact_count') / 1000 : 0,
      avgXactMs: num(r, 'avg_xact_time') / 1000,
    }));
}

const CONFIG_KEYS = ['pool_mode', 'default_pool_size', 'min_pool_size', 'reserve_pool_size', 'max_client_conn', 'max_db_connections', 'server_idle_timeout', 'query_wait_timeout', 'max_prepared_statements'];

export function readConfig(rows: AdminRow[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) if (r.key && CONFIG_KEYS.includes(r.key)) out[r.key] = r.value ?? '';
  return out;
}

/** The server a PgBouncer database entry points at (SHOW DATABASES), or undefined for a socket or an unknown name. */
export function serverFor(rows: AdminRow[], database: string): { host: string; port: number; database: string } | undefined {
  const row = rows.find((r) => r.name === database) ?? rows.find((r) => r.name === '*');
  const host = row?.host ?? '';
  if (!row || host === '' || host.startsWith('/')) return undefined;
  return { host, port: num(row, 'port') || 5432, database: row.database || database };
}
