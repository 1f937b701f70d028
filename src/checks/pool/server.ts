// pool.server: the server's side of pooling — max_connections headroom, sessions by state, idle in transaction, long idle.
import type { Check, CheckContext } from '../types.js';
import { CLIENT_SESSIONS, CONNECTION_SETTINGS } from './server-queries.js';
import { analyseSessions, describeGroups, type ServerAnalysis, type SessionRow } from './server-analysis.js';
import { durationWords, plural } from './words.js';
import { CONNECTIONS, CONNECTIONS_USABLE, CONNECTIONS_USED, CONNECTION_HEADROOM, IDLE_IN_TRANSACTION_SESSIONS, LONG_IDLE_CONNECTIONS } from './metrics.js';

interface SettingsRow {
  max_connections: number;
  superuser_reserved: number;
  reserved: number;
  idle_in_transaction_session_timeout: string;
  idle_session_timeout: string | null;
}

/** PostgreSQL shows a disabled timeout as "0". */
const disabled = (v: string | null) => v === null || v === '0';

export const serverCheck: Check = {
  id: 'pool.server',
  category: 'pool',
  title: 'Server connections: headroom, idle in transaction, long idle',
  needs: ['pg'],
  metrics: [CONNECTIONS, CONNECTIONS_USABLE, CONNECTIONS_USED, CONNECTION_HEADROOM, IDLE_IN_TRANSACTION_SESSIONS, LONG_IDLE_CONNECTIONS],
  writes: false,
  thresholds: (config) => ({
    connection_headroom: [{ fail: 'value>0', warn: `value>=${config.pool.min_headroom}` }],
    idle_in_transaction_sessions: [{ warn: 'count==0' }],
  }),
  async run(ctx) {
    const admin = ctx.targets.pg!.admin;
    const settings = (await admin.query<SettingsRow>(CONNECTION_SETTINGS)).rows[0]!;
    const rows = (await admin.query<SessionRow>(CLIENT_SESSIONS)).rows;
    const cfg = ctx.config.pool;
    const a = analyseSessions(rows, settings, { idleInTransactionS: cfg.idle_in_transaction_s, longIdleS: cfg.long_idle_s });
    record(ctx, a, settings);
    findings(ctx, a, settings);
  },
};

function record(ctx: CheckContext, a: ServerAnalysis, s: SettingsRow): void {
  const m = ctx.metrics;
  m.headline('connection_headroom');
  m.gauge(CONNECTION_HEADROOM).set(a.headroom);
  m.gauge(CONNECTIONS_USED).set(a.used);
  m.gauge(CONNECTIONS_USABLE).set(a.usable);
  for (const [state, n] of Object.entries(a.byState)) m.gauge(CONNECTIONS, { state }).set(n);
  m.counter(IDLE_IN_TRANSACTION_SESSIONS).add(a.idleInTransaction.reduce((n, g) => n + g.count, 0));
  m.counter(LONG_IDLE_CONNECTIONS).add(a.longIdle.reduce((n, g) => n + g.count, 0));
  ctx.info('server', {
    max_connections: s.max_connections, superuser_reserved_connections: s.superuser_reserved, reserved_connections: s.reserved,
    used: a.used, by_state: a.byState, idle_in_transaction_session_timeout: s.idle_in_transaction_session_timeout,
    idle_session_timeout: s.idle_session_timeout,
  });
}

function findings(ctx: CheckContext, a: ServerAnalysis, s: SettingsRow): void {
  const cfg = ctx.config.pool;
  const pct = Math.round(a.headroom * 100);
  const slots = `${a.used} of ${a.usable} usable connection slots in use (${pct}% free; max_connections ${s.max_connections}, ${s.superuser_reserved} reserved for superusers)`;
  ctx.finding({
    severity: a.headroom <= 0 ? 'error' : a.headroom < cfg.min_headroom ? 'warn' : 'info',
    subject: 'max_connections',
    title: slots,
    ...(a.headroom < cfg.min_headroom
      ? { recommendation: 'Put PgBouncer (transaction pooling) in front of PostgreSQL or shrink per-instance pool sizes; raising max_connections costs memory per connection.' }
      : {}),
    data: { used: a.used, usable: a.usable, headroom: a.headroom },
  });
  const iit = a.idleInTransaction.reduce((n, g) => n + g.count, 0);
  if (iit > 0) {
    const longest = Math.max(...a.idleInTransaction.map((g) => g.longestS));
    ctx.finding({
      severity: 'warn',
      subject: 'idle in transaction',
      title: `${plural(iit, 'session')} idle in transaction for over ${durationWords(cfg.idle_in_transaction_s)} (longest ${durationWords(longest)}) hold locks and a snapshot that stops vacuum`,
      detail: describeGroups(a.idleInTransaction, durationWords),
      recommendation: disabled(s.idle_in_transaction_session_timeout)
        ? 'Set idle_in_transaction_session_timeout (e.g. 60s) so forgotten transactions end, and find the code path that opens a transaction and waits (often a transaction held across a network call).'
        : `idle_in_transaction_session_timeout is ${s.idle_in_transaction_session_timeout}; lower it, and find the code path that keeps a transaction open while waiting.`,
      data: { sessions: iit, groups: a.idleInTransaction },
    });
  }
  const idle = a.longIdle.reduce((n, g) => n + g.count, 0);
  if (idle > 0) {
    ctx.finding({
      severity: a.headroom < cfg.min_headroom ? 'warn' : 'info',
      subject: 'long idle',
      title: `${plural(idle, 'connection')} idle for over ${durationWords(cfg.long_idle_s)} hold connection slots`,
      detail: describeGroups(a.longIdle, durationWords),
      recommendation: `Give the application pools an idle timeout (node-postgres idleTimeoutMillis, SQLAlchemy pool_recycle) or set idle_session_timeout${disabled(s.idle_session_timeout) ? ' (now off)' : ''}; PgBouncer's server_idle_timeout does this in front of the server.`,
      data: { connections: idle, groups: a.longIdle },
    });
  }
  if (a.hidden > 0) {
    ctx.finding({
      severity: 'info',
      subject: 'privileges',
      title: `${plural(a.hidden, 'session')} of other roles could not be inspected`,
      recommendation: 'Grant pg_read_all_stats to the role stackprobe uses so the states of every session are visible.',
    });
  }
}
