// Opens the Redis target from config.redis_url. (The cache category replaces this with the real implementation.)
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../util/logger.js';
import type { Opened } from '../opened.js';
import type { RedisTarget } from './target.js';

export async function openRedis(config: Config, _log: Logger, _onProgress: (text: string) => void): Promise<Opened<RedisTarget>> {
  if (!config.redis_url) return { reason: 'REDIS_URL not set' };
  return { reason: 'the Redis target is not available in this version', broken: false };
}
