// Opens the PostgreSQL target: config.database_url, or a private embedded PostgreSQL when none is given.
import type { Config } from '../../config/schema.js';
import { describeError } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import { redactText } from '../../util/redact.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../embedded/embedded-pg.js';
import type { Opened } from '../opened.js';
import { openPg, type PgTarget } from './target.js';

export async function openPostgres(config: Config, log: Logger, onProgress: (text: string) => void): Promise<Opened<PgTarget>> {
  const timeouts = { connectMs: config.timeouts.connect_ms, operationMs: config.timeouts.operation_ms };
  let embedded: EmbeddedPostgres | undefined;
  try {
    let url = config.database_url;
    if (!url) {
      onProgress('DATABASE_URL not set: starting a private embedded PostgreSQL');
      embedded = await startEmbeddedPostgres();
      log.info({ port: embedded.port }, 'started private embedded PostgreSQL');
      url = embedded.url;
    }
    const target = await openPg(url, timeouts, { private: embedded !== undefined });
    return {
      target,
      facts: target.facts,
      close: async () => {
        try {
          await target.close();
        } finally {
          await embedded?.stop();
          if (embedded) log.info('stopped and removed the private embedded PostgreSQL');
        }
      },
    };
  } catch (err) {
    await embedded?.stop();
    const reason = redactText(describeError(err));
    log.warn({ reason }, 'PostgreSQL unavailable');
    return { reason, broken: true };
  }
}
