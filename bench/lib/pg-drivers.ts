// Figure 1's driver rows: the measuring path's connection, postgres.js (porsager) and node-postgres running the same
// prepared statement with the same key on the same number of connections, each driven the way its users drive it.
import postgres from 'postgres';
import pg from 'pg';
import { WireConnection } from '../../src/targets/pg/wire/connection.js';
import { bindInt4, EXECUTE, SYNC } from '../../src/targets/pg/wire/messages.js';
import { wireOptions } from '../../src/targets/pg/wire/options.js';
import { FIXED_KEY, STATEMENT } from './pg-tools.js';
import { selfCpuSeconds, selfUserSeconds } from './proc.js';
import type { Measurement, Tool } from './rounds.js';

/**
 * `connections` async loops, one per connection, each awaiting one query after another until `seconds` are up: the
 * plainest way an application drives a driver. CPU is counted over the timed loops only (connecting is outside).
 */
async function loops(connections: number, seconds: number, one: (i: number) => Promise<unknown>): Promise<Measurement> {
  // One query per connection first: statements prepared, code warm, before the clock starts.
  await Promise.all(Array.from({ length: connections }, (_, i) => one(i)));
  let ops = 0;
  const cpu0 = selfCpuSeconds();
  const user0 = selfUserSeconds();
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async (_, i) => {
    while (performance.now() < deadline) {
      await one(i);
      ops++;
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  return { ops, seconds: elapsed, cpuSeconds: selfCpuSeconds() - cpu0, userSeconds: selfUserSeconds() - user0 };
}

/** The measuring path's connection (src/targets/pg/wire) driven through its promise API, the row decoded as text. */
export function wireDriverTool(url: string, connections: number, seconds: number): Tool {
  return {
    name: 'driver: stackprobe wire',
    async run() {
      const conns = await Promise.all(Array.from({ length: connections }, () => WireConnection.connect(wireOptions(url))));
      try {
        await Promise.all(conns.map((c) => c.prepare('lookup', STATEMENT, [23])));
        const bind = bindInt4('lookup');
        const bytes = Buffer.concat([bind.bytes, EXECUTE, SYNC]);
        bytes.writeInt32BE(FIXED_KEY, bind.paramOffset);
        return await loops(connections, seconds, (i) => conns[i]!.query(bytes));
      } finally {
        await Promise.all(conns.map((c) => c.close()));
      }
    },
  };
}

/** postgres.js: `connections` reserved connections, a tagged-template query (prepared automatically) on each. */
export function postgresJsTool(url: string, connections: number, seconds: number): Tool {
  return {
    name: 'driver: postgres.js',
    async run() {
      const sql = postgres(url, { max: connections, prepare: true, onnotice: () => undefined });
      try {
        const reserved = await Promise.all(Array.from({ length: connections }, () => sql.reserve()));
        try {
          return await loops(connections, seconds, (i) => reserved[i]!`SELECT abalance FROM pgbench_accounts WHERE aid = ${FIXED_KEY}`);
        } finally {
          for (const r of reserved) r.release();
        }
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  };
}

/**
 * postgres.js as its README shows it: one `sql` with `max` connections and no reservation, the loops sharing its pool,
 * which may pipeline a query onto a busy connection (`max_pipeline`) instead of waiting for an idle one.
 */
export function postgresJsPoolTool(url: string, connections: number, seconds: number): Tool {
  return {
    name: 'driver: postgres.js pool',
    async run() {
      const sql = postgres(url, { max: connections, prepare: true, onnotice: () => undefined });
      try {
        return await loops(connections, seconds, () => sql`SELECT abalance FROM pgbench_accounts WHERE aid = ${FIXED_KEY}`);
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  };
}

/** node-postgres: one pg.Client per connection, a named prepared statement, rows as arrays. */
export function nodePgTool(url: string, connections: number, seconds: number): Tool {
  return {
    name: 'driver: pg',
    async run() {
      const clients = Array.from({ length: connections }, () => new pg.Client({ connectionString: url }));
      await Promise.all(clients.map((c) => c.connect()));
      try {
        const query = { name: 'lookup', text: STATEMENT, values: [FIXED_KEY], rowMode: 'array' as const };
        return await loops(connections, seconds, (i) => clients[i]!.query(query));
      } finally {
        await Promise.all(clients.map((c) => c.end()));
      }
    },
  };
}
