// Test helper: the local Redis URL, private redis-servers with their own settings, and running cache checks against a target.
import { Redis } from 'ioredis';
import type { Check } from '../../src/checks/types.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { CheckResult } from '../../src/result/model.js';
import { SharedResources } from '../../src/run/context.js';
import { runCheck } from '../../src/run/run-check.js';
import { runKeyPrefix } from '../../src/targets/redis/keys.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/targets/redis/server.js';
import { openRedisTarget, type RedisTarget } from '../../src/targets/redis/target.js';
import { silentLogger } from '../../src/util/logger.js';

/** The Redis the integration tests use; override with STACKPROBE_TEST_REDIS. */
export const TEST_REDIS_URL = process.env.STACKPROBE_TEST_REDIS ?? 'redis://127.0.0.1:6379';

export { startPrivateRedis, type PrivateRedis };

/** A RedisTarget with a fresh test prefix (`stackprobe:test-…`), closed (keys removed) by the caller. */
export function openTestTarget(url = TEST_REDIS_URL, commandMs = 2000): Promise<RedisTarget> {
  return openRedisTarget(url, { connectMs: 3000, commandMs, keyPrefix: runKeyPrefix('stackprobe:test-') });
}

/** A plain client for planting and inspecting keys; the caller quits it. */
export function rawClient(url = TEST_REDIS_URL): Redis {
  const c = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  c.on('error', () => undefined);
  return c;
}

/** Every key matching a glob, via SCAN (never KEYS). */
export async function keysMatching(client: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

/** Runs one check through the runner's own per-check path against `target` (no PostgreSQL opened). */
export async function runCacheCheck(check: Check, target: RedisTarget, config: ConfigInput = {}, signal: AbortSignal = new AbortController().signal, onProgress: (text: string) => void = () => undefined): Promise<CheckResult> {
  const shared = new SharedResources();
  const log = silentLogger();
  try {
    return await runCheck({
      check, config: validateConfig({ redis_url: TEST_REDIS_URL, ...config }), targets: { redis: target }, unavailable: {}, broken: new Set(),
      shared, signal, log, onProgress,
    });
  } finally {
    await shared.cleanupAll(log);
  }
}
