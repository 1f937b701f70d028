import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/pg.js';
import { startCeleryWorker } from '../helpers/celery-worker.js';
import { startPrivateRedis } from '../../src/targets/redis/server.js';

it('capture', async () => {
  const db = await createTestDatabase();
  const redis = await startPrivateRedis();
  const worker = await startCeleryWorker({ broker: redis.url + '/0', backend: redis.url + '/1' });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cap-'));
  try {
    for (const [name, cfg] of [['planted', { tasks: { queue: worker.queue }, checks: { 'queries.basic': { thresholds: { query_duration: ['p(95)<0.01'] } } } }], ['clean', { tasks: { queue: worker.queue } }]] as const) {
      const file = path.join(dir, name + '.json');
      await writeFile(file, JSON.stringify(cfg));
      const r = await runCli(['run', '--quick', '--config', file, '--output', path.join(dir, name)], { env: { DATABASE_URL: db.url, REDIS_URL: redis.url, CELERY_BROKER_URL: worker.broker, CELERY_RESULT_BACKEND: worker.backend, COLUMNS: '80', LINES: '24' } });
      await writeFile(`/tmp/cons/screen-${name}.txt`, `exit ${r.code}\n${r.stdout}`);
    }
    console.log(dir);
  } finally { await worker.stop(); await redis.stop(); await db.drop(); }
}, 400000);
