// cache.server's readers of the server's replies: commandstats, LATENCY HISTOGRAM deltas, CLIENT LIST, replicas, persistence.
import { describe, expect, it } from 'vitest';
import { blockedNote, clientProblems, groupClients } from '../../src/checks/cache/server-clients.js';
import { persistenceProblems, replicationFacts, replicationProblems } from '../../src/checks/cache/server-persistence.js';
import { windowDelta, type ServerSample } from '../../src/checks/cache/server-window.js';
import { validateConfig } from '../../src/config/load.js';
import { parseClientList } from '../../src/targets/redis/clients.js';
import { parseCommandstats } from '../../src/targets/redis/info.js';
import { histogramDelta, parseLatencyHistogram, percentileBound } from '../../src/targets/redis/latency-histogram.js';

const cfg = validateConfig({}).cache;

describe('LATENCY HISTOGRAM', () => {
  const before = parseLatencyHistogram(['get', ['calls', 42, 'histogram_usec', [1, 27, 2, 40, 4, 42]]]);
  const after = parseLatencyHistogram(['get', ['calls', 142, 'histogram_usec', [1, 27, 2, 40, 4, 42, 1024, 141, 2048, 142]]]);
  it('parses the cumulative buckets and subtracts an earlier reply bucket by bucket', () => {
    expect(before.get('get')).toEqual({ calls: 42, buckets: [[1, 27], [2, 40], [4, 42]] });
    const d = histogramDelta(before.get('get'), after.get('get')!);
    expect(d).toEqual({ calls: 100, buckets: [[1, 0], [2, 0], [4, 0], [1024, 99], [2048, 100]] });
    expect(percentileBound(d, 50)).toBe(1024);
    expect(percentileBound(d, 99)).toBe(1024);
    expect(percentileBound(d, 100)).toBe(2048);
    expect(percentileBound({ calls: 0, buckets: [] }, 99)).toBeUndefined();
  });
});

describe('the window between two INFO samples', () => {
  const sample = (at: number, info: Record<string, string>, histograms?: ServerSample['histograms']): ServerSample => ({ at, info, ...(histograms ? { histograms } : {}) });
  const base = { uptime_in_seconds: '100', keyspace_hits: '1000', keyspace_misses: '1000', evicted_keys: '50', expired_keys: '5', total_commands_processed: '10000' };
  it('gives the deltas, without the sampling commands, and per-command time', () => {
    const a = sample(0, { ...base, cmdstat_get: 'calls=1000,usec=2000,usec_per_call=2.00,rejected_calls=0,failed_calls=0', cmdstat_info: 'calls=3,usec=300' });
    const b = sample(2000, {
      ...base, uptime_in_seconds: '102', keyspace_hits: '1900', keyspace_misses: '1100', evicted_keys: '60', expired_keys: '5', total_commands_processed: '11012',
      cmdstat_get: 'calls=2000,usec=4000,rejected_calls=0,failed_calls=0', cmdstat_info: 'calls=4,usec=400', cmdstat_keys: 'calls=10,usec=50000,rejected_calls=0,failed_calls=0',
    });
    const w = windowDelta(a, b);
    expect(w).toMatchObject({ seconds: 2, reset: false, hits: 900, misses: 100, hitRate: 0.9, evicted: 10, expired: 0, commands: 1010, commandsPerS: 505 });
    expect(w.byCommand.map((c) => c.command)).toEqual(['keys', 'get']); // info was the sample's own: left out
    expect(w.byCommand[0]).toMatchObject({ calls: 10, ms_per_call: 5, busy_share: 0.025 });
  });
  it('says when a counter went backwards (CONFIG RESETSTAT) instead of giving a negative delta', () => {
    const w = windowDelta(sample(0, base), sample(1000, { ...base, keyspace_hits: '3', uptime_in_seconds: '101' }));
    expect(w.reset).toBe(true);
    expect(w.byCommand).toEqual([]);
  });
  it('reads commandstats lines', () => {
    expect(parseCommandstats({ 'cmdstat_config|get': 'calls=2,usec=10,usec_per_call=5.00,rejected_calls=1,failed_calls=0' }).get('config|get'))
      .toEqual({ calls: 2, usec: 10, rejected: 1, failed: 0 });
  });
});

describe('CLIENT LIST', () => {
  const line = (f: Record<string, string | number>) => Object.entries({ id: 1, addr: '10.0.0.7:5000', name: '', age: 10, idle: 0, flags: 'N', omem: 0, oll: 0, cmd: 'get', ...f }).map(([k, v]) => `${k}=${v}`).join(' ');
  const text = [
    line({ name: 'web-7f3a9c2e1b4d5f6a', idle: 7200 }), line({ name: 'web-0a1b2c3d4e5f6789' }), line({ name: 'worker', flags: 'b', cmd: 'blpop' }),
    line({ name: 'report', omem: 40 * 1024 * 1024, oll: 900 }), line({ flags: 'S', omem: 64 * 1024 * 1024, cmd: 'replconf' }),
  ].join('\n');
  const groups = groupClients(parseClientList(text), 3600);
  it('groups clients by their name folded into a pattern, never showing an address', () => {
    expect(groups.find((g) => g.name === 'web-{hash}')).toMatchObject({ clients: 2, idle: 1, max_idle_s: 7200 });
    expect(JSON.stringify(groups)).not.toMatch(/10\.0\.0\.7|7f3a9c2e/);
  });
  it('says blocked clients as a fact, and flags an output buffer above the limit (replicas aside)', () => {
    expect(blockedNote(groups)?.title).toBe('1 client blocked: 1 worker in blpop');
    expect(blockedNote(groups.filter((g) => g.blocked === 0))).toBeUndefined();
    const found = clientProblems(groups, cfg);
    expect(found.map((p) => [p.problem, p.finding.subject])).toEqual([['output_buffer', 'report']]);
  });
});

describe('persistence and replicas', () => {
  it('flags a slow fork and a failed save, not a healthy one', () => {
    expect(persistenceProblems({ latest_fork_usec: '1200', rdb_last_bgsave_status: 'ok', aof_last_bgrewrite_status: 'ok', aof_last_write_status: 'ok' }, cfg)).toEqual([]);
    expect(persistenceProblems({ latest_fork_usec: '900000', rdb_last_bgsave_status: 'err' }, cfg).map((p) => p.problem)).toEqual(['slow_fork', 'save_failed']);
  });
  it('measures each replica\'s offset behind the primary', () => {
    const info = { role: 'master', master_repl_offset: '5000000', slave0: 'ip=10.0.0.2,port=6380,state=online,offset=5000000,lag=0', slave1: 'ip=10.0.0.3,port=6380,state=online,offset=1000,lag=1' };
    expect(replicationFacts(info).replicas).toEqual([{ id: 'slave0', state: 'online', lag_bytes: 0, lag_s: 0 }, { id: 'slave1', state: 'online', lag_bytes: 4999000, lag_s: 1 }]);
    expect(replicationProblems(info, cfg).map((p) => p.finding.subject)).toEqual(['slave1']);
    expect(replicationProblems({ role: 'slave', master_link_status: 'down' }, cfg).map((p) => p.problem)).toEqual(['master_link']);
  });
});
