// cache.stampede against a private redis-server: an unprotected cache-aside path loads once per reader per expiry, a
// locked or early-refreshed one once; a lock shorter than the load is caught; --read-only skips it; no key is left.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheStampedeCheck } from '../../src/checks/cache/index.js';
import type { ProtectionResult } from '../../src/checks/cache/stampede-findings.js';
import { validateConfig } from '../../src/config/load.js';
import { waitFor } from '../../src/exec/timeout.js';
import type { CheckResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { createTestDatabase } from '../helpers/pg.js';
import { keysMatching, openTestTarget, rawClient, runCacheCheck, startPrivateRedis } from '../helpers/redis.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function stampede(cache: Record<string, unknown>): Promise<{ r: CheckResult; left: string[] }> {
  const srv = await startPrivateRedis();
  cleanups.push(() => srv.stop());
  const raw = rawClient(srv.url);
  cleanups.push(() => raw.quit());
  const target = await openTestTarget(srv.url);
  try {
    const r = await runCacheCheck(cacheStampedeCheck, target, { redis_url: srv.url, cache });
    return { r, left: await keysMatching(raw, `${target.keyPrefix}*`) };
  } finally {
    await target.close();
  }
}

const byProtection = (r: CheckResult) => Object.fromEntries((r.info.expiries as ProtectionResult[]).map((x) => [x.protection, x]));

describe('cache.stampede', () => {
  it('shows N loads per expiry at N readers without protection, and 1 with a lock or early refresh', async () => {
    const readers = 8;
    const { r, left } = await stampede({ miss_cost_ms: 60, stampede: { readers, expiries: 3, ttl_ms: 200, refresh_ahead_ms: 150 } });
    const p = byProtection(r);
    console.log(`stampede at ${readers} readers: ${Object.values(p).map((x) => `${x.protection} ${x.loads_per_expiry.join('/')} (peak ${x.peak})`).join('; ')}`);
    expect(r.status, JSON.stringify(r.findings)).toBe('pass');
    // Every reader reads the key while the first 60 ms load runs: each one misses and loads.
    expect(p.none!.loads_per_expiry.every((n) => n >= readers - 1)).toBe(true);
    expect(p.none!.meanLoads).toBeGreaterThanOrEqual(readers - 0.5);
    expect(p.none!.peak).toBeGreaterThanOrEqual(readers - 1);
    expect(p.lock!.loads_per_expiry).toEqual([1, 1, 1]);
    expect(p['early-refresh']!.loads_per_expiry).toEqual([1, 1, 1]);
    // Early refresh reloads before the TTL ends, so readers keep reading the old value instead of waiting as they do
    // behind the lock (none wait on a quiet machine; a stalled host can let a TTL run out before the refresh ends).
    expect(p.lock!.readers_waited).toBeGreaterThanOrEqual(3 * (readers - 1));
    expect(p['early-refresh']!.readers_waited).toBeLessThan(p.lock!.readers_waited / 2);
    const cost = r.findings.find((f) => f.subject === 'none')!;
    expect(cost.severity).toBe('info');
    expect(cost.title).toMatch(new RegExp(`read by ${readers} readers caused up to \\d+ database loads, \\d+ at once`));
    expect(cost.recommendation).toMatch(/SET <key>:lock <token> NX PX/);
    expect(r.thresholds.map((t) => [t.metric, t.ok])).toEqual(expect.arrayContaining([
      ['cache_stampede_loads_per_expiry{protection:lock}', true], ['cache_stampede_loads_per_expiry{protection:early-refresh}', true],
    ]));
    expect(left).toEqual([]);
  });

  it('fails a locked path whose lock expires before the load ends', async () => {
    const { r } = await stampede({ miss_cost_ms: 150, stampede: { readers: 6, expiries: 2, ttl_ms: 100, lock_ms: 30, protection: ['lock'] } });
    const lock = byProtection(r).lock!;
    console.log(`short lock: loads per expiry ${lock.loads_per_expiry.join('/')}`);
    expect(lock.maxLoads).toBeGreaterThan(1);
    expect(r.thresholds.find((t) => t.metric === 'cache_stampede_loads_per_expiry{protection:lock}')!.ok).toBe(false);
    expect(r.status).toBe('fail');
    expect(r.findings.find((f) => f.subject === 'lock')?.recommendation).toMatch(/longer than the slowest load/);
  });

  it('is skipped under --read-only', async () => {
    const srv = await startPrivateRedis();
    cleanups.push(() => srv.stop());
    const result = await run({ config: validateConfig({ redis_url: srv.url, read_only: true }), checks: [cacheStampedeCheck], signal: new AbortController().signal, log: silentLogger() });
    expect(result.checks[0]).toMatchObject({ status: 'skip', reason: '--read-only: this check writes' });
  });

  it('loads from PostgreSQL through the runner: the unprotected path loads more per expiry than the locked one, and nothing is left', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const srv = await startPrivateRedis();
    cleanups.push(() => srv.stop());
    const base = `stackprobe:stampede-${randomBytes(4).toString('hex')}:`;
    const result = await run({
      config: validateConfig({ database_url: db.url, redis_url: srv.url, workload: { scale: 0.02 }, cache: { key_prefix: base, stampede: { readers: 8, expiries: 3, protection: ['none', 'lock'] } } }),
      checks: [cacheStampedeCheck], signal: new AbortController().signal, log: silentLogger(),
    });
    const r = result.checks[0]!;
    const p = byProtection(r);
    console.log(`stampede from PostgreSQL: none ${p.none!.loads_per_expiry.join('/')} (load p50 ${p.none!.load_p50_ms} ms), lock ${p.lock!.loads_per_expiry.join('/')} (load p50 ${p.lock!.load_p50_ms} ms)`);
    expect(r.status, JSON.stringify(r.findings)).toBe('pass');
    expect(r.info.path).toMatchObject({ load_source: 'postgresql', readers: 8 });
    expect(p.lock!.loads_per_expiry).toEqual([1, 1, 1]);
    expect(p.none!.meanLoads).toBeGreaterThan(2);
    const raw = rawClient(srv.url);
    try {
      expect(await keysMatching(raw, `${base}*`)).toEqual([]);
    } finally {
      await raw.quit();
    }
  });

  it('stops at once on Ctrl-C mid-expiry and leaves no key behind', async () => {
    const srv = await startPrivateRedis();
    cleanups.push(() => srv.stop());
    const target = await openTestTarget(srv.url);
    cleanups.push(() => target.close());
    const ctl = new AbortController();
    const pending = runCacheCheck(cacheStampedeCheck, target, { redis_url: srv.url, cache: { miss_cost_ms: 30, stampede: { expiries: 1000, protection: ['lock'] } } }, ctl.signal);
    const watch = rawClient(srv.url);
    try {
      // Mid-run: the hot key is there (the first expiry has started).
      await waitFor(async () => (await keysMatching(watch, `${target.keyPrefix}stampede:hot:*`)).length > 0, 10_000, 'the hot key');
      const t0 = performance.now();
      ctl.abort();
      const r = await pending;
      const stoppedMs = performance.now() - t0;
      console.log(`Ctrl-C: stopped ${Math.round(stoppedMs)} ms after the abort, status ${r.status}`);
      expect(stoppedMs).toBeLessThan(5000);
      expect(await keysMatching(watch, `${target.keyPrefix}*`)).toEqual([]);
    } finally {
      watch.disconnect();
    }
  });
});
