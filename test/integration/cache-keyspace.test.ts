// cache.keyspace against a private redis-server holding an app-like key space: the estimate against a full MEMORY USAGE scan,
// the no-TTL pattern and the big key named, a clean key space passing, nothing written, no key shown whole, and its time on 1 M keys.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheKeyspaceCheck } from '../../src/checks/cache/index.js';
import { keyPattern } from '../../src/checks/cache/keyspace-patterns.js';
import { compareRuns } from '../../src/compare/compare.js';
import { validateConfig } from '../../src/config/load.js';
import type { CheckResult, RunResult } from '../../src/result/model.js';
import { renderConsoleSummary } from '../../src/report/console.js';
import { renderJson } from '../../src/report/json.js';
import { renderMarkdown, renderMarkdownDetails } from '../../src/report/markdown.js';
import { renderProm } from '../../src/report/prom.js';
import { run } from '../../src/run/runner.js';
import type { RedisTarget } from '../../src/targets/redis/target.js';
import { silentLogger } from '../../src/util/logger.js';
import { expectPromtoolClean } from '../helpers/promtool.js';
import { openTestTarget, rawClient, runCacheCheck, startPrivateRedis, type PrivateRedis } from '../helpers/redis.js';

const SECRET = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';
const MB = 1024 * 1024;

let srv: PrivateRedis;
let raw: Redis;
let target: RedisTarget;

beforeAll(async () => {
  srv = await startPrivateRedis({ args: ['--enable-debug-command', 'yes'] });
  raw = rawClient(srv.url);
  target = await openTestTarget(srv.url);
}, 30_000);
afterAll(async () => {
  await target?.close();
  await raw?.quit();
  await srv?.stop();
});

/** Writes `count` keys made by `make(i)` in pipelined chunks. */
async function write(count: number, make: (pipe: ReturnType<Redis['pipeline']>, i: number) => void): Promise<void> {
  for (let start = 0; start < count; start += 2000) {
    const pipe = raw.pipeline();
    for (let i = start; i < Math.min(count, start + 2000); i++) make(pipe, i);
    const failed = (await pipe.exec())?.find(([err]) => err);
    if (failed) throw failed[0];
  }
}

const session = (i: number) => JSON.stringify({ user_id: i, csrf: randomUUID(), cart: [i % 7, i % 11], ua: 'Mozilla/5.0 (X11; Linux x86_64)' });

/** A clean app: sessions and a product cache with TTLs, a leaderboard and Celery's kombu bindings (single keys, no TTL). */
async function cleanApp(): Promise<void> {
  await write(12_000, (p, i) => p.set(`session:${100_000 + i}`, session(i), 'EX', 1800 + (i % 600)));
  await write(8000, (p, i) => p.set(`cache:product:${i}`, 'p'.repeat(300 + (i % 400)), 'EX', 300));
  // Scores unrelated to the member names, as in a real leaderboard (MEMORY USAGE samples the lowest scores).
  await write(5000, (p, i) => p.zadd('leaderboard:weekly', (i * 7919) % 5003, `user:${i}`));
  await raw.sadd('_kombu.binding.celery', 'celery\x06\x16\x06\x16celery');
}

/** The clean app plus results kept forever, profiles never expired, a ~20 MB hash and a key whose name carries a secret. */
async function dirtyApp(): Promise<void> {
  await cleanApp();
  await write(15_000, (p, i) => p.set(`celery-task-meta-${randomUUID()}`, JSON.stringify({ status: 'SUCCESS', result: i, traceback: null, children: [], date_done: '2026-12-06T01:02:03', task_id: randomUUID() })));
  await write(100_000, (p, i) => p.hset('inventory:snapshot', `sku-${i}`, 'x'.repeat(160)));
  await raw.set(`apikey:${SECRET}`, `token=${SECRET}`, 'EX', 3600);
  // A family stored like a cache but never expired: profiles written on login and never removed.
  await write(8000, (p, i) => p.hset(`user:${i}:profile`, { name: `user ${i}`, bio: 'b'.repeat(600 + (i % 300)), plan: 'free' }));
}

/** The truth: every key, MEMORY USAGE … SAMPLES 0 (every element), summed by pattern. */
async function truthByPattern(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await raw.scan(cursor, 'COUNT', 2000);
    cursor = next;
    const pipe = raw.pipeline();
    for (const k of keys) pipe.call('MEMORY', 'USAGE', k, 'SAMPLES', '0');
    const replies = (await pipe.exec()) ?? [];
    keys.forEach((k, i) => out.set(keyPattern(k), (out.get(keyPattern(k)) ?? 0) + Number(replies[i]![1])));
  } while (cursor !== '0');
  return out;
}

interface PatternRow { pattern: string; keys: number; keys_se: number; sampled: number; memory_mb: number; without_ttl_share: number; ttl_p50_s?: number; ttl_max_s?: number }
const patterns = (r: CheckResult) => r.info.patterns as PatternRow[];

function expectWithinTenPercent(r: CheckResult, truth: Map<string, number>, mustSee: string[]): void {
  const total = [...truth.values()].reduce((a, b) => a + b, 0);
  const rows = patterns(r);
  for (const name of mustSee) {
    const est = rows.find((p) => p.pattern === name);
    expect(est, `${name} not found in ${rows.map((p) => p.pattern).join(', ')}`).toBeDefined();
    const t = truth.get(name)!;
    const bytes = est!.memory_mb * MB;
    console.log(`  ${name}: estimated ${est!.memory_mb.toFixed(2)} MB (~${est!.keys} ± ${est!.keys_se} keys), truth ${(t / MB).toFixed(2)} MB (${((t / total) * 100).toFixed(1)} %)`);
    expect(Math.abs(bytes - t) / t).toBeLessThan(0.1);
  }
}

describe('cache.keyspace', () => {
  it('a clean app key space passes with no finding, writing nothing, also under --read-only', async () => {
    await raw.flushall();
    await cleanApp();
    const dirty = async () => Number(/rdb_changes_since_last_save:(\d+)/.exec(await raw.info('persistence'))![1]);
    const before = await dirty();
    const r = await runCacheCheck(cacheKeyspaceCheck, target, { read_only: true });
    expect(r.findings).toEqual([]);
    expect(r.status).toBe('pass');
    expect(await dirty()).toBe(before);
    expect(patterns(r).map((p) => p.pattern)).toEqual(expect.arrayContaining(['session:{id}', 'cache:product:{id}', 'leaderboard:weekly', '_kombu.binding.celery']));
    const sessions = patterns(r).find((p) => p.pattern === 'session:{id}')!;
    expect(sessions.without_ttl_share).toBe(0);
    expect(sessions.ttl_p50_s).toBeGreaterThan(1700);
    expect(sessions.ttl_max_s).toBeLessThanOrEqual(2400);

    // compare: the per-pattern figures of a later run against this one as baseline; sessions that lost their TTL regress.
    const runKeyspace = () => run({ config: validateConfig({ redis_url: srv.url, read_only: true, cache: { keyspace: { max_keys: 100_000, max_ms: 30_000 } } }), checks: [cacheKeyspaceCheck], signal: new AbortController().signal, log: silentLogger() });
    const baseline = await runKeyspace();
    await write(12_000, (p, i) => p.persist(`session:${100_000 + i}`));
    const current = await runKeyspace();
    const cmp = compareRuns(baseline, current, { maxRegression: 0.1 });
    const noTtl = cmp.regressions.find((c) => c.metric === 'cache_keyspace_pattern_without_ttl_share{pattern:session:{id}}');
    expect(noTtl).toMatchObject({ baseline: 0, current: 1 });
    expect(cmp.changes.some((c) => c.metric === 'cache_keyspace_pattern_keys{pattern:cache:product:{id}}')).toBe(true);
    expect(current.checks[0]!.findings.map((f) => f.subject)).toEqual(['session:{id}']);
  }, 60_000);

  it('names the no-TTL Celery results and the big hash, estimates memory by pattern within 10 % of a full scan, and shows no key whole', async () => {
    await raw.flushall();
    await dirtyApp();
    const truth = await truthByPattern();
    const dbsize = await raw.dbsize();

    // Every key read (max_keys above DBSIZE): a single big key cannot be missed.
    const full = await runCacheCheck(cacheKeyspaceCheck, target, { cache: { keyspace: { max_keys: 100_000, max_ms: 20_000 } } });
    const info = full.info.sample as { complete: boolean; elapsed_ms: number; sampled: number };
    console.log(`full read of ${dbsize} keys: ${info.elapsed_ms} ms`);
    expect(info.complete).toBe(true);
    expect(full.status).toBe('warn');
    const subjects = full.findings.map((f) => `${f.subject} ${f.title}`);
    expect(subjects.some((s) => s.startsWith('celery-task-meta-{uuid} Celery results never expire'))).toBe(true);
    expect(full.findings.find((f) => f.subject === 'celery-task-meta-{uuid}')!.recommendation).toMatch(/result_expires/);
    const big = full.findings.find((f) => f.subject === 'inventory:snapshot')!;
    expect(big.title).toMatch(/^1 key of inventory:snapshot at or above 10 MB \(hash \d+\.\d MB\)/);
    expect(big.recommendation).toMatch(/UNLINK/);
    const profiles = full.findings.find((f) => f.subject === 'user:{id}:profile')!;
    expect(profiles.title).toMatch(/^user:\{id\}:profile: 100\.0% of ~8000 keys have no TTL and hold \d+\.\d% of the keys' memory/);
    // The leaderboard and the kombu set have no TTL either, but they are single keys of small size: no finding.
    expect(full.findings).toHaveLength(3);
    expect(full.metrics.filter((m) => m.name === 'cache_keyspace_problems' && Object.keys(m.tags).length).map((m) => m.tags.problem).sort())
      .toEqual(['big_key', 'celery_results_never_expire', 'grows_without_expiry']);
    expect(full.metrics.find((m) => m.name === 'cache_keyspace_problems' && m.tags.problem === 'big_key')!.tags.pattern).toBe('inventory:snapshot');
    console.log('complete read, memory by pattern:');
    expectWithinTenPercent(full, truth, ['inventory:snapshot', 'user:{id}:profile', 'celery-task-meta-{uuid}', 'session:{id}', 'cache:product:{id}', 'leaderboard:weekly']);

    // A quarter of the key space: the families scale by DBSIZE / sampled, within their stated error.
    const part = await runCacheCheck(cacheKeyspaceCheck, target, { cache: { keyspace: { max_keys: 10_000 } } });
    expect((part.info.sample as { complete: boolean }).complete).toBe(false);
    console.log('10,000-key sample, memory by pattern:');
    expectWithinTenPercent(part, truth, ['user:{id}:profile', 'celery-task-meta-{uuid}', 'session:{id}', 'cache:product:{id}']);
    for (const name of ['celery-task-meta-{uuid}', 'session:{id}']) {
      const p = patterns(part).find((x) => x.pattern === name)!;
      const actual = name === 'session:{id}' ? 12_000 : 15_000;
      expect(Math.abs(p.keys - actual)).toBeLessThan(4 * p.keys_se + 1);
    }
    expect(part.findings.map((f) => f.subject).sort()).toEqual(expect.arrayContaining(['celery-task-meta-{uuid}', 'user:{id}:profile']));

    // No key or value shown whole, in run.json, the console and Markdown.
    const result = await run({ config: validateConfig({ redis_url: srv.url, read_only: true, cache: { keyspace: { max_keys: 100_000, max_ms: 20_000 } } }), checks: [cacheKeyspaceCheck], signal: new AbortController().signal, log: silentLogger() });
    const outputs = [renderJson(result), renderConsoleSummary(result as RunResult, { verbose: true, color: false } as never), renderMarkdown(result), renderMarkdownDetails(result)];
    const someKeys = (await raw.scan('0', 'COUNT', 200))[1].filter((k) => k !== 'inventory:snapshot' && k !== 'leaderboard:weekly' && k !== '_kombu.binding.celery');
    expect(someKeys.length).toBeGreaterThan(50);
    for (const text of [outputs[0]!, outputs[1]!, outputs[3]!]) expect(text).toContain('celery-task-meta-{uuid}');
    for (const text of outputs) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(SECRET.slice(8, 20));
      for (const k of someKeys) expect(text).not.toContain(k);
    }
    expect(renderJson(result)).toContain('apikey:{token}');
    // Patterns as Prometheus label values ({, }, :, ? and all) pass promtool's own check.
    expect(renderProm(result)).toContain('pattern="celery-task-meta-{uuid}"');
    expectPromtoolClean(result);
  }, 120_000);

  it('runs as an ACL user allowed nothing but its reads, keeps binary key names exact, and drops keys that expire meanwhile', async () => {
    await raw.flushall();
    await cleanApp();
    // Names that are not UTF-8 must reach MEMORY USAGE byte for byte, or they would read as gone and vanish from the figures.
    await write(500, (p, i) => p.set(Buffer.concat([Buffer.from('bin:'), Buffer.from([0xff, 0xfe, 0x80 + (i % 100)]), Buffer.from(`:${i}`)]), 'v'.repeat(100)));
    await write(3000, (p, i) => p.set(`flash:${i}`, 'x', 'PX', 1 + (i % 50)));
    // The server enforces the promise: any other command (a write, CONFIG, KEYS, DEBUG) fails with NOPERM and fails the check.
    await raw.call('ACL', 'SETUSER', 'keyspace-reader', 'reset', 'on', '>reader-pw', '~*', '-@all',
      '+scan', '+dbsize', '+info', '+type', '+pttl', '+memory|usage', '+object|encoding', '+ping', '+select', '+client|setname', '+hello', '+auth');
    const url = new URL(srv.url);
    url.username = 'keyspace-reader';
    url.password = 'reader-pw';
    const reader = await openTestTarget(url.toString());
    try {
      const r = await runCacheCheck(cacheKeyspaceCheck, reader, { read_only: true, cache: { keyspace: { max_keys: 100_000, max_ms: 60_000 } } });
      expect((r.info.sample as { complete: boolean }).complete).toBe(true);
      expect(r.status, JSON.stringify(r.findings)).toBe('pass');
      const bin = patterns(r).find((p) => p.pattern.startsWith('bin:?'));
      expect(bin, patterns(r).map((p) => p.pattern).join(', ')).toBeDefined();
      expect(bin!.sampled, JSON.stringify(patterns(r).map((p) => [p.pattern, p.sampled]))).toBe(500);
      expect(bin!.memory_mb * MB).toBeGreaterThan(500 * 100);
      const flash = patterns(r).find((p) => p.pattern === 'flash:{id}');
      expect(flash?.keys ?? 0).toBeLessThan(3000);
      // Without MEMORY USAGE (a managed service may forbid it), the check fails naming the command, not with a bare NOPERM.
      await raw.call('ACL', 'SETUSER', 'keyspace-reader', '-memory|usage');
      const refused = await runCacheCheck(cacheKeyspaceCheck, reader, { read_only: true });
      expect(refused.status).toBe('fail');
      expect(refused.reason).toMatch(/^MEMORY USAGE was refused by the server .*NOPERM/);
    } finally {
      await reader.close();
      await raw.call('ACL', 'DELUSER', 'keyspace-reader');
    }
  }, 60_000);

  it('stays within its time budget on 1 M keys, and says how far it got', async () => {
    await raw.flushall();
    const t0 = performance.now();
    await raw.call('DEBUG', 'POPULATE', '1000000', 'user', '64');
    console.log(`DEBUG POPULATE 1M: ${Math.round(performance.now() - t0)} ms`);
    const defaults = await runCacheCheck(cacheKeyspaceCheck, target);
    const d = defaults.info.sample as { elapsed_ms: number; sampled: number; stopped_by: string };
    const users = patterns(defaults).find((p) => p.pattern === 'user:{id}')!;
    console.log(`1M keys, defaults: sampled ${d.sampled} in ${d.elapsed_ms} ms (${d.stopped_by}); user:{id} ~${users.keys} ± ${users.keys_se}`);
    expect(d.sampled).toBe(validateConfig({}).cache.keyspace.max_keys);
    expect(users.keys).toBe(1_000_000);
    expect(d.elapsed_ms).toBeLessThan(validateConfig({}).cache.keyspace.max_ms + 1000);

    const bounded = await runCacheCheck(cacheKeyspaceCheck, target, { cache: { keyspace: { max_keys: 10_000_000, max_ms: 500 } } });
    const b = bounded.info.sample as { elapsed_ms: number; sampled: number; stopped_by: string };
    console.log(`1M keys, max_ms 500: sampled ${b.sampled} in ${b.elapsed_ms} ms (${b.stopped_by})`);
    expect(b.stopped_by).toBe('max_ms');
    expect(b.elapsed_ms).toBeLessThan(1500);

    // Ctrl-C mid-sample: the check stops at the next SCAN batch instead of reading on to its budget.
    const ctrlC = new AbortController();
    const t1 = performance.now();
    setTimeout(() => ctrlC.abort(), 300);
    const stopped = await runCacheCheck(cacheKeyspaceCheck, target, { cache: { keyspace: { max_keys: 10_000_000, max_ms: 60_000 } } }, ctrlC.signal);
    console.log(`1M keys, Ctrl-C after 300 ms: ${stopped.status} after ${Math.round(performance.now() - t1)} ms`);
    expect(performance.now() - t1).toBeLessThan(2000);
    expect(stopped.status).toBe('skip');
    await raw.flushall();
  }, 120_000);
});
