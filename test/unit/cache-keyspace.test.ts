// cache.keyspace's pure parts: key patterns (nothing secret survives), the count's standard error against simulation, the scaling rules.
import { describe, expect, it } from 'vitest';
import { countStandardError, estimatePatterns, quantile, topPatterns, type PatternEstimate } from '../../src/checks/cache/keyspace-estimate.js';
import { keyspaceProblems } from '../../src/checks/cache/keyspace-findings.js';
import { isVariable, keyPattern, MAX_PATTERN_CHARS } from '../../src/checks/cache/keyspace-patterns.js';
import type { KeyspaceSample, PatternSample } from '../../src/checks/cache/keyspace-sample.js';
import { validateConfig } from '../../src/config/load.js';

describe('keyPattern', () => {
  it.each([
    ['user:42:session', 'user:{id}:session'],
    ['session:1234567', 'session:{id}'],
    ['celery-task-meta-3f2b8c1e-9d4a-4b6f-8e2d-1a2b3c4d5e6f', 'celery-task-meta-{uuid}'],
    ['celery-task-meta-3F2B8C1E-9D4A-4B6F-8E2D-1A2B3C4D5E6F', 'celery-task-meta-{uuid}'],
    ['lock:3f2b8c1e9d4a4b6f8e2d1a2b3c4d5e6f', 'lock:{hash}'],
    ['cache:product:17', 'cache:product:{id}'],
    ['django.cache:1:views.decorators.cache.cache_page.d41d8cd98f00b204e9800998ecf8427e', 'django.cache:{id}:views.decorators.cache.cache_page.{hash}'],
    ['leaderboard:weekly', 'leaderboard:weekly'],
    ['api:v2:rate', 'api:v2:rate'],
    ['order12345:lines', 'order{id}:lines'],
    ['bull:emails:987', 'bull:emails:{id}'],
    ['_kombu.binding.celery', '_kombu.binding.celery'],
  ])('%s -> %s', (key, pattern) => {
    expect(keyPattern(key)).toBe(pattern);
  });

  it('folds every secret-looking token so it never appears in a pattern', () => {
    const secrets = ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'ghp_R2d2C3poR2d2C3poR2d2C3poR2d2C3po1234', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
      'dGhpcyBpcyBhIHNlY3JldCB0b2tlbiAxMjM0NQ==', 'a1b2c3d4e5f6a7b8c9d0', 'AbCdEfGh12345678XyZ'];
    for (const s of secrets) {
      const p = keyPattern(`auth:token:${s}:meta`);
      expect(p, p).not.toContain(s.slice(0, 12));
      expect(p).toMatch(/^auth:token:.*\{(token|hash|id)\}/);
    }
  });

  it('replaces unprintable bytes and cuts long names', () => {
    expect(keyPattern('bin:\x00\x01\x1b[31m:x')).toBe('bin:?[31m:x');
    const long = keyPattern(`k:${'word.'.repeat(100)}`);
    expect(long.length).toBe(MAX_PATTERN_CHARS);
    expect(isVariable(long)).toBe(true);
    expect(isVariable('leaderboard:weekly')).toBe(false);
    expect(isVariable('user:{id}')).toBe(true);
  });
});

function pattern(p: Partial<PatternSample> & { pattern: string; seen: number }): PatternSample {
  return { measured: p.seen, smallBytes: 0, smallMeasured: p.seen, bigKeys: 0, bigBytes: 0, withoutTtl: 0, ttlsMs: [], types: {}, largest: [], ...p };
}

describe('estimatePatterns', () => {
  it('scales variable patterns by DBSIZE / sampled, and counts literal patterns and big keys as seen', () => {
    const sample: KeyspaceSample = {
      dbsize: 10_000, sampled: 1000, complete: false, elapsedMs: 1, patterns: new Map([
        ['user:{id}', pattern({ pattern: 'user:{id}', seen: 998, smallBytes: 998 * 100, smallMeasured: 997, measured: 998, bigKeys: 1, bigBytes: 20 * 1024 * 1024 })],
        ['leaderboard', pattern({ pattern: 'leaderboard', seen: 1, smallBytes: 5000, smallMeasured: 1 })],
        ['x:{id}', pattern({ pattern: 'x:{id}', seen: 1, smallBytes: 50, smallMeasured: 1 })],
      ]),
    };
    const [user, board, x] = ['user:{id}', 'leaderboard', 'x:{id}'].map((n) => estimatePatterns(sample, 100 * 1024 * 1024).find((p) => p.pattern === n)!);
    expect(user!.keys).toBe(997 * 10 + 1);
    // 998*100/997 bytes mean of the small ones times 9970 small keys, plus the big key once.
    expect(user!.memory_bytes).toBe(Math.round(20 * 1024 * 1024 + (998 * 100 / 997) * 997 * 10));
    expect(board!.keys).toBe(1);
    expect(board!.memory_bytes).toBe(5000);
    expect(x!.keys).toBe(10);
    expect(x!.keys_se).toBe(Math.round(countStandardError(1, 1000, 10_000)));
    expect(user!.memory_share).toBeCloseTo(user!.memory_bytes / (100 * 1024 * 1024), 6);
  });

  it('a complete sample is exact: no scaling, no error', () => {
    const sample: KeyspaceSample = { dbsize: 10, sampled: 10, complete: true, elapsedMs: 1, patterns: new Map([['a:{id}', pattern({ pattern: 'a:{id}', seen: 10, smallBytes: 1000, ttlsMs: [1000, 2000, 9000], withoutTtl: 7 })]]) };
    const [a] = estimatePatterns(sample, undefined);
    expect(a).toMatchObject({ keys: 10, keys_se: 0, memory_bytes: 1000, without_ttl_share: 0.7, ttl_p50_s: 2, ttl_max_s: 9, key_memory_share: 1 });
    expect(a!.memory_share).toBeUndefined();
  });
});

describe('countStandardError', () => {
  it('matches the spread of simulated draws without replacement', () => {
    // 100,000 keys of which 12 % match; draw 2,000 without replacement 400 times; the estimates' sd is the stated error.
    const total = 100_000;
    const matching = 12_000;
    const n = 2000;
    let seed = 7;
    // mulberry32: a small PRNG good enough for sampling, seeded so the test is repeatable.
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    };
    const estimates: number[] = [];
    for (let run = 0; run < 400; run++) {
      const picked = new Set<number>();
      let hits = 0;
      while (picked.size < n) {
        const k = Math.floor(rand() * total);
        if (picked.has(k)) continue;
        picked.add(k);
        if (k < matching) hits++;
      }
      estimates.push((hits * total) / n);
    }
    const mean = estimates.reduce((a, b) => a + b, 0) / estimates.length;
    const sd = Math.sqrt(estimates.reduce((a, b) => a + (b - mean) ** 2, 0) / (estimates.length - 1));
    const stated = countStandardError(Math.round((matching * n) / total), n, total);
    expect(Math.abs(mean - matching) / matching).toBeLessThan(0.02);
    expect(sd / stated).toBeGreaterThan(0.85);
    expect(sd / stated).toBeLessThan(1.15);
    expect(countStandardError(5, 10, 10)).toBe(0);
  });

  it('quantile is nearest rank', () => {
    expect(quantile([5, 1, 3], 0.5)).toBe(3);
    expect(quantile([5, 1, 3], 1)).toBe(5);
    expect(quantile([], 0.5)).toBeUndefined();
  });
});

describe('topPatterns', () => {
  it('keeps the largest n and sums the rest into {other}', () => {
    const many = new Map<string, PatternSample>();
    // 50 literal key names that do not fold (words): 50 patterns of one key each.
    for (let i = 0; i < 50; i++) {
      const name = `feature-flag-${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`;
      many.set(name, pattern({ pattern: name, seen: 1, smallBytes: 100 + i, withoutTtl: 1 }));
    }
    const all = estimatePatterns({ dbsize: 50, sampled: 50, complete: true, elapsedMs: 1, patterns: many }, 100_000);
    const shown = topPatterns(all, 20);
    expect(shown).toHaveLength(21);
    expect(shown[0]!.memory_bytes).toBe(149);
    const other = shown[20]!;
    expect(other).toMatchObject({ pattern: '{other}', keys: 30, sampled: 30, without_ttl_share: 1, memory_bytes: [...Array(30).keys()].reduce((a, i) => a + 100 + i, 0) });
    expect(other.key_memory_share + shown.slice(0, 20).reduce((a, p) => a + p.key_memory_share, 0)).toBeCloseTo(1, 9);
  });
});

describe('keyspaceProblems', () => {
  const cfg = validateConfig({}).cache;
  const row = (p: Partial<PatternEstimate> & { pattern: string }): PatternEstimate => ({
    keys: 1000, keys_se: 0, sampled: 1000, memory_bytes: 1_000_000, key_memory_share: 0.5, without_ttl_share: 0, types: { string: 1000 }, largest: [], big_keys: 0, ...p,
  });
  const kinds = (rows: PatternEstimate[], c = cfg) => keyspaceProblems(rows, c).map((p) => `${p.problem} ${p.finding.subject}`);

  it('a family without TTL is a finding only above both the no-TTL share and the memory share', () => {
    expect(kinds([row({ pattern: 'user:{id}:profile', without_ttl_share: 1 })])).toEqual(['grows_without_expiry user:{id}:profile']);
    expect(kinds([row({ pattern: 'user:{id}:profile', without_ttl_share: 0.5 })])).toEqual([]);
    expect(kinds([row({ pattern: 'user:{id}:profile', without_ttl_share: 1, key_memory_share: 0.09 })])).toEqual([]);
    // One key without TTL (a leaderboard) is judged by its size only.
    expect(kinds([row({ pattern: 'leaderboard:weekly', without_ttl_share: 1, keys: 1, key_memory_share: 0.9 })])).toEqual([]);
    expect(kinds([row({ pattern: 'user:{id}:profile', without_ttl_share: 1, key_memory_share: 0.05 })], { ...cfg, keyspace: { ...cfg.keyspace, no_ttl_min_share: 0.01 } }))
      .toEqual(['grows_without_expiry user:{id}:profile']);
  });

  it('Celery results without TTL are named whatever their size; with result_expires they pass', () => {
    expect(kinds([row({ pattern: 'celery-task-meta-{uuid}', without_ttl_share: 1, key_memory_share: 0.001 })])).toEqual(['celery_results_never_expire celery-task-meta-{uuid}']);
    expect(kinds([row({ pattern: 'celery-task-meta-{uuid}', without_ttl_share: 0, ttl_p50_s: 86_000 })])).toEqual([]);
  });

  it('a key at or above big_key_mb is a finding with its type and size, below it is not', () => {
    const big = { pattern: 'inventory:snapshot', type: 'hash', bytes: 10 * 1024 * 1024 };
    const found = keyspaceProblems([row({ pattern: 'inventory:snapshot', keys: 1, big_keys: 1, largest: [big] })], cfg);
    expect(found.map((p) => p.finding.title)).toEqual(['1 key of inventory:snapshot at or above 10 MB (hash 10.0 MB)']);
    expect(kinds([row({ pattern: 'inventory:snapshot', keys: 1, largest: [{ ...big, bytes: big.bytes - 1 }] })])).toEqual([]);
  });
});
