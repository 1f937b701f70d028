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

it('fails load.mixed with the reason when its Redis connection is lost', async () => {
  const raw = rawClient(srv.url);
  let killed = 0;
  const stop = new AbortController();
  // Once the load is reading the cache, kill every connection stackprobe opened (named stackprobe).
  const killer = (async () => {
    while (!stop.signal.aborted && killed === 0) {
      const stats = String(await raw.info('commandstats'));
      const gets = Number(/cmdstat_get:calls=(\d+)/.exec(stats)?.[1] ?? 0);
      if (gets > 20) {
        const list = String(await raw.call('CLIENT', 'LIST'));
        for (const [, id] of list.matchAll(/id=(\d+) .*name=stackprobe /g)) {
          await raw.call('CLIENT', 'KILL', 'ID', id!);
          killed++;
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    const result = await run({
      config: validateConfig({
        database_url: db.url, redis_url: srv.url, workload: { scale: 0.1 },
        load: { stages: [{ rate: 30, duration: '2s' }, { rate: 30, duration: '2s' }], pool_size: 2, weights: { financial_read: 10, write: 10, cache_read: 80, task: 0 } },
      }),
      checks: loadChecks, signal: new AbortController().signal, log: silentLogger(),
    });
    stop.abort();
    await killer;
    const c = result.checks.find((x) => x.id === 'load.mixed')!;
    const lost = c.thresholds.find((t) => t.metric === 'load_connections_lost');
    console.log(`killed ${killed}: status ${c.status}; lost ${lost?.actual}; ${c.findings.find((f) => f.subject === 'connection')?.title}`);
    expect(killed).toBeGreaterThan(0);
    expect(c.status).toBe('fail');
    expect(lost).toMatchObject({ ok: false });
    expect(c.findings.find((f) => f.subject === 'connection')!.title).toMatch(/the load's Redis connection was lost/);
    expect(await raw.dbsize()).toBe(0);
  } finally {
    stop.abort();
    await raw.quit();
  }
}, 90_000);
