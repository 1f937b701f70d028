// The whole read check of one statement on a session of the target: the parser's (one plain SELECT), then every function
// it can make run, resolved in the target's catalog and judged by policy.ts. The reason names each refused function as
// the server resolved it: schema.name(argument types).
import { parseSql, whyNotReadStatement } from './parse.js';
import { whyRefused } from './policy.js';
import { resolveRefs, type Querier } from './resolve.js';
import { collectRefs } from './walk.js';

/** How many refused functions a reason lists before "and N more". */
const LISTED = 3;

/** Data-changing statements, judged only by what they may run when `write` (load.replay.writes, rolled back). */
const WRITES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/**
 * Why `sql` may not run as a read on this session's catalog, or null when it may. With `write`, one INSERT, UPDATE,
 * DELETE, MERGE or locking SELECT passes the first part too (write replay on a disposable database, always rolled back); what it may
 * run is judged the same way (its target's triggers are not: they fire only on the disposable database).
 */
export async function whyNotSafeRead(q: Querier, sql: string, opts: { write?: boolean } = {}): Promise<string | null> {
  const parsed = parseSql(sql);
  if (!parsed.ok) return parsed.why;
  const kind = Object.keys((parsed.stmts[0] ?? {}) as object)[0] ?? '';
  // A write may also be a SELECT … FOR UPDATE (it locks rows): in write mode only one statement that reads or writes.
  const writable = opts.write && parsed.stmts.length === 1 && (WRITES.has(kind) || kind === 'SelectStmt');
  const statically = writable ? null : whyNotReadStatement(sql);
  if (statically) return statically;
  const resolved = await resolveRefs(q, collectRefs(parsed.stmts[0]));
  // Grouped by reason: overloads of one name (dblink_exec has four) read as one line.
  const byReason = new Map<string, string[]>();
  for (const fn of resolved.functions) {
    const why = whyRefused(fn);
    if (why) byReason.set(why, [...(byReason.get(why) ?? []), `${fn.signature}${fn.via ? ` (${fn.via})` : ''}`]);
  }
  const parts = [...byReason].map(([why, fns]) => `${fns.slice(0, LISTED).join(', ')}${fns.length > LISTED ? ` and ${fns.length - LISTED} more` : ''}: ${why}`);
  parts.push(...resolved.bodies);
  return parts.length ? `it may run ${parts.join('; ')}` : null;
}
