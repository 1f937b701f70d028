// Killing the load's PostgreSQL sessions mid-run: errors show in the per-second series, the run recovers and finishes.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadChecks } from '../../src/checks/load/index.js';
import type { StageFigures } from '../../src/checks/load/analyse.js';
import { validateConfig } from '../../src/config/load.js';
import { sleep, waitFor } from '../../src/exec/timeout.js';
import { run, type RunEvent } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

it('records terminated backends as errors in the per-second series and recovers', async () => {
  const killed: number[] = [];
  let killer: Promise<void> | undefined;
  const onEvent = (e: RunEvent) => {
    // Once the second stage starts, terminate every load session from another connection.
    if (e.type === 'check-progress' && e.text.startsWith('stage 2/') && !killer) {
      killer = (async () => {
        await waitFor(async () => (await db.sql(`SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'stackprobe-load%' AND datname = current_database()`)).length > 0, 5000, 'load sessions');
        // Five rounds, 250 ms apart: some of the sessions killed are surely in the middle of a request.
        for (let round = 0; round < 5; round++) {
          const rows = await db.sql<{ ok: boolean }>(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name LIKE 'stackprobe-load%' AND datname = current_database()`);
          killed.push(rows.filter((r) => r.ok).length);
          await sleep(250);
        }
      })();
    }
  };
  const result = await run({
    config: validateConfig({
      database_url: db.url, workload: { scale: 0.1 },
      load: {
        stages: [{ rate: 20, duration: '2s' }, { rate: 40, duration: '3s' }, { rate: 20, duration: '2s' }], pool_size: 4,
        // Half the requests hold their session for 100 ms, so sessions are busy (not only idle in the pool) when killed.
        custom: [{ name: 'hold', sql: 'SELECT pg_sleep(0.1)', weight: 100 }],
      },
    }),
    checks: loadChecks, signal: new AbortController().signal, log: silentLogger(), onEvent,
  });
  await killer;
  expect(killed.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  const c = result.checks.find((x) => x.id === 'load.mixed')!;
  expect(c.reason).toBeUndefined();
  const stages = c.info.stages as StageFigures[];
  expect(stages).toHaveLength(3);
  // The requests on the killed sessions failed with SQLSTATE 57P01 (admin_shutdown) or lost their connection.
  const kinds = Object.keys(stages[1]!.errorKinds);
  expect(kinds.length).toBeGreaterThan(0);
  const errorsPerSecond = c.timeSeries.find((s) => s.name === 'load_errors_per_s' && Object.keys(s.tags).length === 0)!;
  expect(errorsPerSecond.points.some(([, v]) => v > 0)).toBe(true);
  expect(c.timeSeries.some((s) => s.name === 'load_errors_per_s' && s.tags.kind !== undefined)).toBe(true);
  // Recovered: the last stage ran on fresh connections without errors.
  expect(stages[2]!.errorRate).toBe(0);
  expect(stages[2]!.requests).toBeGreaterThanOrEqual(39);
  const throughput = c.timeSeries.find((s) => s.name === 'load_throughput')!;
  expect(throughput.points.at(-1)![1]).toBeGreaterThan(0);
}, 60_000);
