// Pure analysis of pg_stat_activity rows for pool.server: headroom, states, idle-in-transaction and long-idle groups.

export interface SessionRow {
  pid: number;
  datname: string | null;
  usename: string | null;
  application_name: string | null;
  client_addr: string | null;
  /** NULL when the role may not see other roles' sessions (needs pg_read_all_stats). */
  state: string | null;
  state_s: number | null;
  xact_s: number | null;
  self: boolean;
}

export interface ConnectionSettings {
  max_connections: number;
  superuser_reserved: number;
  reserved: number;
}

export interface SessionGroup {
  application: string;
  client: string;
  database: string;
  count: number;
  /** Longest time in the state, seconds. */
  longestS: number;
}

export interface ServerAnalysis {
  usable: number;
  used: number;
  /** Free share of usable slots, 0..1. */
  headroom: number;
  byState: Record<string, number>;
  hidden: number;
  idleInTransaction: SessionGroup[];
  longIdle: SessionGroup[];
}

const IN_TX = new Set(['idle in transaction', 'idle in transaction (aborted)']);

/** stackprobe's own sessions are counted against max_connections but never reported as the app's problem. */
function ours(r: SessionRow): boolean {
  return r.self || (r.application_name ?? '').startsWith('stackprobe');
}

export function stateTag(state: string | null): string {
  return state === null ? 'hidden' : state.replace(/[^a-z]+/gi, '_').replace(/^_|_$/g, '');
}

function group(rows: SessionRow[], age: (r: SessionRow) => number): SessionGroup[] {
  const groups = new Map<string, SessionGroup>();
  for (const r of rows) {
    const g = { application: r.application_name || '(no application_name)', client: r.client_addr ?? 'local socket', database: r.datname ?? '?' };
    const key = `${g.application}\0${g.client}\0${g.database}`;
    const cur = groups.get(key) ?? { ...g, count: 0, longestS: 0 };
    cur.count++;
    cur.longestS = Math.max(cur.longestS, age(r));
    groups.set(key, cur);
  }
  return [...groups.values()].sort((a, b) => b.longestS - a.longestS);
}

export function analyseSessions(rows: SessionRow[], s: ConnectionSettings, limits: { idleInTransactionS: number; longIdleS: number }): ServerAnalysis {
  const usable = Math.max(1, s.max_connections - s.superuser_reserved - s.reserved);
  const used = rows.length;
  const byState: Record<string, number> = {};
  for (const r of rows) byState[stateTag(r.state)] = (byState[stateTag(r.state)] ?? 0) + 1;
  const theirs = rows.filter((r) => !ours(r));
  // An open transaction holds its locks and snapshot since xact_start; state_change is when it went idle.
  const idleTx = theirs.filter((r) => r.state !== null && IN_TX.has(r.state) && (r.state_s ?? 0) > limits.idleInTransactionS);
  const longIdle = theirs.filter((r) => r.state === 'idle' && (r.state_s ?? 0) > limits.longIdleS);
  return {
    usable,
    used,
    headroom: Math.max(0, (usable - used) / usable),
    byState,
    hidden: rows.filter((r) => r.state === null).length,
    idleInTransaction: group(idleTx, (r) => r.state_s ?? 0),
    longIdle: group(longIdle, (r) => r.state_s ?? 0),
  };
}

/** "billing (10.0.0.5, db app): 2, longest 7.2 min; …" */
export function describeGroups(groups: SessionGroup[], words: (s: number) => string, max = 5): string {
  const shown = groups.slice(0, max).map((g) => `${g.application} from ${g.client} on ${g.database}: ${g.count}, longest ${words(g.longestS)}`);
  return shown.join('; ') + (groups.length > max ? `; and ${groups.length - max} more groups` : '');
}
