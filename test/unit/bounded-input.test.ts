// Bounded input: every file a user names is a regular file under a size limit, every histogram inflates within limits,
// every config walk has a depth limit and refuses prototype keys, each ending at once with a clear ConfigError.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { overrideLines, sourceLines } from '../../src/config/url-sources.js';
import { Trend } from '../../src/metrics/trend.js';
import { readRunFile } from '../../src/result/read.js';
import { renderJson } from '../../src/report/json.js';
import { ConfigError } from '../../src/util/errors.js';
import { wireOptions } from '../../src/targets/pg/wire/options.js';
import { tlsOptions } from '../../src/targets/redis/wire/url.js';
import { fullRunResult } from '../fixtures/run-result.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-bounded-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string | Buffer): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, content);
  return p;
}

async function rejection(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return (err as Error).message;
}

/** A histogram as run.json stores it (V2 cookie, length, zlib), around an arbitrary inflated payload. */
function encode(raw: Buffer): string {
  const body = deflateSync(raw, { level: 9 });
  const head = Buffer.alloc(8);
  head.writeInt32BE(0x1c849314, 0);
  head.writeInt32BE(body.length, 4);
  return Buffer.concat([head, body]).toString('base64');
}

function header(payload: number, digits = 3, highest = 3_600_000_000n): Buffer {
  const h = Buffer.alloc(40);
  h.writeInt32BE(0x1c849313, 0);
  h.writeInt32BE(payload, 4);
  h.writeInt32BE(digits, 12);
  h.writeBigInt64BE(1n, 16);
  h.writeBigInt64BE(highest, 24);
  return h;
}

function zigzag(n: number): Buffer {
  let v = n < 0 ? -n * 2 - 1 : n * 2;
  const out: number[] = [];
  while (v >= 128) {
    out.push((v % 128) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

describe('files that are not regular files', () => {
  it('a FIFO as config or run.json ends at once, naming it (it used to block forever)', async () => {
    const fifo = path.join(dir, 'pipe.json');
    execFileSync('mkfifo', [fifo]);
    const t0 = performance.now();
    expect(await rejection(loadConfig({ file: fifo }))).toBe(`config file ${fifo}: cannot read it (it is a FIFO (named pipe), not a regular file)`);
    expect(await rejection(readRunFile(fifo))).toBe(`${fifo}: cannot read it (it is a FIFO (named pipe), not a regular file)`);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('/dev/urandom and /dev/zero are refused before a byte is read', async () => {
    expect(await rejection(readRunFile('/dev/urandom'))).toBe('/dev/urandom: cannot read it (it is a character device, not a regular file)');
    expect(await rejection(loadConfig({ file: '/dev/zero' }))).toContain('it is a character device');
  });

  it('a FIFO or a device as a TLS root certificate (PostgreSQL sslrootcert, Redis tls_ca) fails at once, naming it', () => {
    const fifo = path.join(dir, 'ca.pem');
    execFileSync('mkfifo', [fifo]);
    const t0 = performance.now();
    expect(() => wireOptions(`postgres://u@127.0.0.1/db?sslmode=verify-full&sslrootcert=${encodeURIComponent(fifo)}`)).toThrow(`sslrootcert ${fifo}: cannot read it (it is a FIFO (named pipe), not a regular file)`);
    expect(() => tlsOptions('127.0.0.1', new URLSearchParams({ tls_ca: '/dev/urandom' }))).toThrow("the Redis URL's tls_ca file /dev/urandom: cannot read it (it is a character device, not a regular file)");
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('a file over the limit is refused by its size, not read', async () => {
    const big = await file('big.json', Buffer.alloc(4 * 1024 * 1024 + 1, 0x20));
    expect(await rejection(loadConfig({ file: big }))).toBe(`config file ${big}: 4.0 MiB, larger than the limit of 4 MiB for this file`);
  });
});

describe('histograms read from run.json', () => {
  it('a real histogram decodes as before', () => {
    const t = new Trend();
    for (let i = 1; i <= 5000; i++) t.record(i * 0.137);
    expect(Trend.decode(t.encode()).summary()).toEqual(t.summary());
  });

  it('a zlib bomb stops at the per-histogram limit in milliseconds', () => {
    const bomb = encode(Buffer.concat([header(64 * 1024 * 1024), Buffer.alloc(64 * 1024 * 1024)]));
    expect(bomb.length).toBeLessThan(100_000);
    const t0 = performance.now();
    expect(() => Trend.decode(bomb)).toThrow('a histogram inflates to more than 1048576 bytes');
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('a few bytes claiming billions of zero counts are refused (the decoder would scan every one: minutes of CPU)', () => {
    const counts = Buffer.concat([zigzag(-2_000_000_000), zigzag(5), zigzag(-2_000_000_000), zigzag(5)]);
    const t0 = performance.now();
    expect(() => Trend.decode(encode(Buffer.concat([header(counts.length), counts])))).toThrow(/a histogram's counts run past the \d+ buckets/);
    expect(() => Trend.decode(encode(Buffer.concat([header(0, 9)])))).toThrow('a histogram has 9 significant digits (at most 5)');
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('a run.json of many small bombs stops at the per-file total, in bounded time', async () => {
    const result = fullRunResult();
    const trend = result.checks.flatMap((c) => c.metrics).find((m) => m.type === 'trend')!;
    // Each just under the per-histogram limit: alone each is allowed, together they are 2 GB of inflation.
    const small = encode(Buffer.concat([header(1000 * 1024, 5, 2n ** 52n), Buffer.alloc(1000 * 1024)]));
    const check = result.checks[0]!;
    check.metrics = Array.from({ length: 2000 }, (_, i) => ({ ...trend, name: `bomb_${i}`, histogram: small }));
    const f = await file('bombs.json', renderJson(result));
    const t0 = performance.now();
    expect(await rejection(readRunFile(f))).toBe(`${f}: not a valid stackprobe result: the histograms inflate to more than 67108864 bytes in all`);
    // ~1.4 s on an idle machine (64 MiB inflated and walked); all 2000 would be 2 GB. Generous for a loaded machine.
    expect(performance.now() - t0).toBeLessThan(15_000);
  });
});

describe('config shape', () => {
  it('a config nested 50,000 deep is a config error naming the depth (it was a stack overflow)', async () => {
    const deep = await file('deep.json', `{"thresholds":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`);
    const message = await rejection(loadConfig({ file: deep }));
    expect(message).toMatch(/^config file .*deep\.json: config\.thresholds(\.a){31}: nested deeper than 32 levels/);
    const deepArray = await file('deep-array.json', `{"only":${'['.repeat(50_000)}${']'.repeat(50_000)}}`);
    expect(await rejection(loadConfig({ file: deepArray }))).toContain('nested deeper than 32 levels');
  });

  it.each(['__proto__', 'constructor', 'prototype'])('the key %s is refused wherever it is', async (key) => {
    const top = await file(`top-${key}.json`, `{"${key}": {"read_only": true}}`);
    expect(await rejection(loadConfig({ file: top }))).toBe(`config file ${top}: config.${key}: the key "${key}" is not allowed (no config key has this name)`);
    const nested = await file(`nested-${key}.json`, `{"checks": {"queries.basic": {"${key}": {"enabled": false}}}}`);
    expect(await rejection(loadConfig({ file: nested }))).toContain(`config.checks["queries.basic"].${key}: the key "${key}" is not allowed`);
  });
});

describe('URL precedence: flags > environment > config file', () => {
  it('DATABASE_URL beats the file, and both say which was used, redacted', async () => {
    const f = await file('urls.json', JSON.stringify({ database_url: 'postgres://app:secret@h/test', redis_url: 'redis://h:6379' }));
    const loaded = await loadConfig({ file: f, env: { DATABASE_URL: 'postgres://me:hunter2@h/mine' } });
    expect(loaded.config.database_url).toBe('postgres://me:hunter2@h/mine');
    expect(loaded.config.redis_url).toBe('redis://h:6379');
    expect(overrideLines(loaded.urlSources, f)).toEqual([
      `Using DATABASE_URL from the environment (postgres://me:***@h/mine), not ${f}'s database_url (postgres://app:***@h/test): flags > environment > config file`,
    ]);
    expect(sourceLines(loaded.urlSources, f)).toEqual([
      `database_url: postgres://me:***@h/mine from the environment (DATABASE_URL); overrides ${f} database_url (postgres://app:***@h/test)`,
      'redis_url: redis://h:6379 from the config file (redis_url)',
      'celery_broker_url: not set',
      'celery_result_backend: not set',
    ]);
  });

  it('the same URL in both places is no override', async () => {
    const f = await file('same.json', JSON.stringify({ database_url: 'postgres://h/db' }));
    const loaded = await loadConfig({ file: f, env: { DATABASE_URL: 'postgres://h/db' } });
    expect(overrideLines(loaded.urlSources, f)).toEqual([]);
  });
});

describe('cache.value_bytes', () => {
  it('the old maximum (16 MiB, 8.4 GB in one populate pipeline) is refused naming the field; products are bounded too', async () => {
    const { validateConfig } = await import('../../src/config/load.js');
    const message = (c: unknown) => {
      try {
        validateConfig(c);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(message({ cache: { value_bytes: 16 * 1024 * 1024 } })).toBe('config.cache.value_bytes: expected a positive integer of at most 1048576, got 16777216');
    expect(message({ cache: { value_bytes: 1024 * 1024 } })).toBe('config.cache.value_bytes: expected key_space × value_bytes of at most 256 MiB (the data written to Redis; here 2000 × 1048576 = 2000 MiB), got 1048576');
    expect(message({ cache: { value_bytes: 1024 * 1024, key_space: 100, concurrency: 64, batch_size: 10 } })).toContain('expected concurrency × batch_size × value_bytes of at most 256 MiB');
    expect(message({ cache: { value_bytes: 1024 * 1024, key_space: 100, concurrency: 8, batch_size: 1 } })).toBe('');
  });
});
