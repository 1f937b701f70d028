// cache.server and cache.keyspace on a private 3-master Redis Cluster: each master's slots, memory, keys and hit rate
// against what each master's INFO says, the cluster's totals, the synthetic checks on the master holding the run's hash
// tag, and nothing left behind (servers stopped and their dir removed, also when a test fails).
import { existsSync } from 'node:fs';
import net from 'node:net';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheKeyspaceCheck, cacheLatencyCheck, cacheServerCheck } from '../../src/checks/cache/index.js';
import { parseInfo, parseKeyspaceEntry } from '../../src/targets/redis/info.js';
import { prefixHashTag } from '../../src/targets/redis/keys.js';
import { TargetUnavailableError } from '../../src/util/errors.js';
import type { RedisTarget } from '../../src/targets/redis/target.js';
import { openTestTarget, runCacheCheck } from '../helpers/redis.js';
import { startPrivateCluster, type PrivateCluster } from '../helpers/redis-cluster.js';

let cluster: PrivateCluster;
let writer: Cluster;
let target: RedisTarget;

const SESSIONS = 3000;
const PROFILES = 1500;

beforeAll(async () => {
  cluster = await startPrivateCluster(3);
  const password = decodeURIComponent(new URL(cluster.url).password);
  writer = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0]! }], { redisOptions: { password, maxRetriesPerRequest: 1 } });
  writer.on('error', () => undefined);
  // Sessions with a TTL and profiles without one, spread over every master by their slots.
  for (let start = 0; start < SESSIONS; start += 500) {
    await Promise.all(Array.from({ length: 500 }, (_, i) => writer.set(`session:${start + i}`, 's'.repeat(200), 'EX', 3600)));
  }
  for (let start = 0; start < PROFILES; start += 500) {
    await Promise.all(Array.from({ length: 500 }, (_, i) => writer.hset(`user:${start + i}:profile`, { name: `u${start + i}`, bio: 'b'.repeat(400) })));
  }
  target = await openTestTarget(cluster.url);
}, 60_000);

afterAll(async () => {
  await target?.close();
  writer?.disconnect();
  await cluster?.stop();
  if (!cluster) return;
  // The cleanup itself is checked: no server answers on the cluster's ports, and its dir is gone.
  expect(existsSync(cluster.dir)).toBe(false);
  for (const port of cluster.ports) {
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => resolve(Boolean(s.destroy()) && false));
      s.once('error', () => resolve(true));
    });
    expect(refused, `port ${port} still answers`).toBe(true);
  }
}, 30_000);

const gauge = (r: { metrics: Array<{ name: string; tags: Record<string, string>; value?: number }> }, name: string, tags: Record<string, string> = {}) =>
  r.metrics.find((m) => m.name === name && JSON.stringify(m.tags) === JSON.stringify(tags))?.value;

describe('a Redis Cluster', () => {
  it('is opened: the masters read, stackprobe\'s keys under one hash tag on the master serving its slot', () => {
    expect(target.cluster?.masters).toHaveLength(3);
    expect(prefixHashTag(target.keyPrefix)).toBeDefined();
    const home = target.cluster!.home;
    expect(home.slots.some(([a, b]) => target.cluster!.homeSlot >= a && target.cluster!.homeSlot <= b)).toBe(true);
    expect(target.facts.settings?.cluster_masters).toBe('3');
  });

  it('cache.server: each master\'s slots, memory, keys and hit rate over the window, and the totals', async () => {
    let lookups = 0;
    let running = true;
    // Traffic during the window: three hits to one miss, on keys of every master.
    const traffic = (async () => {
      for (let i = 0; running; i++) {
        await Promise.all([writer.get(`session:${i % SESSIONS}`), writer.get(`session:${(i * 7) % SESSIONS}`), writer.get(`session:${(i * 13) % SESSIONS}`), writer.get(`missing:${i}`)]);
        lookups += 4;
      }
    })();
    let r;
    try {
      r = await runCacheCheck(cacheServerCheck, target, { cache: { server: { window_s: 2 } } });
    } finally {
      running = false;
      await traffic;
    }
    const masters = r.info.masters as Array<{ master: string; slots: number; used_memory_mb: number; keys: number; hit_rate: number | null; lookups: number }>;
    console.log(`cluster: ${JSON.stringify(masters)} totals ${JSON.stringify(r.info.cluster)}; ${lookups} lookups sent`);
    expect(r.status, `${r.reason ?? ''} ${JSON.stringify(r.findings)}`).not.toMatch(/fail|error|skip/);
    expect(masters).toHaveLength(3);
    expect(masters.reduce((n, m) => n + m.slots, 0)).toBe(16384);
    expect(gauge(r, 'redis_cluster_slots')).toBe(16384);
    for (const m of masters) expect(gauge(r, 'redis_cluster_slots', { master: m.master })).toBe(m.slots);
    // Each master's memory and keys as its own INFO says (memory moves a little: within 5 %).
    let keys = 0;
    for (const m of masters) {
      const info = parseInfo(await cluster.node(Number(m.master.split(':')[1])).info());
      const used = Number(info.used_memory) / 1024 / 1024;
      expect(Math.abs(m.used_memory_mb - used) / used).toBeLessThan(0.05);
      expect(gauge(r, 'redis_used_memory_mb', { master: m.master })).toBe(m.used_memory_mb);
      expect(m.keys).toBe(parseKeyspaceEntry(info.db0 ?? '').keys ?? 0);
      expect(m.keys).toBeGreaterThan(0);
      keys += m.keys;
      // Every master saw its share of the lookups, three hits to one miss (the window may cut a batch in two).
      expect(m.lookups).toBeGreaterThan(20);
      expect(m.hit_rate).toBeGreaterThan(0.6);
      expect(m.hit_rate).toBeLessThan(0.9);
    }
    expect(keys).toBe(SESSIONS + PROFILES);
    expect(gauge(r, 'redis_cluster_keys')).toBe(keys);
    const totalHitRate = gauge(r, 'redis_window_hit_rate')!;
    expect(totalHitRate).toBeGreaterThan(0.7);
    expect(totalHitRate).toBeLessThan(0.8);
    expect(gauge(r, 'redis_used_memory_mb')).toBeCloseTo(masters.reduce((n, m) => n + m.used_memory_mb, 0), 3);
    // No maxmemory on any master: each is named in its own finding.
    const noMax = r.findings.filter((f) => /no maxmemory set/.test(f.title));
    expect(noMax.map((f) => f.data?.master).sort()).toEqual(masters.map((m) => m.master).sort());
    expect(noMax.every((f) => f.title.startsWith(`master ${String(f.data?.master)}: `))).toBe(true);
  }, 60_000);

  it('cache.keyspace: every master sampled, the patterns of the whole cluster', async () => {
    const r = await runCacheCheck(cacheKeyspaceCheck, target);
    const masters = r.info.masters as Array<{ master: string; keys: number; complete: boolean }>;
    const patterns = r.info.patterns as Array<{ pattern: string; keys: number; without_ttl_share: number; ttl_p50_s?: number }>;
    console.log(`keyspace: ${JSON.stringify(masters)} ${JSON.stringify(patterns.map((p) => [p.pattern, p.keys, p.without_ttl_share]))}`);
    expect(r.status, r.reason).not.toMatch(/fail|error|skip/);
    expect(masters).toHaveLength(3);
    expect(masters.every((m) => m.complete)).toBe(true);
    expect(masters.reduce((n, m) => n + m.keys, 0)).toBe(SESSIONS + PROFILES);
    for (const m of masters) expect(gauge(r, 'cache_keyspace_keys', { master: m.master })).toBe(m.keys);
    expect(gauge(r, 'cache_keyspace_keys')).toBe(SESSIONS + PROFILES);
    const session = patterns.find((p) => p.pattern.startsWith('session:'))!;
    const profile = patterns.find((p) => p.pattern.startsWith('user:'))!;
    expect(session).toMatchObject({ keys: SESSIONS, without_ttl_share: 0 });
    expect(session.ttl_p50_s).toBeGreaterThan(3000);
    expect(profile).toMatchObject({ keys: PROFILES, without_ttl_share: 1 });
  }, 60_000);

  it('the synthetic checks run on the master of the run\'s hash tag and leave no key behind', async () => {
    const r = await runCacheCheck(cacheLatencyCheck, target, { cache: { duration_s: 0.5 } });
    // Its verdict is a latency threshold (a busy host may miss it); what the cluster decides is that every operation,
    // MGET and pipelines included, succeeds: no MOVED or CROSSSLOT, the run's keys all in one slot of one master.
    expect(r.reason).toBeUndefined();
    const errors = r.metrics.filter((m) => m.name === 'cache_op_errors') as Array<{ tags: Record<string, string>; hits: number; total: number }>;
    expect(errors.map((e) => e.tags.op).sort()).toEqual(expect.arrayContaining(['get', 'mget', 'set']));
    for (const e of errors) expect(e, JSON.stringify(e)).toMatchObject({ hits: 0, total: expect.any(Number) });
    expect(errors.every((e) => e.total > 0)).toBe(true);
    const left = await Promise.all(cluster.ports.map((p) => cluster.node(p).scan('0', 'MATCH', 'stackprobe:*', 'COUNT', 100000)));
    expect(left.flatMap(([, keys]) => keys)).toEqual([]);
  }, 60_000);

  it('a user refused CLUSTER NODES: the target is unavailable with the server\'s reason, never read as one server', async () => {
    const first = cluster.node(cluster.ports[0]!);
    await first.call('ACL', 'SETUSER', 'sp_nocluster', 'on', '>nocluster-pw', '~*', '+@all', '-cluster');
    const url = cluster.url.replace(/\/\/:[^@]*@/, '//sp_nocluster:nocluster-pw@');
    const err = await openTestTarget(url).then((t) => t.close().then(() => undefined), (e: unknown) => e);
    expect(err).toBeInstanceOf(TargetUnavailableError);
    expect(String((err as Error).message)).toMatch(/^Redis at redis:\/\/sp_nocluster:\*\*\*@127\.0\.0\.1:\d+ is a Cluster node, and its masters cannot be read: NOPERM/);
    expect(String((err as Error).message)).not.toContain('nocluster-pw');
  });

  // Last: it stops a master.
  it('a master that is gone fails cache.server naming it, with no figure made up for the others', async () => {
    const gone = target.cluster!.masters.find((m) => m.id !== target.cluster!.home.id)!;
    await cluster.node(gone.port).call('SHUTDOWN', 'NOSAVE').catch(() => undefined); // the reply is the connection closing
    const refused = () => new Promise<boolean>((resolve) => {
      const s = net.connect(gone.port, '127.0.0.1');
      s.once('connect', () => resolve(Boolean(s.destroy()) && false));
      s.once('error', () => resolve(true));
    });
    const deadline = performance.now() + 10_000;
    while (!(await refused())) if (performance.now() > deadline) throw new Error('the master did not stop');
    const r = await runCacheCheck(cacheServerCheck, target, { cache: { server: { window_s: 1 } } });
    expect(r.status).toBe('fail');
    expect(r.reason).toMatch(new RegExp(`^cannot read cluster master ${gone.address.replace(/\./g, '\\.')} \\(flags master\\): `));
    expect(r.metrics.some((m) => m.name === 'redis_cluster_slots' || m.name === 'redis_used_memory_mb')).toBe(false);
  }, 60_000);
});
