// Pure: the blocking tree from each session's pg_blocking_pids — who blocks whom, on which lock — as nodes and as text.
import { seconds, short } from './words.js';

export interface Session {
  pid: number;
  role: string | null;
  application: string;
  client: string;
  state: string | null;
  wait_event_type: string | null;
  query_s: number | null;
  xact_s: number | null;
  state_s: number | null;
  /** Already a fingerprint: literals replaced by $n. */
  fingerprint: string;
  blocked_by: number[];
  /** For a waiting session: what it waits for, e.g. "ShareLock on transactionid (a row of shop.accounts)". */
  waits_for?: string;
}

export interface TreeNode {
  pid: number;
  session: Session | undefined;
  blocks: TreeNode[];
}

/** Roots are sessions that block others and wait for no one (or whose blocker is outside this database's view). */
export function blockingTree(sessions: Session[]): TreeNode[] {
  const byPid = new Map(sessions.map((s) => [s.pid, s]));
  const children = new Map<number, number[]>();
  for (const s of sessions) for (const b of s.blocked_by) children.set(b, [...(children.get(b) ?? []), s.pid]);
  const build = (pid: number, seen: Set<number>): TreeNode => {
    // A deadlock is a cycle until the detector breaks it: show each session once.
    const next = new Set(seen).add(pid);
    return { pid, session: byPid.get(pid), blocks: (children.get(pid) ?? []).filter((c) => !next.has(c)).map((c) => build(c, next)) };
  };
  const roots = [...children.keys()].filter((pid) => (byPid.get(pid)?.blocked_by.length ?? 0) === 0);
  // Only a cycle left (no root): start it from its lowest pid so it is still shown.
  if (roots.length === 0 && children.size > 0) roots.push(Math.min(...children.keys()));
  return roots.sort((a, b) => a - b).map((pid) => build(pid, new Set()));
}

export function describeSession(s: Session | undefined, pid: number): string {
  if (!s) return `pid ${pid} (another database or a background process)`;
  const who = [s.application || 'no application_name', s.role ?? '?', s.client || '?'].join(', ');
  const what = s.waits_for
    ? `waiting ${seconds(s.query_s ?? 0)} for ${s.waits_for}`
    : s.state === 'active'
      ? `running for ${seconds(s.query_s ?? 0)}`
      : `${s.state ?? 'unknown state'} for ${seconds(s.state_s ?? 0)}${s.xact_s !== null ? `, transaction open ${seconds(s.xact_s)}` : ''}`;
  return `pid ${pid} (${who}) ${what}: ${short(s.fingerprint, 100)}`;
}

/** The tree as indented lines, readable in a console, Markdown code block or HTML <pre>. */
export function treeText(roots: TreeNode[]): string {
  const lines: string[] = [];
  const walk = (n: TreeNode, depth: number) => {
    // No-break spaces: HTML and Markdown keep the indentation of deeper levels.
    lines.push(`${depth === 0 ? '' : `${'\u00a0\u00a0\u00a0'.repeat(depth - 1)}└─ `}${describeSession(n.session, n.pid)}`);
    for (const c of n.blocks) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  return lines.join('\n');
}

/** Every pid below a node. */
export function blockedCount(n: TreeNode): number {
  return n.blocks.reduce((t, c) => t + 1 + blockedCount(c), 0);
}
