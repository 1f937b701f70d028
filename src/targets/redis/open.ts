// Opens the Redis target: config.redis_url, or a private redis-server (when one is on PATH) when none is given.
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../util/logger.js';
import { failedTarget, openedTarget, type Opened } from '../opened.js';
import { runKeyPrefix } from './keys.js';
import { findRedisServer, startPrivateRedis, type PrivateRedis } from './server.js';
import { openRedisTarget, type RedisTarget } from './target.js';

export const NO_REDIS = 'REDIS_URL not set and no redis-server on PATH: install redis-server or set REDIS_URL';

export async function openRedis(config: Config, log: Logger, onProgress: (text: string) => void): Promise<Opened<RedisTarget>> {
  let server: PrivateRedis | undefined;
  try {
    let url = config.redis_url;
    if (!url) {
      if (!(await findRedisServer())) return { reason: NO_REDIS };
      onProgress('REDIS_URL not set: starting a private redis-server');
      // Configured as a cache should be (bounded memory, LRU eviction), so the private server tests the workload, not
      // a missing setting of our own making. 256 MB holds the default key space many times over.
      server = await startPrivateRedis({ args: ['--maxmemory', '256mb', '--maxmemory-policy', 'allkeys-lru'] });
      log.info({ port: server.port }, 'started private redis-server');
      url = server.url;
    }
    const target = await openRedisTarget(url, {
      connectMs: config.timeouts.connect_ms, commandMs: config.cache.command_timeout_ms,
      keyPrefix: runKeyPrefix(config.cache.key_prefix), private: server !== undefined,
    });
    return openedTarget(target, server, () => log.info('stopped and removed the private redis-server'));
  } catch (err) {
    return failedTarget(err, server, log, 'Redis');
  }
}
