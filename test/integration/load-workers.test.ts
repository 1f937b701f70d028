// --workers N spreads the load over worker threads; --segment i/n runs a share; merging segments adds them up exactly.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadChecks } from '../../src/checks/load/index.js';
import type { StageFigures } from '../../src/checks/load/analyse.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { builtinChecks } from '../../src/checks/index.js';
import { mergeRunResults } from '../../src/merge/merge-results.js';
import type { GaugeMetric, RunResult, TrendMetric } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const runLoad = (load: NonNullable<ConfigInput['load']>): Promise<RunResult> =>
  run({
    config: validateConfig({ database_url: db.url, redis_url: 'redis://127.0.0.1:6379', workload: { scale: 0.1 }, load }),
    checks: loadChecks, signal: new AbortController().signal, log: silentLogger(),
  });
const stagesOf = (r: RunResult) => r.checks[0]!.info.stages as StageFigures[];

it('runs the stages across 2 worker threads and merges their histograms', async () => {
  const result = await runLoad({ workers: 2, stages: [{ rate: 20, duration: '2s' }, { rate: 40, duration: '2s' }], pool_size: 4 });
  const c = result.checks[0]!;
  expect(c.reason).toBeUndefined();
  expect(['pass', 'warn']).toContain(c.status);
  const stages = stagesOf(result);
  // Each thread runs half the rate; together the whole stage: rate × duration requests (±1 per thread for rounding).
  expect(stages[0]!.requests).toBeGreaterThanOrEqual(38);
  expect(stages[1]!.requests).toBeGreaterThanOrEqual(78);
  expect(stages.every((s) => s.errorRate === 0)).toBe(true);
  expect(c.info.distribution).toEqual({ segment: '1/1', workers: 2 });
  // The worker threads' per-second windows reached the main thread's series.
  const tp = c.timeSeries.find((s) => s.name === 'load_throughput')!;
  expect(tp.points.reduce((sum, [, v]) => sum + v, 0)).toBeGreaterThan(60);
  // The client's share, sampled 20 times a second on each thread's own sessions: more samples than one thread can take
  // in the stages' time, so both threads' figures reached the result.
  const noop = c.metrics.find((m): m is TrendMetric => m.type === 'trend' && m.name === 'load_pg_noop_duration');
  const stageSeconds = c.metrics.filter((m): m is GaugeMetric => m.type === 'gauge' && m.name === 'load_stage_elapsed_s').reduce((n, g) => n + g.max, 0);
  const oneThread = 20 * stageSeconds + 2;
  console.log(`no-op samples ${noop?.summary.count} over ${stageSeconds.toFixed(2)} s of stages (one thread at most ${oneThread.toFixed(0)}), p50 ${noop?.summary.percentiles.p50} ms`);
  expect(noop!.summary.count).toBeGreaterThan(1.3 * oneThread);
  expect(noop!.summary.percentiles.p50).toBeGreaterThan(0);
  expect(noop!.meaning).toBe('duration');
}, 60_000);

it('runs segments 1/2 and 2/2 with half the rate each; merged they add up to the whole stage', async () => {
  const stages = [{ rate: 30, duration: '2s' }];
  // Segments of one run start together (the start barrier): they run at the same time, sharing one workload schema.
  const [one, two] = await Promise.all([runLoad({ segment: '1/2', stages }), runLoad({ segment: '2/2', stages })]);
  for (const r of [one, two]) expect(stagesOf(r)[0]!.requests).toBeGreaterThanOrEqual(29);
  for (const r of [one, two]) expect(stagesOf(r)[0]!.requests).toBeLessThanOrEqual(31);
  const { result, warnings } = mergeRunResults([one, two], builtinChecks, ['one.json', 'two.json']);
  expect(warnings).toEqual([]);
  const merged = stagesOf(result)[0]!;
  expect(merged.requests).toBe(stagesOf(one)[0]!.requests + stagesOf(two)[0]!.requests);
  expect(merged.level).toBe(30);
  expect(result.checks[0]!.thresholds.find((t) => t.metric === 'load_success')!.ok).toBe(true);
}, 60_000);
