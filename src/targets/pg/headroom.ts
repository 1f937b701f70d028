// How many more sessions this server will give stackprobe: max_connections less the reserved and the ones in use, and
// the role's and the database's own connection limits. Checks cap their concurrency by it, so that a config asking for
// 3000 VUs does not take every connection of a production server.
import type { PgTarget } from './target.js';

export interface Headroom {
  /** Sessions stackprobe may still open (never negative). */
  free: number;
  /** Which limit is the tightest, in words, e.g. `max_connections 100 (87 in use, 3 reserved)`. */
  limitedBy: string;
}

const HEADROOM_SQL = `
  SELECT current_setting('max_connections')::int AS max_conn,
         current_setting('superuser_reserved_connections')::int AS reserved,
         (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS in_use,
         (SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user) AS role_limit,
         (SELECT count(*) FROM pg_stat_activity WHERE usename = current_user AND backend_type = 'client backend')::int AS role_in_use,
         (SELECT datconnlimit FROM pg_database WHERE datname = current_database()) AS db_limit,
         (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend')::int AS db_in_use,
         (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser`;

interface Row {
  max_conn: number; reserved: number; in_use: number; role_limit: number; role_in_use: number; db_limit: number; db_in_use: number; superuser: boolean;
}

export async function connectionHeadroom(pg: PgTarget): Promise<Headroom> {
  const r = (await pg.admin.query<Row>(HEADROOM_SQL)).rows[0]!;
  const limits: Headroom[] = [{
    free: r.max_conn - (r.superuser ? 0 : r.reserved) - r.in_use,
    limitedBy: `max_connections ${r.max_conn} (${r.in_use} in use${r.superuser ? '' : `, ${r.reserved} reserved for superusers`})`,
  }];
  if (r.role_limit >= 0) limits.push({ free: r.role_limit - r.role_in_use, limitedBy: `the role's CONNECTION LIMIT ${r.role_limit} (${r.role_in_use} in use)` });
  if (r.db_limit >= 0) limits.push({ free: r.db_limit - r.db_in_use, limitedBy: `the database's CONNECTION LIMIT ${r.db_limit} (${r.db_in_use} in use)` });
  const tightest = limits.reduce((a, b) => (b.free < a.free ? b : a));
  return { free: Math.max(0, tightest.free), limitedBy: tightest.limitedBy };
}

/**
 * The concurrency to use: what was asked, unless that would leave the server fewer than `spare` free sessions (for the
 * app itself and for stackprobe's own admin sessions). Returns the reason when it had to cap.
 */
export function capToHeadroom(wanted: number, headroom: Headroom, spare: number): { value: number; capped?: string } {
  const allowed = headroom.free - spare;
  if (wanted <= allowed) return { value: wanted };
  const value = Math.max(1, allowed);
  return { value, capped: `asked for ${wanted} sessions, but the server has ${headroom.free} free (${headroom.limitedBy}); using ${value} to leave ${spare} for the application` };
}
