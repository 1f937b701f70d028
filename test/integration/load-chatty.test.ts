// N+1 under load: a request that makes 100 point lookups (an app's loop, here inside its function) is named with its
// calls per request; the same request written as one join is not.
// (The loop runs in the server through a function the read check can inspect; an ORM's loop in the app looks the same
// in pg_stat_statements.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChattyStatement } from '../../src/checks/load/chatty.js';
import { mixedLoadCheck } from '../../src/checks/load/mixed.js';
import { validateConfig } from '../../src/config/load.js';
import type { CheckResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { startPrivateServer, type PrivateServer } from '../helpers/health-server.js';

const DB = 'app_orders';
let server: PrivateServer;
beforeAll(async () => {
  // pg_stat_statements.track = all (the helper's setting): statements inside functions are counted too.
  server = await startPrivateServer();
  await server.sql(`CREATE DATABASE ${DB}`);
  await server.sql(`
    CREATE TABLE products (id int PRIMARY KEY, price numeric(10,2) NOT NULL);
    INSERT INTO products SELECT i, (i % 500) / 10.0 FROM generate_series(1, 10000) i;
    CREATE TABLE order_lines (order_id int NOT NULL, product_id int NOT NULL);
    INSERT INTO order_lines SELECT o, 1 + (o * 37 + l * 101) % 10000 FROM generate_series(1, 200) o, generate_series(1, 100) l;
    CREATE INDEX ON order_lines (order_id);
    -- The ORM's way: the order's lines, then each line's product fetched on its own (a lazy accessor, not inlined:
    -- its body reads a table), one statement per line.
    CREATE FUNCTION product_price(product int) RETURNS numeric STABLE LANGUAGE sql AS 'SELECT price FROM products WHERE id = product';
    ANALYZE; CREATE EXTENSION pg_stat_statements;`, [], DB);
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

async function runRequest(sql: string): Promise<CheckResult> {
  const config = validateConfig({
    database_url: server.url(DB), allow_privileged_role: true, workload: { scale: 0.05 },
    load: { stages: [{ rate: 20, duration: '2s' }, { rate: 40, duration: '2s' }], pool_size: 4, weights: { financial_read: 0, write: 0, cache_read: 0, task: 0 }, custom: [{ name: 'order', sql, params: [42], weight: 1 }] },
  });
  return (await run({ config, checks: [mixedLoadCheck], signal: new AbortController().signal, log: silentLogger() })).checks[0]!;
}

const chatty = (c: CheckResult) => c.info.chatty as { requests: number; statements: ChattyStatement[] };

describe('N+1', () => {
  it('names the point lookup a request makes 100 times, with its calls per request and its cost', async () => {
    const c = await runRequest('SELECT sum(product_price(product_id)) FROM order_lines WHERE order_id = $1');
    const found = chatty(c);
    expect(found, `${c.status} ${c.reason ?? ''}`).toBeDefined();
    expect(found.requests, JSON.stringify(c.info.chatty)).toBeGreaterThan(50);
    const lookup = found.statements.find((s) => /FROM products WHERE id/.test(s.query));
    expect(lookup, JSON.stringify(found)).toBeDefined();
    expect(lookup!.callsPerRequest).toBeGreaterThan(90);
    expect(lookup!.callsPerRequest).toBeLessThan(110);
    expect(lookup!.rowsPerCall).toBeCloseTo(1, 1);
    const f = c.findings.find((x) => x.subject === 'n+1')!;
    expect(f.title).toMatch(/^N\+1: SELECT price FROM products WHERE id = .* ran (9\d|10\d)\.\d times per request, 1\.0 rows each/);
    // Each stage's costliest statements are in its attribution figures, with their calls over the stage.
    const top = (c.info.attribution as Array<{ statements: Array<{ query: string; calls: number }> }>).at(-1)!.statements;
    expect(top.find((s) => /FROM products WHERE id/.test(s.query))?.calls, JSON.stringify(top)).toBeGreaterThan(1000);
    // The lines query runs once per request with 100 rows: not chatty.
    expect(found.statements.some((s) => /FROM order_lines/.test(s.query))).toBe(false);
  }, 60_000);

  it('does not name the same request written as one join', async () => {
    const c = await runRequest('SELECT sum(p.price) FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = $1');
    expect(chatty(c).requests).toBeGreaterThan(50);
    expect(chatty(c).statements, JSON.stringify(chatty(c))).toEqual([]);
    expect(c.findings.some((x) => x.subject === 'n+1')).toBe(false);
  }, 60_000);
});
