// The runner opens only the services the selected checks need: no private redis-server or Celery connection for
// `--only integrity`, and the report says why each service was left out.
import { describe, expect, it } from 'vitest';
import { integrityChecks } from '../../src/checks/integrity/index.js';
import { validateConfig } from '../../src/config/load.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { createTestDatabase } from '../helpers/pg.js';

describe('targets opened for the selected checks only', () => {
  it('--only integrity opens PostgreSQL and nothing else', async () => {
    const db = await createTestDatabase();
    try {
      const seen: string[] = [];
      const result = await run({
        // A Redis URL that nothing listens on: opening it would fail the run's cache checks, so it must not be tried.
        config: validateConfig({ database_url: db.url, redis_url: 'redis://127.0.0.1:1', only: ['integrity'] }),
        checks: integrityChecks,
        signal: new AbortController().signal,
        log: silentLogger(),
        onEvent: (e) => void (e.type === 'setup' && seen.push(e.text)),
      });
      expect(Object.keys(result.environment.targets)).toEqual(['pg']);
      expect(result.environment.unavailable).toMatchObject({ redis: 'not needed by the selected checks', celery: 'not needed by the selected checks' });
      expect(seen.join('\n')).not.toMatch(/redis/i);
    } finally {
      await db.drop();
    }
  });
});
