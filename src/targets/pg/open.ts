// Opens the PostgreSQL target: config.database_url, or a private embedded PostgreSQL when none is given.
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../util/logger.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../embedded/embedded-pg.js';
import { failedTarget, openedTarget, type Opened } from '../opened.js';
import { openPg, type PgTarget } from './target.js';

export async function openPostgres(config: Config, log: Logger, onProgress: (text: string) => void): Promise<Opened<PgTarget>> {
  const timeouts = { connectMs: config.timeouts.connect_ms, operationMs: config.timeouts.operation_ms };
  let embedded: EmbeddedPostgres | undefined;
  try {
    let url = config.database_url;
    if (!url) {
      onProgress(`DATABASE_URL not set: starting a private embedded PostgreSQL ${config.embedded.pg_version}`);
      embedded = await startEmbeddedPostgres({ major: config.embedded.pg_version });
      log.info({ port: embedded.port, major: embedded.major }, 'started private embedded PostgreSQL');
      url = embedded.url;
    }
    const target = await openPg(url, timeouts, { private: embedded !== undefined });
    return openedTarget(target, embedded, () => log.info('stopped and removed the private embedded PostgreSQL'));
  } catch (err) {
    return failedTarget(err, embedded, log, 'PostgreSQL');
  }
}
