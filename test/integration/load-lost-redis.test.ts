// Attack: the load's Redis connection is killed mid-run (CLIENT KILL on a private redis-server): the check fails with
// the reason, the run goes on and ends, and the load's keys are removed.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadChecks } from '../../src/checks/load/index.js';
import { validateConfig } from '../../src/config/load.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { rawClient, startPrivateRedis, type PrivateRedis } from '../helpers/redis.js';

let db: TestDatabase;
let srv: PrivateRedis;
beforeAll(async () => {
  db = await createTestDatabase();
  srv = await startPrivateRedis();
});
afterAll(async () => {
  await db?.drop();
  await srv?.stop();
});

it.each([1, 2])('fails load.mixed with the reason when its Redis connection is lost (%i thread(s))', async (workers) => {
  const raw = rawClient(srv.url);
  await raw.call('CONFIG', 'RESETSTAT'); // the GET count below is this run's only
  let killed = 0;
  const stop = new AbortController();
  // Once the load is reading the cache, kill every connection but the test's own (a private server: only stackprobe's).
  const killer = (async () => {
    while (!stop.signal.aborted && killed === 0) {
      const stats = String(await raw.info('commandstats'));
      const gets = Number(/cmdstat_get:calls=(\d+)/.exec(stats)?.[1] ?? 0);
      if (gets > 20) killed = Number(await raw.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    const result = await run({
      config: validateConfig({
        database_url: db.url, redis_url: srv.url, workload: { scale: 0.1 },
        load: { stages: [{ rate: 30, duration: '2s' }, { rate: 30, duration: '2s' }], pool_size: 2, workers, weights: { financial_read: 10, write: 10, cache_read: 80, task: 0 } },
      }),
      checks: loadChecks, signal: new AbortController().signal, log: silentLogger(),
    });
    stop.abort();
    await killer;
    const c = result.checks.find((x) => x.id === 'load.mixed')!;
    const lost = c.thresholds.find((t) => t.metric === 'load_connections_lost');
    console.log(`${workers} thread(s), killed ${killed}: status ${c.status}; lost ${lost?.actual}; ${c.findings.find((f) => f.subject === 'connection')?.title}`);
    expect(killed).toBeGreaterThan(0);
    expect(c.status).toBe('fail');
    expect(lost).toMatchObject({ ok: false });
    expect(c.findings.find((f) => f.subject === 'connection')!.title).toMatch(/Redis connection.* lost/);
    // The PING beside the cache steps, per stage, from every thread (merged): the client's share of a cache_get.
    const pings = c.metrics.filter((m) => m.name === 'load_redis_ping_duration');
    expect(pings.map((m) => m.tags.stage).sort()).toEqual(['1', '2']);
    expect(pings.every((m) => m.type === 'trend' && m.meaning === 'duration' && m.summary.count > 0)).toBe(true);
    expect(await raw.dbsize()).toBe(0);
  } finally {
    stop.abort();
    await raw.quit();
  }
}, 90_000);
