// Test helper: a small shop schema in the style of a real application, with planted index defects (or none), and the
// application workload the health checks should see in pg_stat_statements.
import pg from 'pg';
import type { PrivateServer } from './health-server.js';

export const SLOW_QUERY = 'SELECT id, amount FROM shop.orders WHERE customer_ref = $1';

/** Creates database `db` with the shop schema. Planted: no index on orders.customer_id (a foreign key) nor on
 * customer_ref (the slow query's filter), an index never used, and one whose column leads another index. */
export async function createShop(server: PrivateServer, db: string, opts: { defects: boolean; orders?: number }): Promise<void> {
  await server.sql(`CREATE DATABASE ${db}`);
  const ddl = [
    `CREATE SCHEMA shop`,
    `CREATE TABLE shop.customers (id int PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL)`,
    `CREATE TABLE shop.orders (id bigint PRIMARY KEY, customer_id int NOT NULL REFERENCES shop.customers (id),
       customer_ref text NOT NULL, status text NOT NULL, amount numeric(12,2) NOT NULL, created_at timestamptz NOT NULL)`,
    `INSERT INTO shop.customers SELECT g, 'c' || g || '@example.com', 'Customer ' || g FROM generate_series(1, 2000) g`,
    `INSERT INTO shop.orders SELECT g, 1 + g % 2000, 'ref-' || (g % 5000), (ARRAY['new','paid','shipped'])[1 + g % 3],
       (g % 997) / 7.0, now() - (g || ' minutes')::interval FROM generate_series(1, ${opts.orders ?? 60000}) g`,
    ...(opts.defects
      ? [
          `CREATE INDEX orders_status_idx ON shop.orders (status)`,
          `CREATE INDEX orders_created_idx ON shop.orders (created_at)`,
          `CREATE INDEX orders_created_status_idx ON shop.orders (created_at, status)`,
        ]
      : [
          `CREATE INDEX orders_customer_id_idx ON shop.orders (customer_id)`,
          `CREATE INDEX orders_customer_ref_idx ON shop.orders (customer_ref)`,
          `CREATE INDEX orders_created_status_idx ON shop.orders (created_at, status)`,
        ]),
    `ANALYZE shop.customers`,
    `ANALYZE shop.orders`,
  ];
  for (const s of ddl) await server.sql(s, [], db);
}

/** The application's traffic: the lookup by customer_ref many times, point reads of customers, orders of a customer. */
export async function driveShop(server: PrivateServer, db: string, rounds: number): Promise<void> {
  const c = new pg.Client({ connectionString: server.url(db), application_name: 'shop-app' });
  c.on('error', () => undefined);
  await c.connect();
  try {
    for (let i = 0; i < rounds; i++) {
      // The most frequent request of the app: three lookups by reference per round.
      for (let k = 0; k < 3; k++) await c.query(SLOW_QUERY, [`ref-${(i * 37 + k) % 5000}`]);
      await c.query('SELECT name, email FROM shop.customers WHERE id = $1', [1 + (i % 2000)]);
      await c.query('SELECT count(*) FROM shop.orders WHERE customer_id = $1', [1 + (i % 2000)]);
      if (i % 10 === 0) await c.query(`SELECT created_at, status FROM shop.orders WHERE created_at > now() - $1::interval AND status = $2`, ['2 hours', 'paid']);
    }
  } finally {
    await c.end();
  }
}
