// cache.server's pure parts: INFO parsing, SLOWLOG summarised without arguments, problems from server figures, the curve's knee.
import { describe, expect, it } from 'vitest';
import { curveFindings, p99ClimbLevel, saturationLevel } from '../../src/checks/cache/curve.js';
import { summariseSlowlog } from '../../src/checks/cache/server.js';
import { serverHitRate, serverProblems } from '../../src/checks/cache/server-findings.js';
import type { WindowDelta } from '../../src/checks/cache/server-window.js';
import { validateConfig } from '../../src/config/load.js';
import { parseInfo, parseKeyspaceEntry } from '../../src/targets/redis/info.js';

const cfg = validateConfig({}).cache;
const healthy = { maxmemory: '104857600', maxmemory_policy: 'allkeys-lru', used_memory: '1048576', mem_fragmentation_ratio: '1.1', evicted_keys: '0', keyspace_hits: '900', keyspace_misses: '100' };
const quiet: WindowDelta = { seconds: 2, reset: false, hits: 0, misses: 0, evicted: 0, expired: 0, commands: 0, commandsPerS: 0, byCommand: [] };
const problems = (info: Record<string, string>, sampled = 0, withoutTtl = 0, window: Partial<WindowDelta> = {}) =>
  serverProblems({ info, window: { ...quiet, ...window }, sampled, withoutTtl }, cfg, 0.8).map((p) => p.problem);

describe('INFO', () => {
  it('parses sections into a flat map and keyspace entries into numbers', () => {
    const info = parseInfo('# Server\r\nredis_version:7.0.15\r\n\r\n# Keyspace\r\ndb0:keys=12,expires=3,avg_ttl=0\r\n');
    expect(info).toEqual({ redis_version: '7.0.15', db0: 'keys=12,expires=3,avg_ttl=0' });
    expect(parseKeyspaceEntry(info.db0!)).toEqual({ keys: 12, expires: 3, avg_ttl: 0 });
  });
});

describe('SLOWLOG summary', () => {
  it('groups by command name and never keeps keys or values', () => {
    const entries = [
      [1, 1700000000, 15000, ['get', 'user:secret-key'], '127.0.0.1:1', ''],
      [2, 1700000001, 5000, ['GET', 'other'], '127.0.0.1:1', ''],
      [3, 1700000002, 25000, ['keys', '*'], '127.0.0.1:1', ''],
    ];
    const summary = summariseSlowlog(entries);
    expect(summary).toEqual([
      { command: 'KEYS', count: 1, total_ms: 25, max_ms: 25 },
      { command: 'GET', count: 2, total_ms: 20, max_ms: 15 },
    ]);
    expect(JSON.stringify(summary)).not.toMatch(/secret|other/);
  });
});

describe('server problems', () => {
  it('finds nothing on a healthy cache', () => {
    expect(problems(healthy, 100, 10)).toEqual([]);
    expect(serverHitRate(healthy)).toEqual({ rate: 0.9, lookups: 1000 });
  });

  it('flags no maxmemory, or noeviction under a limit', () => {
    expect(problems({ ...healthy, maxmemory: '0', maxmemory_policy: 'noeviction' })).toEqual(['no_maxmemory']);
    expect(problems({ ...healthy, maxmemory_policy: 'noeviction' })).toEqual(['noeviction']);
  });

  it('judges fragmentation only on instances big enough for it to mean something', () => {
    expect(problems({ ...healthy, mem_fragmentation_ratio: '4.7' })).toEqual([]);
    expect(problems({ ...healthy, mem_fragmentation_ratio: '4.7', used_memory: String(200 * 1024 * 1024) })).toEqual(['fragmentation']);
  });

  it('flags evictions and a low hit rate of the window, not of the counters since the reset, and keys without TTL', () => {
    expect(problems({ ...healthy, evicted_keys: '5', keyspace_hits: '500', keyspace_misses: '500' })).toEqual([]);
    expect(problems(healthy, 0, 0, { evicted: 5 })).toEqual(['evictions']);
    expect(problems(healthy, 0, 0, { hits: 500, misses: 500, hitRate: 0.5 })).toEqual(['low_hit_rate']);
    expect(problems(healthy, 0, 0, { hits: 5, misses: 50, hitRate: 5 / 55 })).toEqual([]); // too few lookups to judge
    expect(problems(healthy, 0, 0, { reset: true, evicted: 5 })).toEqual([]); // CONFIG RESETSTAT inside the window
    expect(problems(healthy, 100, 60)).toEqual(['keys_without_ttl']);
  });

  it('flags a command slow per call over the window, and refused commands', () => {
    const row = { command: 'get', calls: 1000, per_s: 500, ms_per_call: 0.002, busy_share: 0.001, failed: 0, rejected: 0 };
    expect(problems(healthy, 0, 0, { byCommand: [row] })).toEqual([]);
    expect(problems(healthy, 0, 0, { byCommand: [row, { ...row, command: 'keys', calls: 3, ms_per_call: 12 }] })).toEqual(['slow_command']);
    expect(problems(healthy, 0, 0, { byCommand: [{ ...row, command: 'set', rejected: 7 }] })).toEqual(['rejected_commands']);
  });
});

describe('concurrency curve', () => {
  const curve = [
    { level: 1, throughput: 10_000, p50: 0.1, p99: 0.2, errors: 0 },
    { level: 8, throughput: 60_000, p50: 0.1, p99: 0.3, errors: 0 },
    { level: 32, throughput: 62_000, p50: 0.4, p99: 0.9, errors: 0 },
    { level: 128, throughput: 61_000, p50: 1.5, p99: 3, errors: 0 },
  ];
  it('finds where throughput stops growing and where p99 climbs', () => {
    expect(saturationLevel(curve)?.level).toBe(8);
    expect(p99ClimbLevel(curve)?.level).toBe(32);
    const [finding] = curveFindings(curve);
    expect(finding?.title).toMatch(/stops growing at 8 in flight/);
    expect(finding?.detail).toMatch(/p99 climbs from 0.20 ms at 1 to 0.90 ms at 32/);
  });
  it('says nothing about a curve that keeps growing flat-latency', () => {
    expect(curveFindings(curve.slice(0, 2).map((p) => ({ ...p, p99: 0.2 })))).toEqual([]);
  });
});
