// cache.server against private redis-servers: a healthy server with clean traffic passes; evictions, a slow command, a
// blocked client, a client with a full output buffer, an LFU hot key, a replica and a slow fork are found over the window.
import net from 'node:net';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheServerCheck } from '../../src/checks/cache/index.js';
import { waitFor, withTimeout } from '../../src/exec/timeout.js';
import { TimeoutError } from '../../src/util/errors.js';
import type { CheckResult } from '../../src/result/model.js';
import { monitorRedis } from '../helpers/redis-monitor.js';
import { openTestTarget, rawClient, runCacheCheck, startPrivateRedis, type PrivateRedis } from '../helpers/redis.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function server(args: string[] = []): Promise<{ srv: PrivateRedis; raw: Redis }> {
  const srv = await startPrivateRedis({ args });
  cleanups.push(() => srv.stop());
  const raw = rawClient(srv.url);
  cleanups.push(() => raw.quit());
  return { srv, raw };
}

async function check(url: string, config: Record<string, unknown> = {}, readOnly = false): Promise<CheckResult> {
  const target = await openTestTarget(url);
  try {
    return await runCacheCheck(cacheServerCheck, target, { redis_url: url, read_only: readOnly, cache: { server: { window_s: 1.5 }, ...config } });
  } finally {
    await target.close();
  }
}

/** Runs `step` in a loop on its own client until stopped; the loop's first error fails the test at stop(). */
function traffic(url: string, step: (c: Redis, i: number) => Promise<unknown>): { stop(): Promise<void> } {
  const c = rawClient(url);
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) await step(c, i);
  })();
  return { async stop() {
    running = false;
    try {
      await loop;
    } finally {
      await c.quit();
    }
  } };
}

/** True when a server does not answer a PING within 300 ms (it is busy in DEBUG SLEEP). */
async function unanswered(url: string): Promise<boolean> {
  const c = rawClient(url);
  try {
    await withTimeout(c.ping(), 300, 'PING');
    return false;
  } catch (err) {
    return err instanceof TimeoutError;
  } finally {
    c.disconnect();
  }
}

const problems = (r: CheckResult) => r.metrics.filter((m) => m.name === 'cache_server_problems' && m.tags.problem).map((m) => m.tags.problem);
type Window = { lookups: number; hit_rate: number; evicted_keys: number; commands_by_time: Array<{ command: string; calls: number; ms_per_call: number; p99_ms_at_most?: number }> };

describe('cache.server over a window', () => {
  it('passes a healthy cache with clean traffic, reading it over the window, and under --read-only sends only reads', async () => {
    const { srv, raw } = await server(['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru']);
    const pipe = raw.pipeline();
    for (let i = 0; i < 200; i++) pipe.set(`item:${i}`, 'v'.repeat(100), 'EX', 600);
    await pipe.exec();
    const load = traffic(srv.url, (c, i) => c.get(`item:${i % 200}`));
    const monitor = await monitorRedis(srv.url);
    cleanups.push(() => monitor.stop());
    let r: CheckResult;
    try {
      r = await check(srv.url, {}, true);
    } finally {
      await load.stop();
    }
    const w = r.info.window as Window;
    console.log(`healthy: ${w.lookups} lookups over the window, hit rate ${w.hit_rate}; commands ${JSON.stringify(w.commands_by_time.slice(0, 2))}`);
    expect(r.status, JSON.stringify(r.findings)).toBe('pass');
    expect(problems(r)).toEqual([]);
    expect(w.lookups).toBeGreaterThan(100);
    expect(w.hit_rate).toBe(1);
    expect(w.evicted_keys).toBe(0);
    const get = w.commands_by_time.find((c) => c.command === 'get')!;
    expect(get.calls).toBeGreaterThan(100);
    expect(get.p99_ms_at_most).toBeGreaterThan(0); // LATENCY HISTOGRAM over the window
    expect(w.commands_by_time.some((c) => c.command === 'info')).toBe(false); // the check's own samples are left out
    // Every command the check itself sent reads (the traffic loop's GETs come from another client).
    const sent = new Set(monitor.seen.filter((c) => c.name !== 'get').map((c) => `${c.name} ${c.args[0] ?? ''}`.trim().toLowerCase()));
    const reads = /^(info|latency histogram|slowlog get|client list|client setname|scan|pttl|object freq|ping|select|quit|auth|config get|dbsize|hello)/;
    expect([...sent].filter((c) => !reads.test(c))).toEqual([]);
    expect(sent.has('info everything')).toBe(true); // (MONITOR does not show admin commands: LATENCY, SLOWLOG, CLIENT)
  });

  it('finds evictions and a slow command inside the window, and says a blocked client', async () => {
    const { srv, raw } = await server(['--maxmemory', '4mb', '--maxmemory-policy', 'allkeys-lru']);
    for (let i = 0; i < 20; i++) {
      const pipe = raw.pipeline();
      for (let j = 0; j < 1000; j++) pipe.set(`small:${i * 1000 + j}`, 'x', 'EX', 600);
      await pipe.exec();
    }
    const evictedBefore = Number(/evicted_keys:(\d+)/.exec(await raw.info('stats'))![1]);
    const blocked = rawClient(srv.url);
    await blocked.client('SETNAME', 'queue-worker');
    const waiting = blocked.blpop('jobs:empty', 30).catch(() => null);
    cleanups.push(async () => {
      blocked.disconnect();
      await waiting;
    });
    await waitFor(async () => /blocked_clients:1/.test(await raw.info('clients')), 5000, 'the BLPOP client to block');
    const big = 'b'.repeat(4096);
    const writer = traffic(srv.url, (c, i) => c.set(`page:${i}`, big, 'EX', 600));
    // A Lua script that loops: a few ms of server time per call, whatever the key space holds.
    const slow = traffic(srv.url, async (c) => {
      await c.eval('local i = 0 while i < 300000 do i = i + 1 end return i', 0);
      await new Promise((res) => setTimeout(res, 50));
    });
    let r: CheckResult;
    try {
      r = await check(srv.url);
    } finally {
      await writer.stop();
      await slow.stop();
    }
    const w = r.info.window as Window;
    const lua = w.commands_by_time.find((c) => c.command === 'eval');
    console.log(`planted: ${w.evicted_keys} evicted in the window (${evictedBefore} before it); EVAL ${lua?.ms_per_call} ms per call`);
    expect(r.status).toBe('warn');
    expect(problems(r)).toEqual(expect.arrayContaining(['evictions', 'slow_command']));
    expect(w.evicted_keys).toBeGreaterThan(0);
    expect(r.findings.find((f) => f.subject === 'eval')?.title).toMatch(/^EVAL took [\d.]+ ms per call/);
    expect(problems(r).filter((p) => p === 'slow_command')).toHaveLength(1); // GET and SET are not slow
    const note = r.findings.find((f) => f.subject === 'blocked_clients');
    expect(note).toMatchObject({ severity: 'info', title: '1 client blocked: 1 queue-worker in blpop' });
    expect(JSON.stringify(r)).not.toMatch(/small:\d|page:\d/); // key names never appear whole
  });

  it('finds a client whose output buffer fills, and the hot key under an LFU policy', async () => {
    const { srv, raw } = await server(['--maxmemory', '512mb', '--maxmemory-policy', 'allkeys-lfu']);
    await raw.set('blob:1', 'z'.repeat(1024 * 1024), 'EX', 600);
    const pipe = raw.pipeline();
    for (let i = 0; i < 300; i++) pipe.set(`product:${1000 + i}`, 'p', 'EX', 600);
    await pipe.exec();
    const reads = raw.pipeline();
    for (let i = 0; i < 3000; i++) reads.get('product:1042');
    await reads.exec();
    // A reader that pipelines GETs of a 1 MB value and never reads the replies.
    const u = new URL(srv.url);
    const sock = net.connect({ host: u.hostname, port: Number(u.port) });
    cleanups.push(async () => void sock.destroy());
    await new Promise<void>((res, rej) => sock.once('connect', res).once('error', rej));
    const cmd = (...w: string[]) => `*${w.length}\r\n${w.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join('')}`;
    sock.pause();
    sock.write(cmd('AUTH', decodeURIComponent(u.password)) + cmd('CLIENT', 'SETNAME', 'report-export') + cmd('GET', 'blob:1').repeat(48));
    await waitFor(async () => /name=report-export .*omem=(\d{8,})/.test(String(await raw.call('CLIENT', 'LIST'))), 10_000, 'the output buffer to fill');
    const r = await check(srv.url);
    const hot = r.info.hot_keys as Array<{ pattern: string; freq: number }>;
    console.log(`buffer and hot key: ${r.findings.find((f) => f.subject === 'report-export')?.title}; hot keys ${JSON.stringify(hot.slice(0, 3))}`);
    expect(problems(r)).toContain('output_buffer');
    expect(r.findings.find((f) => f.subject === 'report-export')?.title).toMatch(/has [\d.]+ MB of replies waiting/);
    expect(hot[0]).toMatchObject({ pattern: 'product:{id}' });
    expect(hot[0]!.freq).toBeGreaterThan(hot[1]!.freq + 5);
    expect(JSON.stringify(r)).not.toMatch(/product:1042/);
  });

  it('shows a replica with its offset lag, and the last fork; a replica that stops acknowledging and a fork above max_fork_ms are found', async () => {
    const { srv, raw } = await server();
    const pw = decodeURIComponent(new URL(srv.url).password);
    const replica = await startPrivateRedis({ args: ['--replicaof', '127.0.0.1', String(srv.port), '--masterauth', pw, '--enable-debug-command', 'yes'] });
    cleanups.push(() => replica.stop());
    await waitFor(async () => /slave0:.*state=online/.test(await raw.info('replication')), 15_000, 'the replica to come online');
    await raw.set('stackprobe:test-fork', 'x', 'EX', 60);
    await raw.bgsave();
    await waitFor(async () => /rdb_bgsave_in_progress:0/.test(await raw.info('persistence')) && /latest_fork_usec:[1-9]/.test(await raw.info('stats')), 10_000, 'BGSAVE');
    const healthy = await check(srv.url);
    const repl = healthy.info.replication as { role: string; replicas: Array<{ id: string; state: string; lag_bytes: number }> };
    console.log(`replica: ${JSON.stringify(repl)}; fork ${JSON.stringify((healthy.info.persistence as { latest_fork_ms: number }).latest_fork_ms)} ms`);
    expect(repl.replicas).toEqual([expect.objectContaining({ id: 'slave0', state: 'online' })]);
    expect(repl.replicas[0]!.lag_bytes).toBeLessThan(1024 * 1024);
    expect(problems(healthy)).not.toContain('replica_lag');
    expect(problems(healthy)).not.toContain('slow_fork');
    const strict = await check(srv.url, { server: { window_s: 0.2, max_fork_ms: 0.001 } });
    expect(problems(strict)).toContain('slow_fork');
    expect(JSON.stringify(healthy)).not.toContain(pw);

    // The replica sleeps while the primary takes 3 MB of writes: its acknowledged offset stays behind.
    const onReplica = rawClient(replica.url);
    cleanups.push(() => onReplica.quit());
    const asleep = onReplica.call('DEBUG', 'SLEEP', '6');
    await waitFor(() => unanswered(replica.url), 5000, 'the replica to sleep');
    for (let i = 0; i < 3; i++) await raw.set(`stackprobe:test-lag:${i}`, 'l'.repeat(1024 * 1024), 'EX', 60);
    const lagging = await check(srv.url, { server: { window_s: 0.2 } });
    await asleep;
    const behind = (lagging.info.replication as { replicas: Array<{ lag_bytes: number }> }).replicas[0]!;
    console.log(`lagging replica: ${behind.lag_bytes} bytes behind`);
    expect(behind.lag_bytes).toBeGreaterThan(1024 * 1024);
    expect(lagging.findings.find((f) => f.subject === 'slave0')?.title).toMatch(/^replica slave0 is \d+ bytes behind/);
  });
});
