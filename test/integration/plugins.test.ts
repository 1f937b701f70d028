// Plugins through the real runner against the local PostgreSQL: one passes, one throws, one is not a check.
import path from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { loadPlugins } from '../../src/run/plugins.js';
import { run } from '../../src/run/runner.js';
import { ConfigError } from '../../src/util/errors.js';
import { silentLogger } from '../../src/util/logger.js';

const fixtures = path.join(import.meta.dirname, 'plugin-fixtures');
const DATABASE_URL = process.env.STACKPROBE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = 'redis://127.0.0.1:6379';

describe('plugins', () => {
  it('runs a passing plugin with its own thresholds and records a throwing one as failed, with the reason', async () => {
    const checks = await loadPlugins(['./passing.js', './throwing.js'], fixtures);
    expect(checks.map((c) => c.id)).toEqual(['fixture.passing', 'fixture.throwing']);
    const result = await run({ config: validateConfig({ database_url: DATABASE_URL }), checks, signal: new AbortController().signal, log: silentLogger() });
    const passing = result.checks.find((c) => c.id === 'fixture.passing')!;
    expect(passing.status).toBe('pass');
    expect(passing.thresholds.map((t) => [t.expression, t.ok])).toEqual([['p(95)<1000', true], ['count>=5', true]]);
    const throwing = result.checks.find((c) => c.id === 'fixture.throwing')!;
    expect(throwing.status).toBe('fail');
    expect(throwing.reason).toBe('the plugin broke on purpose (password=***)');
    expect(result.summary).toMatchObject({ total: 2, passed: 1, failed: 1 });
  });

  it('runs a Redis plugin through the contract\'s RedisClient (no driver class of its own), its keys removed after', async () => {
    const checks = await loadPlugins(['./redis.js'], fixtures);
    const result = await run({ config: validateConfig({ database_url: DATABASE_URL, redis_url: REDIS_URL }), checks, signal: new AbortController().signal, log: silentLogger() });
    const c = result.checks[0]!;
    expect(c.status, c.reason).toBe('pass');
    expect(c.info).toMatchObject({ redis_version: expect.stringMatching(/^\d+\.\d+/), pong: 'PONG' });
    const raw = new Redis(REDIS_URL);
    try {
      expect(c.info.key).toMatch(/^stackprobe:.+fixture$/);
      expect(await raw.exists(c.info.key as string)).toBe(0);
    } finally {
      raw.disconnect();
    }
  });

  it('rejects a module that is not a check, naming the plugin and the field', async () => {
    await expect(loadPlugins(['./invalid.js'], fixtures)).rejects.toThrow(ConfigError);
    await expect(loadPlugins(['./invalid.js'], fixtures)).rejects.toThrow('config.plugins[0] (./invalid.js): check 0 is not a valid check: run: expected a run(ctx) function');
    await expect(loadPlugins(['./missing.js'], fixtures)).rejects.toThrow(/config\.plugins\[0\] \(\.\/missing\.js\): cannot load the module/);
  });

  it('loads the example plugin shipped in examples/', async () => {
    const [check] = await loadPlugins(['./examples/plugins/table-count.js'], path.resolve(import.meta.dirname, '../..'));
    expect(check?.id).toBe('example.table_count');
  });
});
