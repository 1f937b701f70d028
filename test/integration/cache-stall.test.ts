// A Redis frozen for 5 s (DEBUG SLEEP on a private redis-server) while the cache checks run: the operation that failed fails the check.
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheConcurrencyCheck, cacheLatencyCheck } from '../../src/checks/cache/index.js';
import type { Check } from '../../src/checks/types.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { CheckResult, RateMetric } from '../../src/result/model.js';
import { SharedResources } from '../../src/run/context.js';
import { runCheck } from '../../src/run/run-check.js';
import type { RedisTarget } from '../../src/targets/redis/target.js';
import { silentLogger } from '../../src/util/logger.js';
import { openTestTarget, rawClient, startPrivateRedis } from '../helpers/redis.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function frozenServer(): Promise<{ target: RedisTarget; raw: Redis; url: string }> {
  const srv = await startPrivateRedis({ args: ['--enable-debug-command', 'yes'] });
  cleanups.push(() => srv.stop());
  const raw = rawClient(srv.url);
  cleanups.push(() => raw.quit());
  const target = await openTestTarget(srv.url, 2000);
  cleanups.push(() => target.close());
  return { target, raw, url: srv.url };
}

/** Runs `check`, freezing Redis for 5 s `afterMs` after the progress line matches `when`. */
async function runFreezingAt(check: Check, when: RegExp, target: RedisTarget, raw: Redis, url: string, config: ConfigInput, afterMs = 0): Promise<CheckResult> {
  const shared = new SharedResources();
  const log = silentLogger();
  let frozen: Promise<unknown> | undefined;
  try {
    const result = await runCheck({
      check, config: validateConfig({ redis_url: url, ...config }), targets: { redis: target }, unavailable: {}, broken: new Set(), shared,
      signal: new AbortController().signal, log,
      onProgress: (text) => {
        if (!frozen && when.test(text)) frozen = new Promise((r) => setTimeout(r, afterMs)).then(() => raw.call('DEBUG', 'SLEEP', '5'));
      },
    });
    expect(frozen, 'the freeze was started').toBeDefined();
    await frozen;
    return result;
  } finally {
    await shared.cleanupAll(log);
  }
}

const outcome = (r: CheckResult, metric: string) => r.thresholds.find((t) => t.metric === metric);
const rates = (r: CheckResult, name: string) => r.metrics.filter((m): m is RateMetric => m.type === 'rate' && m.name === name);

describe('a Redis frozen for 5 s', () => {
  it('fails cache.latency on the operation that failed', async () => {
    const { target, raw, url } = await frozenServer();
    const t0 = performance.now();
    const r = await runFreezingAt(cacheLatencyCheck, /^set /, target, raw, url, { cache: { duration_s: 1.5, key_space: 200, concurrency: 8 } });
    const byOp = Object.fromEntries(rates(r, 'cache_op_errors').map((m) => [m.tags.op, `${m.hits}/${m.total}`]));
    console.log(`frozen during SET: status ${r.status}; errors per op ${JSON.stringify(byOp)}; thresholds ${JSON.stringify(r.thresholds.map((t) => [t.metric, t.expression, t.ok, t.actual]))}; took ${Math.round(performance.now() - t0)} ms`);
    expect(r.status).toBe('fail');
    // SET answered (next to) nothing: its own error share fails, GET's passes. A few SETs may land before the freeze.
    expect(outcome(r, 'cache_op_errors{op:set}')!.ok).toBe(false);
    expect(outcome(r, 'cache_op_errors{op:set}')!.actual).toBeGreaterThan(0.05);
    expect(outcome(r, 'cache_op_errors{op:get}')).toMatchObject({ ok: true, actual: 0 });
    expect(outcome(r, 'cache_op_timeouts')!.ok).toBe(false);
    expect(r.findings.some((f) => f.subject === 'set' && f.severity === 'error' && /timed out/.test(f.detail ?? ''))).toBe(true);
    expect(performance.now() - t0).toBeLessThan(30_000);
  }, 60_000);

  it('fails cache.concurrency instead of hiding the stall', async () => {
    const { target, raw, url } = await frozenServer();
    const r = await runFreezingAt(cacheConcurrencyCheck, /^8 in flight/, target, raw, url, { cache: { step_duration_s: 1.5, concurrency_levels: [1, 8], key_space: 200 } });
    const errors = rates(r, 'cache_concurrency_errors').map((m) => `${JSON.stringify(m.tags)} ${m.hits}/${m.total}`);
    console.log(`frozen during concurrency 8: status ${r.status}; errors ${errors.join('; ')}; thresholds ${JSON.stringify(r.thresholds.map((t) => [t.metric, t.expression, t.ok, t.actual]))}`);
    expect(r.status).toBe('fail');
    expect(outcome(r, 'cache_concurrency_errors{concurrency:8,op:get}')!.ok).toBe(false);
    expect(outcome(r, 'cache_concurrency_errors{concurrency:1,op:get}')!.ok).toBe(true);
  }, 60_000);

  it('fails cache.concurrency on a stall that starts mid-step, after thousands of operations succeeded', async () => {
    const { target, raw, url } = await frozenServer();
    const r = await runFreezingAt(cacheConcurrencyCheck, /^8 in flight/, target, raw, url, { cache: { step_duration_s: 1, concurrency_levels: [8], key_space: 200 } }, 500);
    const errors = rates(r, 'cache_concurrency_errors').map((m) => `${JSON.stringify(m.tags)} ${m.hits}/${m.total}`);
    console.log(`frozen mid-step: status ${r.status}; errors ${errors.join('; ')}; timeouts ${outcome(r, 'cache_concurrency_timeouts')!.actual}`);
    // The error share may stay under 1 %; the timeouts cannot be hidden.
    expect(outcome(r, 'cache_concurrency_timeouts')).toMatchObject({ ok: false });
    expect(r.status).toBe('fail');
  }, 60_000);
});

describe('a lost Redis connection', () => {
  it('fails cache.latency with the reason, and the check still ends and cleans up', async () => {
    const { target, raw, url } = await frozenServer();
    const shared = new SharedResources();
    const log = silentLogger();
    let killed: Promise<unknown> | undefined;
    /** CLIENT KILL of every connection the check opened (named stackprobe), not of the test's own. */
    const killOurs = async () => {
      const list = String(await raw.call('CLIENT', 'LIST'));
      const ids = [...list.matchAll(/id=(\d+) .*name=stackprobe /g)].map((m) => m[1]!);
      for (const id of ids) await raw.call('CLIENT', 'KILL', 'ID', id);
      return ids.length;
    };
    const r = await runCheck({
      check: cacheLatencyCheck, config: validateConfig({ redis_url: url, cache: { duration_s: 1, key_space: 200 } }), targets: { redis: target },
      unavailable: {}, broken: new Set(), shared, signal: new AbortController().signal, log,
      onProgress: (text) => {
        if (!killed && /^get /.test(text)) killed = new Promise((res) => setTimeout(res, 300)).then(killOurs);
      },
    }).finally(() => shared.cleanupAll(log));
    const n = await killed;
    console.log(`killed ${String(n)} connections: status ${r.status}; lost ${JSON.stringify(outcome(r, 'cache_connections_lost'))}; finding ${r.findings.find((f) => f.subject === 'connection')?.title}`);
    expect(n).toBeGreaterThan(0);
    expect(r.status).toBe('fail');
    expect(outcome(r, 'cache_connections_lost')!.ok).toBe(false);
    expect(r.findings.find((f) => f.subject === 'connection')!.title).toMatch(/a Redis connection was lost during the check/);
    expect(await raw.dbsize()).toBe(0);
  }, 60_000);
});
