// The Redis connection options from a URL, connect errors in words, the key namespace, and the cache config section.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { describeRedisError, redisOptions } from '../../src/targets/redis/connect.js';
import { prefixPattern, runKeyPrefix } from '../../src/targets/redis/keys.js';
import { ConfigError } from '../../src/util/errors.js';

const t = { connectMs: 1000, commandMs: 500 };

describe('redis options', () => {
  it('reads host, port, credentials and database; TLS for rediss', () => {
    expect(redisOptions('redis://u:p%40ss@example.com:6380/2', t)).toMatchObject({ host: 'example.com', port: 6380, username: 'u', password: 'p@ss', db: 2, commandTimeout: 500, connectTimeout: 1000 });
    const tls = redisOptions('rediss://:pw@cache.example.com', t);
    expect(tls).toMatchObject({ port: 6379, tls: { servername: 'cache.example.com' } });
    expect(redisOptions('rediss://h?tls_insecure=true', t).tls).toMatchObject({ rejectUnauthorized: false });
    expect(redisOptions('redis://h', t).tls).toBeUndefined();
  });
  it('treats ?sentinel=NAME as a Sentinel naming the master', () => {
    const o = redisOptions('redis://:pw@sentinel.local?sentinel=mymaster&sentinel_password=sp', t);
    expect(o).toMatchObject({ sentinels: [{ host: 'sentinel.local', port: 26379 }], name: 'mymaster', password: 'pw', sentinelPassword: 'sp' });
    expect(o.host).toBeUndefined();
  });
  it('rejects a database that is not a number', () => {
    expect(() => redisOptions('redis://h/abc', t)).toThrow(/database "abc"/);
  });
});

describe('connect errors', () => {
  const where = 'redis://:***@h:6379';
  it('say what went wrong without credentials', () => {
    expect(describeRedisError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), where, t)).toMatch(/connection refused/);
    expect(describeRedisError(new Error('WRONGPASS invalid username-password pair or user is disabled.'), where, t)).toMatch(/wrong user name or password/);
    expect(describeRedisError(new Error('NOAUTH Authentication required.'), where, t)).toMatch(/requires a password/);
    expect(describeRedisError(new Error('connect ETIMEDOUT'), where, t)).toMatch(/no answer within 1000 ms/);
  });
});

describe('key namespace', () => {
  it('gives every run its own prefix under the base', () => {
    const a = runKeyPrefix('stackprobe:');
    expect(a).toMatch(/^stackprobe:[0-9a-f]{10}:$/);
    expect(runKeyPrefix('stackprobe:')).not.toBe(a);
  });
  it('escapes glob characters so SCAN matches the prefix literally', () => {
    expect(prefixPattern('sp:[x]*?:')).toBe('sp:\\[x\\]\\*\\?:*');
  });
});

describe('config.cache', () => {
  it('has defaults and names the field on a mistake', () => {
    const c = validateConfig({}).cache;
    expect(c).toMatchObject({ key_prefix: 'stackprobe:', concurrency: 8, concurrency_levels: [1, 8, 32, 128], zipf_skew: 1.1, ttl_s: 300 });
    expect(() => validateConfig({ cache: { zipf_skew: -1 } })).toThrow(ConfigError);
    expect(() => validateConfig({ cache: { zipf_skew: -1 } })).toThrow(/config\.cache\.zipf_skew/);
    expect(() => validateConfig({ cache: { concurrency_levels: [1, 0] } })).toThrow(/config\.cache\.concurrency_levels/);
    expect(() => validateConfig({ cache: { bogus: 1 } })).toThrow(/bogus/);
  });
});
