// cache.hit_rate through the real runner with PostgreSQL: misses load real rows from the shared workload schema.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cacheHitRateCheck } from '../../src/checks/cache/index.js';
import { createZipf, expectedHitRate } from '../../src/checks/cache/zipf.js';
import { validateConfig } from '../../src/config/load.js';
import type { RateMetric } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { keysMatching, rawClient, TEST_REDIS_URL } from '../helpers/redis.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

it('loads misses from the workload schema, matches the Zipf expectation, and leaves nothing behind', async () => {
  const base = `stackprobe:pgtest-${randomBytes(4).toString('hex')}:`;
  const cache = { key_prefix: base, key_space: 3000, zipf_skew: 1, hit_rate_duration_s: 2, concurrency: 4 };
  const result = await run({
    config: validateConfig({ database_url: db.url, redis_url: TEST_REDIS_URL, workload: { scale: 0.02 }, cache, thresholds: { cache_latency_ms: 1000 } }),
    checks: [cacheHitRateCheck], signal: new AbortController().signal, log: silentLogger(),
  });
  const r = result.checks[0]!;
  // Speed is not judged here (2 shared cores): a generous latency threshold keeps the verdict about the hit rate.
  expect(r.status, JSON.stringify(r.thresholds)).toBe('pass');
  expect(r.info.workload).toMatchObject({ miss_source: 'postgresql' });
  const hits = r.metrics.find((m): m is RateMetric => m.type === 'rate' && m.name === 'cache_hit_rate')!;
  const expected = expectedHitRate(createZipf(cache.key_space, cache.zipf_skew), hits.total);
  console.log(`hit rate with PostgreSQL misses: measured ${hits.value.toFixed(4)} vs expected ${expected.toFixed(4)} over ${hits.total} reads`);
  expect(Math.abs(hits.value - expected)).toBeLessThan(0.03);
  expect(await db.sql(`SELECT 1 FROM pg_namespace WHERE nspname = 'stackprobe'`)).toEqual([]);
  const raw = rawClient();
  try {
    expect(await keysMatching(raw, `${base}*`)).toEqual([]);
  } finally {
    await raw.quit();
  }
});
