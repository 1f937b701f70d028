// The cache checks against private redis-servers with their own settings: a stall, timeouts, evictions, and the opener.
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cacheChecks, cacheHitRateCheck, cacheLatencyCheck, cacheServerCheck } from '../../src/checks/cache/index.js';
import { validateConfig } from '../../src/config/load.js';
import type { TrendMetric } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { NO_REDIS, openRedis } from '../../src/targets/redis/open.js';
import type { RedisTarget } from '../../src/targets/redis/target.js';
import { silentLogger } from '../../src/util/logger.js';
import { openTestTarget, rawClient, runCacheCheck, startPrivateRedis, type PrivateRedis } from '../helpers/redis.js';

const TEST_PG = process.env.STACKPROBE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function server(args: string[] = []): Promise<{ srv: PrivateRedis; target: RedisTarget; raw: Redis; commandMs?: number }> {
  const srv = await startPrivateRedis({ args });
  cleanups.push(() => srv.stop());
  const raw = rawClient(srv.url);
  cleanups.push(() => raw.quit());
  return { srv, raw, target: undefined as unknown as RedisTarget };
}

async function withTarget(args: string[] = [], commandMs = 2000) {
  const s = await server(args);
  s.target = await openTestTarget(s.srv.url, commandMs);
  cleanups.push(() => s.target.close());
  return s;
}

const trend = (metrics: unknown[], op: string) => (metrics as TrendMetric[]).find((m) => m.type === 'trend' && m.name === 'cache_op_duration' && m.tags.op === op)!;
const privateDirs = async () => (await readdir(os.tmpdir())).filter((d) => d.startsWith('stackprobe-redis-'));

describe('a stalled Redis', () => {
  it('shows a 1 s DEBUG SLEEP in p99 and max of the open-loop GETs, and finishes', async () => {
    const { target, raw } = await withTarget(['--enable-debug-command', 'yes']);
    const stall = new Promise((r) => setTimeout(r, 600)).then(() => raw.call('DEBUG', 'SLEEP', '1'));
    const t0 = performance.now();
    const r = await runCacheCheck(cacheLatencyCheck, target, { cache: { duration_s: 1.5, arrival_rate: 1000, key_space: 200 } });
    await stall;
    const get = trend(r.metrics, 'get').summary;
    console.log(`stall: get p50 ${get.percentiles.p50} ms, p99 ${get.percentiles.p99} ms, max ${get.max} ms; took ${Math.round(performance.now() - t0)} ms`);
    expect(get.max).toBeGreaterThan(800);
    expect(get.percentiles.p99).toBeGreaterThan(300);
    expect(r.thresholds.find((t) => t.metric === 'cache_op_duration{op:get}')!.ok).toBe(false); // the stall breaks p95 < 10 ms
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  it('records timeouts as errors when the stall outlasts the command timeout, and does not hang', async () => {
    const { target, raw } = await withTarget(['--enable-debug-command', 'yes'], 300);
    const stall = new Promise((r) => setTimeout(r, 400)).then(() => raw.call('DEBUG', 'SLEEP', '1'));
    const t0 = performance.now();
    const r = await runCacheCheck(cacheLatencyCheck, target, { cache: { duration_s: 1, key_space: 200, command_timeout_ms: 300 } });
    await stall;
    const errors = r.metrics.filter((m) => m.type === 'rate' && m.name === 'cache_op_errors').reduce((n, m) => n + (m.type === 'rate' ? m.hits : 0), 0);
    console.log(`timeouts: ${errors} failed operations; took ${Math.round(performance.now() - t0)} ms`);
    expect(errors).toBeGreaterThan(0);
    expect(r.findings.some((f) => f.severity === 'error' && /timed out/i.test(f.title))).toBe(true);
    expect(performance.now() - t0).toBeLessThan(20_000);
  });
});

describe('a tiny maxmemory', () => {
  it('makes evictions happen; cache.hit_rate falls below the expectation; cache.server shows them since the reset, not in its window', async () => {
    const { target } = await withTarget(['--maxmemory', '2mb', '--maxmemory-policy', 'allkeys-lru']);
    const hr = await runCacheCheck(cacheHitRateCheck, target, { cache: { key_space: 5000, zipf_skew: 0.6, value_bytes: 4096, hit_rate_duration_s: 1.5, miss_cost_ms: 0 }, thresholds: { cache_hit_rate: 0.01 } });
    const info = hr.info.hit_rate as { measured: number; expected: number };
    console.log(`evictions: hit rate measured ${info.measured} vs expected ${info.expected} without evictions`);
    expect(info.measured).toBeLessThan(info.expected - 0.05);
    expect(hr.findings.some((f) => f.subject === 'shortfall' && /below the .* these \d+ reads allow/.test(f.title))).toBe(true);
    expect(hr.thresholds.find((t) => t.metric === 'cache_hit_rate_shortfall')!.ok).toBe(false);
    expect(hr.status).toBe('fail');
    const srv = await runCacheCheck(cacheServerCheck, target, { cache: { server: { window_s: 0.5 } } });
    // The evictions happened before cache.server's window: counted since the reset, no finding about the window.
    expect((srv.info.server as { evicted_keys: number }).evicted_keys).toBeGreaterThan(0);
    expect((srv.info.window as { evicted_keys: number }).evicted_keys).toBe(0);
    expect(srv.findings.map((f) => f.subject)).not.toContain('evictions');
  });
});

describe('opening Redis', () => {
  const config = (c: Record<string, unknown> = {}) => validateConfig({ timeouts: { connect_ms: 2000 }, ...c });
  const open = (c?: Record<string, unknown>) => openRedis(config(c), silentLogger(), () => undefined);

  it('starts a private redis-server without REDIS_URL and removes it at the end', async () => {
    const before = await privateDirs();
    const opened = await open();
    expect(opened.target?.facts).toMatchObject({ kind: 'redis', private: true });
    expect(opened.target!.facts.url).not.toMatch(/:[^*:@/]{8,}@/); // password redacted
    expect(opened.target!.keyPrefix).toMatch(/^stackprobe:[0-9a-f]+:$/);
    expect((await privateDirs()).length).toBe(before.length + 1);
    await opened.close!();
    expect((await privateDirs()).length).toBe(before.length);
  });

  it('says how to get one when there is no REDIS_URL and no redis-server on PATH', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(await open()).toEqual({ reason: NO_REDIS });
    } finally {
      process.env.PATH = path;
    }
  });

  it('gives a clear, redacted reason for an unreachable server or a wrong password', async () => {
    const refused = await open({ redis_url: 'redis://127.0.0.1:1' });
    expect(refused).toMatchObject({ broken: true, reason: expect.stringMatching(/connection refused/) });
    const { srv } = await server();
    const wrong = srv.url.replace(/:([^:@]+)@/, ':not-the-password@');
    const denied = await open({ redis_url: wrong });
    expect(denied).toMatchObject({ broken: true, reason: expect.stringMatching(/wrong user name or password/) });
    expect(denied.reason).not.toMatch(/not-the-password/);
    const noPass = await open({ redis_url: `redis://127.0.0.1:${srv.port}` });
    expect(noPass.reason).toMatch(/NOAUTH/);
  });

  it('fails the run with the reason (cache checks skipped), and --read-only runs cache.server only and writes nothing', async () => {
    const failed = await run({ config: validateConfig({ database_url: TEST_PG, redis_url: 'redis://127.0.0.1:1', timeouts: { connect_ms: 2000 } }), checks: [cacheServerCheck], signal: new AbortController().signal, log: silentLogger() });
    // A configured Redis that cannot be opened: said once for the run (which fails), its checks skipped pointing at it.
    expect(failed.environment.unopened?.redis).toMatch(/connection refused/);
    expect(failed.checks[0]).toMatchObject({ status: 'skip', reason: expect.stringMatching(/Redis could not be opened/) });

    const { srv, raw } = await server();
    const dirty = async () => Number(/rdb_changes_since_last_save:(\d+)/.exec(await raw.info('persistence'))![1]);
    const before = await dirty();
    const result = await run({ config: validateConfig({ database_url: TEST_PG, redis_url: srv.url, read_only: true }), checks: cacheChecks, signal: new AbortController().signal, log: silentLogger() });
    const byId = Object.fromEntries(result.checks.map((c) => [c.id, c]));
    expect(byId['cache.server']!.status).not.toBe('skip');
    for (const id of ['cache.latency', 'cache.hit_rate', 'cache.concurrency']) expect(byId[id]).toMatchObject({ status: 'skip', reason: '--read-only: this check writes' });
    expect(await dirty()).toBe(before);
    expect(await raw.dbsize()).toBe(0);
  });
});

afterAll(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});
