// health.activity: what runs now — long statements and transactions, sessions idle in transaction, who blocks whom
// (on which lock), and the oldest xmin holder keeping vacuum from cleaning up. Query texts only as fingerprints.
import type { Check, CheckContext } from '../types.js';
import { SESSIONS_SQL, WAITS_SQL, XMIN_HOLDERS_SQL } from './activity-sql.js';
import { blockedCount, blockingTree, describeSession, treeText, type Session, type TreeNode } from './activity-tree.js';
import { healthSession, type HealthSession } from './session.js';
import { fingerprint } from './sql-text.js';
import { seconds } from './words.js';
import { BLOCKED_SESSIONS, IDLE_IN_TRANSACTION, LONGEST_QUERY_S, LONG_QUERIES, LONG_TRANSACTIONS, OLDEST_XMIN_AGE, SESSIONS } from './metrics.js';

interface SessionRow extends Omit<Session, 'fingerprint' | 'waits_for'> { query: string | null; wait_event: string | null }
interface WaitRow { pid: number; locktype: string; mode: string; granted: boolean; relation: string | null }
interface XminRow { kind: string; holder: string; age: number }

const HIDDEN = '<insufficient privilege>';

export const activityCheck: Check = {
  id: 'health.activity',
  category: 'health',
  title: 'Activity: long statements and transactions, blocked sessions and their blockers, idle in transaction, oldest xmin',
  needs: ['pg'],
  metrics: [BLOCKED_SESSIONS, IDLE_IN_TRANSACTION, LONGEST_QUERY_S, LONG_QUERIES, LONG_TRANSACTIONS, OLDEST_XMIN_AGE, SESSIONS],
  writes: false,
  thresholds: (config) => {
    const a = config.health.activity;
    return {
      longest_query_s: [{ fail: `value<${a.long_query_fail_s}`, warn: `value<${a.long_query_warn_s}` }],
      long_transactions: [{ warn: 'count==0' }],
      idle_in_transaction: [{ warn: 'count==0' }],
      blocked_sessions: [{ warn: 'count==0' }],
      oldest_xmin_age: [{ warn: `value<${a.xmin_age_warn_xids}` }],
    };
  },
  async run(ctx) {
    const m = ctx.metrics;
    m.headline('longest_query_s');
    const db = await healthSession(ctx, 'stackprobe-health');
    const sessions = await readSessions(db);
    const xmin = await db.query<XminRow>(XMIN_HOLDERS_SQL);
    judge(ctx, sessions, xmin);
  },
};

async function readSessions(db: HealthSession): Promise<Session[]> {
  const rows = await db.query<SessionRow>(SESSIONS_SQL);
  const waiting = rows.filter((r) => r.blocked_by.length > 0).map((r) => r.pid);
  const waits = waiting.length > 0 ? await db.query<WaitRow>(WAITS_SQL, [waiting]) : [];
  return rows.map(({ query, wait_event: _e, ...r }) => {
    const mine = waits.filter((w) => w.pid === r.pid);
    const pending = mine.find((w) => !w.granted);
    const row = mine.find((w) => w.locktype === 'tuple')?.relation;
    const on = pending ? `${pending.mode} on ${pending.locktype === 'relation' ? `table ${pending.relation}` : pending.locktype}${pending.locktype !== 'relation' && (pending.relation ?? row) ? ` (a row of ${pending.relation ?? row})` : ''}` : undefined;
    return {
      ...r,
      fingerprint: query === null ? '' : query === HIDDEN ? HIDDEN : fingerprint(query),
      ...(on ? { waits_for: on } : {}),
    };
  });
}

function judge(ctx: CheckContext, sessions: Session[], xmin: XminRow[]): void {
  const cfg = ctx.config.health.activity;
  const m = ctx.metrics;
  const active = sessions.filter((s) => s.state === 'active');
  const longQueries = active.filter((s) => s.blocked_by.length === 0 && (s.query_s ?? 0) > cfg.long_query_warn_s);
  const longXacts = sessions.filter((s) => (s.xact_s ?? 0) > cfg.long_transaction_warn_s);
  const idleInXact = sessions.filter((s) => s.state?.startsWith('idle in transaction') && (s.state_s ?? 0) > cfg.idle_in_transaction_warn_s);
  const blocked = sessions.filter((s) => s.blocked_by.length > 0 && (s.query_s ?? 0) > cfg.blocked_warn_s);
  m.gauge(LONGEST_QUERY_S).set(Math.max(0, ...active.map((s) => s.query_s ?? 0)));
  m.counter(LONG_QUERIES).add(longQueries.length);
  m.counter(LONG_TRANSACTIONS).add(longXacts.length);
  m.counter(IDLE_IN_TRANSACTION).add(idleInXact.length);
  m.counter(BLOCKED_SESSIONS).add(blocked.length);
  const byState = new Map<string, number>();
  for (const s of sessions) byState.set(s.state ?? 'unknown', (byState.get(s.state ?? 'unknown') ?? 0) + 1);
  for (const [state, n] of byState) m.gauge(SESSIONS, { state }).set(n);
  const oldest = [...xmin].sort((a, b) => b.age - a.age)[0];
  m.gauge(OLDEST_XMIN_AGE).set(oldest?.age ?? 0);

  // A lock held for a moment is normal: a tree is reported when one of its waiters has waited past blocked_warn_s.
  const late = new Set(blocked.map((s) => s.pid));
  const hasLate = (n: TreeNode): boolean => n.blocks.some((c) => late.has(c.pid) || hasLate(c));
  const roots = blockingTree(sessions).filter(hasLate);
  ctx.info('blocking_tree', treeText(roots));
  // The 50 oldest transactions or states: a busy server has hundreds of idle sessions that say nothing.
  ctx.info('sessions', [...sessions].sort((a, b) => (b.xact_s ?? b.state_s ?? 0) - (a.xact_s ?? a.state_s ?? 0)).slice(0, 50));
  ctx.info('xmin_holders', xmin);
  for (const s of longQueries) {
    ctx.finding({
      severity: (s.query_s ?? 0) > cfg.long_query_fail_s ? 'error' : 'warn',
      subject: `pid ${s.pid}`,
      title: `long-running statement: ${describeSession(s, s.pid)}`,
      recommendation: `Find why it takes ${seconds(s.query_s ?? 0)} (health.statements has its plan when it recurs); cancel it with SELECT pg_cancel_backend(${s.pid}) if it should not run; a statement_timeout for ${s.application || 'its role'} bounds the next one.`,
      data: { ...s },
    });
  }
  for (const root of roots) {
    const n = blockedCount(root);
    ctx.finding({
      severity: 'warn',
      subject: `pid ${root.pid}`,
      title: `pid ${root.pid} (${root.session?.application || 'no application_name'}, ${root.session?.state ?? 'not in this database'}) blocks ${n} session${n === 1 ? '' : 's'}`,
      detail: treeText([root]),
      recommendation: root.session?.state?.startsWith('idle in transaction')
        ? `The blocker is idle in transaction: the application opened a transaction and stopped talking. End it with SELECT pg_terminate_backend(${root.pid}) if needed, fix the code path, and set idle_in_transaction_session_timeout.`
        : `Let pid ${root.pid} finish or cancel it (SELECT pg_cancel_backend(${root.pid})); keep transactions that lock rows short, and give waiters a lock_timeout.`,
      data: { root: root.pid, blocked: n },
    });
  }
  for (const s of idleInXact) {
    ctx.finding({
      severity: 'warn',
      subject: `pid ${s.pid}`,
      title: `idle in transaction: ${describeSession(s, s.pid)}`,
      detail: 'An open transaction keeps its locks and its snapshot: it blocks writers of the same rows and stops vacuum from removing dead rows.',
      recommendation: 'Commit or roll back before waiting on anything else (network calls, user input); set idle_in_transaction_session_timeout so forgotten transactions end.',
      data: { ...s },
    });
  }
  // Each session once: the idle ones, the long statements and the blocked ones have their own findings.
  for (const s of longXacts.filter((x) => !idleInXact.includes(x) && !longQueries.includes(x) && x.blocked_by.length === 0)) {
    ctx.finding({
      severity: 'warn',
      subject: `pid ${s.pid}`,
      title: `transaction open for ${seconds(s.xact_s ?? 0)}: ${describeSession(s, s.pid)}`,
      recommendation: 'Split the work into shorter transactions: a long one holds locks and keeps vacuum from cleaning up.',
      data: { ...s },
    });
  }
  if (oldest && oldest.age > cfg.xmin_age_warn_xids) {
    ctx.finding({
      severity: 'warn',
      subject: oldest.holder,
      title: `oldest xmin: ${oldest.kind} ${oldest.holder} is ${Math.round(oldest.age)} transactions behind`,
      detail: 'No row deleted or updated since that transaction began can be removed by vacuum anywhere on the server.',
      recommendation: oldest.kind === 'replication slot'
        ? 'Drop the slot if its consumer is gone (SELECT pg_drop_replication_slot(…)), or bring the consumer back.'
        : oldest.kind === 'prepared transaction'
          ? 'COMMIT PREPARED or ROLLBACK PREPARED it: a forgotten two-phase transaction never ends on its own.'
          : 'End that session\'s transaction; see the long-transaction and idle-in-transaction findings.',
      data: { ...oldest },
    });
  }
  if (sessions.some((s) => s.fingerprint === HIDDEN)) {
    ctx.finding({
      severity: 'info', subject: 'privileges',
      title: 'The statements of other roles\' sessions are hidden from this role',
      recommendation: 'Grant pg_monitor (or pg_read_all_stats) to the role stackprobe uses.',
    });
  }
}
