// Plain-words findings of pool.pgbouncer: waiting clients, wait times, and what the pool mode means for the application.
import type { CheckContext } from '../types.js';
import { round } from './acquire.js';
import type { DatabaseStats, PoolState } from './pgbouncer-analysis.js';
import { plural } from './words.js';

export function pgbouncerFindings(ctx: CheckContext, a: { pools: PoolState[]; stats: DatabaseStats[]; config: Record<string, string> }): void {
  const { pools, stats, config } = a;
  const size = config.default_pool_size ?? '?';
  for (const p of pools.filter((x) => x.clWaiting > 0 || x.maxWaitMs >= ctx.config.thresholds.connection_time_ms)) {
    ctx.finding({
      severity: p.maxWaitMs >= ctx.config.pool.pgbouncer_max_wait_ms ? 'error' : 'warn',
      subject: `${p.database}/${p.user}`,
      title: `${plural(p.clWaiting, 'client')} waiting for a server connection in PgBouncer pool ${p.database}/${p.user} (longest ${round(p.maxWaitMs)} ms; ${p.svActive} server connections busy)`,
      recommendation: `Clients queue in PgBouncer when all ${size} server connections (default_pool_size) are busy: shorten transactions, or raise default_pool_size / reserve_pool_size if PostgreSQL has connection headroom (see pool.server).`,
      data: { ...p },
    });
  }
  for (const s of stats.filter((x) => x.avgWaitMs >= ctx.config.thresholds.connection_time_ms)) {
    ctx.finding({
      severity: 'warn',
      subject: s.database,
      title: `Clients of ${s.database} waited ${round(s.avgWaitMs)} ms per transaction on average for a server connection since PgBouncer started`,
      recommendation: 'Waits in PgBouncer add to every request: raise default_pool_size if the server has headroom, or find long transactions holding server connections.',
      data: { ...s },
    });
  }
  const mode = config.pool_mode ?? pools[0]?.mode ?? 'unknown';
  ctx.finding({
    severity: 'info',
    subject: 'pool_mode',
    title: `PgBouncer runs pool_mode=${mode} with default_pool_size=${size}, max_client_conn=${config.max_client_conn ?? '?'}`,
    detail: MODE_WORDS[mode] ?? '',
    data: { ...config },
  });
}

const MODE_WORDS: Record<string, string> = {
  transaction: 'A server connection is lent per transaction, so many clients share few server connections. Session state does not survive between transactions: SET, session advisory locks, LISTEN and (before PgBouncer 1.21, or with max_prepared_statements=0) named prepared statements break.',
  session: 'Each client keeps a server connection for its whole session: PgBouncer saves connection set-up but not server connections; transaction pooling multiplexes many more clients if the application keeps no session state.',
  statement: 'A server connection is lent per statement: multi-statement transactions are refused.',
};
