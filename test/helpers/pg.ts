// Test helper: a fresh, uniquely named PostgreSQL database per test (dropped WITH (FORCE) afterwards) and a PgTarget on it.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPg, type PgTarget } from '../../src/targets/pg/target.js';
import { quoteIdent } from '../../src/workload/sql.js';

/** The server the integration tests use; override with STACKPROBE_TEST_PG. */
export const TEST_PG_URL = process.env.STACKPROBE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  /** Opens a PgTarget on the database (closed by drop()). */
  open(): Promise<PgTarget>;
  /** Runs SQL on the database with a short-lived connection. */
  sql<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  /** Closes every target opened here and drops the database, terminating any session still on it. */
  drop(): Promise<void>;
}

/** The URL of another database of the test server (a check's scratch database, named by a hook). */
export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** `createClause` is appended to CREATE DATABASE, e.g. `TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'`. */
export async function createTestDatabase(createClause = ''): Promise<TestDatabase> {
  const name = `stackprobe_t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${quoteIdent(name)} ${createClause}`));
  const url = withDatabase(TEST_PG_URL, name);
  const opened: PgTarget[] = [];
  return {
    name,
    url,
    async open() {
      const target = await openPg(url, { connectMs: 5000, operationMs: 30000 });
      opened.push(target);
      return target;
    },
    async sql(text, values) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
      await client.connect();
      try {
        return (await client.query(text, values)).rows;
      } finally {
        await client.end();
      }
    },
    async drop() {
      for (const t of opened.splice(0)) await t.close();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
    },
  };
}
