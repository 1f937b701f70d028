// Opens the Celery target from config.celery_broker_url. (The tasks category replaces this with the real implementation.)
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../util/logger.js';
import type { Opened } from '../opened.js';
import type { CeleryTarget } from './target.js';

export async function openCelery(config: Config, _log: Logger, _onProgress: (text: string) => void): Promise<Opened<CeleryTarget>> {
  if (!config.celery_broker_url) return { reason: 'CELERY_BROKER_URL not set' };
  return { reason: 'the Celery target is not available in this version', broken: false };
}
