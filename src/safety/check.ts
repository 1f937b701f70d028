// The whole read check of one statement on a session of the target: the parser's (one plain SELECT), then every function
// it can make run, resolved in the target's catalog and judged by policy.ts. The reason names each refused function as
// the server resolved it: schema.name(argument types).
import { parseSql, whyNotReadStatement } from './parse.js';
import { whyRefused } from './policy.js';
import { resolveRefs, type Querier } from './resolve.js';
import { collectRefs } from './walk.js';

/** How many refused functions a reason lists before "and N more". */
const LISTED = 3;

/** Why `sql` may not run as a read on this session's catalog, or null when it may. */
export async function whyNotSafeRead(q: Querier, sql: string): Promise<string | null> {
  const statically = whyNotReadStatement(sql);
  if (statically) return statically;
  const parsed = parseSql(sql);
  if (!parsed.ok) return parsed.why;
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
