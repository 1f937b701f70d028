// A smoke of the benchmark harness: the lean PostgreSQL path and figure 2's product-check tool against real servers, and
// figure 3 (overhead) through the harness's own code. Speed goals are not asserted here: they belong to `npm run bench`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPgFastLoad } from '../../bench/lib/lean-pg-load.js';
import { WireConnection } from '../../src/targets/pg/wire/connection.js';
import { wireOptions } from '../../src/targets/pg/wire/options.js';
import { cacheConcurrencyCheck } from '../../src/checks/cache/index.js';
import { checkTool, concurrencyFigure, ioredisAutoTool, respDriverTool } from '../../bench/lib/redis-tools.js';
import { figureOverhead } from '../../bench/lib/fig3-overhead.js';
import { findTool } from '../../bench/lib/proc.js';
import { startPrivateRedis, type PrivateRedis } from '../../bench/lib/private-redis.js';
import { renderTable } from '../../bench/lib/table.js';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe('bench smoke', () => {
  let redis: PrivateRedis | undefined;

  beforeAll(async () => {
    const server = findTool('redis-server');
    if (server) redis = await startPrivateRedis(server);
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('runs the lean PostgreSQL path plain and pipelined, without errors', async () => {
    const plain = await runPgFastLoad({ url: PG_URL, connections: 2, durationMs: 1000, sql: 'SELECT $1::int4 + 1', maxKey: 1000 });
    expect(plain.errors).toBe(0);
    expect(plain.ok).toBeGreaterThan(100);
    expect(plain.latency.count).toBe(plain.ok);
    const piped = await runPgFastLoad({ url: PG_URL, connections: 2, durationMs: 1000, sql: 'SELECT $1::int4 + 1', maxKey: 1000, depth: 8 });
    expect(piped.errors).toBe(0);
    expect(piped.ok % 8).toBe(0);
  });

  it('reports a statement error with its SQLSTATE instead of hanging', async () => {
    const conn = await WireConnection.connect(wireOptions(PG_URL));
    try {
      await expect(conn.prepare('bad', 'SELECT * FROM no_such_table_bench WHERE id = $1', [23])).rejects.toMatchObject({ code: '42P01' });
      await conn.prepare('ok', 'SELECT 1 / $1::int4', [23]);
      const r = await runPgFastLoad({ url: PG_URL, connections: 1, durationMs: 200, sql: 'SELECT 1 / ($1::int4 - $1::int4)', maxKey: 10 });
      expect(r.ok).toBe(0);
      expect(r.errors).toBeGreaterThan(0);
      expect(r.firstError).toMatch(/division by zero/);
    } finally {
      await conn.close();
    }
  });

  it('runs figure 2\'s product path (cache.concurrency through runCheck) against a private server', async (ctx) => {
    if (!redis) return ctx.skip();
    const tool = checkTool('smoke', redis.url, cacheConcurrencyCheck, { cache: { concurrency_levels: [4], step_duration_s: 0.3, key_space: 1000 } }, concurrencyFigure(4, 0.3));
    const m = await tool.run();
    expect(m.ops / m.seconds).toBeGreaterThan(100);
    expect(tool.sides.pingP50Ms[0]).toBeGreaterThan(0);
  });

  it('cache.concurrency says how many connections carried each level and how deep, as a like-for-like comparison needs', async (ctx) => {
    if (!redis) return ctx.skip();
    const tool = checkTool('smoke', redis.url, cacheConcurrencyCheck, { cache: { concurrency_levels: [1, 6], connections: 4, step_duration_s: 0.3, key_space: 1000 } }, concurrencyFigure(6, 0.3));
    await tool.run();
    const curve = tool.last?.info.curve as Array<{ concurrency: number; connections: number; in_flight_per_connection: string }>;
    expect(curve.map((p) => [p.concurrency, p.connections, p.in_flight_per_connection])).toEqual([[1, 1, '1'], [6, 4, '1–2']]);
    expect(tool.last?.info.connections).toMatch(/^4 connections carried up to 6 in flight \(1–2 per connection; cache\.connections 4\); compare with redis-benchmark -c 4 -P 2$/);
  });

  it('runs figure 2\'s two Redis clients (the RESP path, ioredis with auto-pipelining) with their CPU per GET', async (ctx) => {
    if (!redis) return ctx.skip();
    for (const tool of [respDriverTool(redis.url, 0.3), ioredisAutoTool(redis.url, 0.3)]) {
      const m = await tool.run();
      expect(m.ops / m.seconds).toBeGreaterThan(100);
      expect(m.userSeconds).toBeGreaterThan(0);
      expect(m.cpuSeconds).toBeGreaterThanOrEqual(m.userSeconds!);
    }
  });

  it('measures figure 3 and renders it as a table', async () => {
    const rows = await figureOverhead({ quick: true, figures: [3], pgUrl: PG_URL, redisUrl: '', log: () => undefined });
    expect(rows).toHaveLength(4);
    for (const r of rows) expect(r.value).toBeGreaterThan(0);
    expect(renderTable(rows)).toContain('no-op iterations/s');
  });
});
