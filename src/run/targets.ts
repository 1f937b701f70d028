// Opens the services the config names (or the private embedded PostgreSQL), and says why any is unavailable.
import type { Need, Targets } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import type { TargetFacts } from '../result/model.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../targets/embedded/embedded-pg.js';
import { openPg } from '../targets/pg/target.js';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { redactText } from '../util/redact.js';

export interface OpenTargets {
  targets: Targets;
  /** Why each missing need is missing, e.g. `REDIS_URL not set`. */
  unavailable: Partial<Record<Need, string>>;
  /** Needs that were configured (or started) but could not be reached: their checks fail rather than skip. */
  broken: Set<Need>;
  facts: Record<string, TargetFacts>;
  close(): Promise<void>;
}

export async function openTargets(config: Config, log: Logger, onProgress: (text: string) => void): Promise<OpenTargets> {
  const targets: Targets = {};
  const unavailable: Partial<Record<Need, string>> = {
    redis: 'REDIS_URL not set',
    celery: 'CELERY_BROKER_URL not set',
  };
  const facts: Record<string, TargetFacts> = {};
  const broken = new Set<Need>();
  let embedded: EmbeddedPostgres | undefined;
  const timeouts = { connectMs: config.timeouts.connect_ms, operationMs: config.timeouts.operation_ms };

  try {
    let url = config.database_url;
    if (!url) {
      onProgress('DATABASE_URL not set: starting a private embedded PostgreSQL');
      embedded = await startEmbeddedPostgres();
      log.info({ port: embedded.port }, 'started private embedded PostgreSQL');
      url = embedded.url;
    }
    targets.pg = await openPg(url, timeouts, { private: embedded !== undefined });
    facts.pg = targets.pg.facts;
  } catch (err) {
    unavailable.pg = redactText(describeError(err));
    broken.add('pg');
    log.warn({ reason: unavailable.pg }, 'PostgreSQL unavailable');
  }

  return {
    targets,
    unavailable,
    broken,
    facts,
    async close() {
      try {
        await targets.pg?.close();
      } finally {
        if (embedded) {
          await embedded.stop();
          log.info('stopped and removed the private embedded PostgreSQL');
        }
      }
    },
  };
}
