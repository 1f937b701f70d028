// load.replay: which pg_stat_statements entries are replayed — patterns (substrings or globs, never regexes), top N
// by calls, a minimum share of calls — and each chosen statement's share of the original mix.

export interface PgssStatement {
  queryid: string;
  query: string;
  calls: number;
  mean_ms: number;
  /**
   * The role that ran it (pg_stat_statements' userid; null when that role was dropped). Of a queryid several roles ran
   * (the same query tree), the role with the most calls.
   */
  role?: string | null;
}

export interface ChosenStatement extends PgssStatement {
  /** Share of the calls of the chosen statements (what the replay reproduces). */
  share: number;
  /** Share of every call of the database (how much of the real traffic the replay covers). */
  shareOfAll: number;
}

export interface Selection {
  chosen: ChosenStatement[];
  /** Calls of every statement of the database, for the coverage figure. */
  totalCalls: number;
  /** Statements left out by the patterns, the share floor or top. */
  leftOut: number;
}

/**
 * A pattern with `*` or `?` is a glob over the whole text; without, a substring. Both case-insensitive, matched with
 * a linear scan (a glob is compiled to a regex of literal pieces and `[\s\S]*`, which cannot backtrack catastrophically
 * because pieces are matched greedily from left to right by hand).
 */
export function matchesPattern(text: string, pattern: string): boolean {
  const t = text.toLowerCase();
  const p = pattern.toLowerCase();
  if (!/[*?]/.test(p)) return t.includes(p);
  return globMatch(t, p);
}

/** Iterative glob match with one backtrack point (the classic two-pointer algorithm): O(|text|·|pattern|) at worst. */
function globMatch(t: string, p: string): boolean {
  let ti = 0;
  let pi = 0;
  let star = -1;
  let mark = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === t[ti])) {
      ti++;
      pi++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = ti;
    } else if (star !== -1) {
      pi = star + 1;
      ti = ++mark;
    } else return false;
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** Statements that are stackprobe's own, or the monitoring of pg_stat_statements itself: never part of the app's mix. */
const OWN = /(^|[^\w$"])"?stackprobe"?\s*\.|pg_stat_statements|pg_prepared_statements|pg_stats\b/i;
const UTILITY = /^\s*(begin|commit|rollback|abort|start|end|set|reset|show|savepoint|release|deallocate|prepare|execute|discard|listen|unlisten|notify|vacuum|analyze|checkpoint|create|drop|alter|truncate|grant|revoke|copy|comment|lock|do|call|refresh|cluster|reindex|explain|fetch|declare|close|move)\b/i;

export interface SelectOptions {
  top: number;
  min_call_share?: number | undefined;
  include: string[];
  exclude: string[];
}

export function selectStatements(rows: PgssStatement[], o: SelectOptions): Selection {
  // The same queryid under several roles is one statement of the app.
  const byId = new Map<string, PgssStatement>();
  const roleCalls = new Map<string, number>();
  for (const r of rows) {
    const e = byId.get(r.queryid);
    if (!e) {
      byId.set(r.queryid, { ...r });
      roleCalls.set(r.queryid, r.calls);
    } else {
      const calls = e.calls + r.calls;
      e.mean_ms = calls > 0 ? (e.mean_ms * e.calls + r.mean_ms * r.calls) / calls : 0;
      e.calls = calls;
      if (r.calls > roleCalls.get(r.queryid)!) {
        e.role = r.role;
        roleCalls.set(r.queryid, r.calls);
      }
    }
  }
  const all = [...byId.values()].filter((r) => r.calls > 0);
  const totalCalls = all.reduce((n, r) => n + r.calls, 0);
  const eligible = all
    .filter((r) => !OWN.test(r.query) && !UTILITY.test(r.query))
    .filter((r) => o.include.length === 0 || o.include.some((p) => matchesPattern(r.query, p)))
    .filter((r) => !o.exclude.some((p) => matchesPattern(r.query, p)))
    .filter((r) => o.min_call_share === undefined || (totalCalls > 0 && r.calls / totalCalls >= o.min_call_share))
    .sort((a, b) => b.calls - a.calls || a.queryid.localeCompare(b.queryid))
    .slice(0, o.top);
  return { chosen: withShares(eligible, totalCalls), totalCalls, leftOut: all.length - eligible.length };
}

/** Shares among the given statements (recomputed when some of them cannot be replayed). */
export function withShares<T extends PgssStatement>(list: T[], totalCalls: number): Array<T & { share: number; shareOfAll: number }> {
  const sum = list.reduce((n, r) => n + r.calls, 0);
  return list.map((r) => ({ ...r, share: sum > 0 ? r.calls / sum : 0, shareOfAll: totalCalls > 0 ? r.calls / totalCalls : 0 }));
}
