// Test fixture (load.replay): a finance app's database with ten statement shapes driven at known call shares, plus
// three statements the replay must refuse (a temporary table, an unsamplable parameter, a write).
import pg from 'pg';
import type { PrivateServer } from '../helpers/health-server.js';

export interface Shape {
  sql: string;
  /** Calls per 100 of the replayable mix. */
  weight: number;
  params: (i: number) => unknown[];
}

const pick = <T>(xs: T[], i: number): T => xs[i % xs.length]!;
const h = (i: number, m: number) => ((i * 2654435761) >>> 0) % m;

/** Made slow in the test: its index is dropped before the app runs, so every call scans the transactions. */
export const SLOW_SQL = 'SELECT count(*), sum(amount) FROM txns WHERE merchant = $1';

export const SHAPES: Shape[] = [
  { sql: 'SELECT id, country, plan FROM users WHERE id = $1', weight: 22, params: (i) => [1 + h(i, 5000)] },
  { sql: 'SELECT id, kind FROM accounts WHERE user_id = $1', weight: 18, params: (i) => [1 + h(i, 5000)] },
  { sql: 'SELECT id, amount, booked_on FROM txns WHERE account_id = $1 ORDER BY booked_on DESC LIMIT $2', weight: 14, params: (i) => [1 + h(i, 10000), 20] },
  { sql: 'SELECT sum(amount) FROM txns WHERE account_id = $1', weight: 10, params: (i) => [1 + h(i, 10000)] },
  { sql: 'SELECT category, amount FROM budgets WHERE user_id = $1', weight: 9, params: (i) => [1 + h(i, 5000)] },
  { sql: 'SELECT count(*) FROM txns WHERE booked_on = $1', weight: 7, params: (i) => [new Date(Date.UTC(2025, 0, 1) + h(i, 365) * 86_400_000).toISOString().slice(0, 10)] },
  { sql: SLOW_SQL, weight: 8, params: (i) => [`m${h(i, 40)}`] },
  { sql: 'SELECT plan, count(*) FROM users WHERE country = $1 GROUP BY plan', weight: 5, params: (i) => [pick(['de', 'fr', 'es', 'it', 'nl', 'pl', 'se', 'pt'], h(i, 8))] },
  { sql: 'SELECT a.id, a.kind FROM accounts a WHERE a.id = $1', weight: 4, params: (i) => [1 + h(i, 10000)] },
  { sql: 'SELECT id FROM budgets WHERE category = $1 AND amount > $2', weight: 3, params: (i) => [`c${h(i, 8)}`, 400 + h(i, 100)] },
];

export const UNSAMPLABLE_SQL = 'SELECT id FROM users WHERE id = $1::int + $2::int';
export const WRITE_SQL = 'UPDATE accounts SET kind = $1 WHERE id = $2';
export const TEMP_SQL = 'SELECT a FROM scratch_basket WHERE a = $1';
/** A read that calls a function which writes: refused by the dry pass, never run. */
export const SIDE_EFFECT_SQL = 'SELECT id, audit_touch(id) FROM users WHERE id = $1';

export async function createApp(server: PrivateServer, db: string): Promise<void> {
  await server.sql(`CREATE DATABASE ${db}`);
  await server.sql(`
    CREATE TABLE users (id int PRIMARY KEY, country text NOT NULL, plan text NOT NULL);
    CREATE TABLE accounts (id int PRIMARY KEY, user_id int NOT NULL, kind text NOT NULL);
    CREATE TABLE txns (id int PRIMARY KEY, account_id int NOT NULL, amount numeric(12,2) NOT NULL, category text NOT NULL, booked_on date NOT NULL, merchant text NOT NULL);
    CREATE TABLE budgets (id int PRIMARY KEY, user_id int NOT NULL, category text NOT NULL, amount numeric(12,2) NOT NULL);
    INSERT INTO users SELECT i, (ARRAY['de','fr','es','it','nl','pl','se','pt'])[1 + i % 8], (ARRAY['free','plus','pro'])[1 + i % 3] FROM generate_series(1, 5000) i;
    INSERT INTO accounts SELECT i, 1 + (i * 7) % 5000, (ARRAY['checking','savings','card'])[1 + i % 3] FROM generate_series(1, 10000) i;
    INSERT INTO txns SELECT i, 1 + (i * 13) % 10000, ((i * 37) % 50000) / 100.0, 'c' || (i % 8), DATE '2025-01-01' + (i % 365), 'm' || ((i * 11) % 40) FROM generate_series(1, 300000) i;
    INSERT INTO budgets SELECT i, 1 + i % 5000, 'c' || (i % 8), ((i * 53) % 50000) / 100.0 FROM generate_series(1, 20000) i;
    CREATE INDEX ON accounts (user_id);
    CREATE INDEX ON txns (account_id);
    CREATE INDEX ON txns (booked_on);
    CREATE INDEX txns_merchant ON txns (merchant);
    CREATE INDEX ON budgets (user_id);
    CREATE INDEX ON budgets (category);
    CREATE TABLE audit (user_id int NOT NULL);
    CREATE FUNCTION audit_touch(u int) RETURNS int VOLATILE LANGUAGE sql AS 'INSERT INTO audit VALUES (u) RETURNING u';
    ANALYZE;
    CREATE EXTENSION pg_stat_statements;`, [], db);
}

/** Drives `units` × the weights of SHAPES (and the three refused statements) over `clients` sessions; stats reset first. */
export async function driveApp(server: PrivateServer, db: string, units: number, clients = 4): Promise<void> {
  await server.sql('SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)', [], db);
  const jobs: Array<{ sql: string; params: unknown[] }> = [];
  for (const s of SHAPES) for (let i = 0; i < s.weight * units; i++) jobs.push({ sql: s.sql, params: s.params(i) });
  for (let i = 0; i < 30; i++) jobs.push({ sql: UNSAMPLABLE_SQL, params: [i, 1] });
  for (let i = 0; i < 30; i++) jobs.push({ sql: SIDE_EFFECT_SQL, params: [1 + i] });
  // Interleaved, as an app's traffic is.
  const order = jobs.map((j, k) => ({ j, key: h(k + 1, 1_000_003) })).sort((a, b) => a.key - b.key).map((x) => x.j);
  jobs.splice(0, jobs.length, ...order);
  const sessions = await Promise.all(Array.from({ length: clients }, async () => {
    const c = new pg.Client({ connectionString: server.url(db) });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  }));
  try {
    let next = 0;
    await Promise.all(sessions.map(async (c) => {
      while (next < jobs.length) {
        const j = jobs[next++]!;
        await c.query(j.sql, j.params);
      }
    }));
    const c = sessions[0]!;
    await c.query('BEGIN');
    for (let i = 0; i < 40; i++) await c.query(WRITE_SQL, ['card', 1 + i]);
    await c.query('ROLLBACK');
    await c.query('CREATE TEMP TABLE scratch_basket (a int)');
    await c.query('INSERT INTO scratch_basket SELECT generate_series(1, 100)');
    for (let i = 0; i < 50; i++) await c.query(TEMP_SQL, [i]);
  } finally {
    await Promise.all(sessions.map((c) => c.end()));
  }
}
