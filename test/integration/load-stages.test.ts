// The load category against the real services on this machine: per-stage figures, the degradation curve, the saturation point.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChecks } from '../../src/checks/load/index.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { CheckResult, GaugeMetric, RunResult, TrendMetric } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import type { StageFigures, Saturation } from '../../src/checks/load/analyse.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { expectPromtoolClean } from '../helpers/promtool.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

function runLoad(config: Omit<ConfigInput, 'database_url'>): Promise<RunResult> {
  return run({
    config: validateConfig({ database_url: db.url, workload: { scale: 0.1 }, ...config }),
    checks: loadChecks,
    signal: new AbortController().signal,
    log: silentLogger(),
  });
}

const mixed = (r: RunResult): CheckResult => r.checks.find((c) => c.id === 'load.mixed')!;
const gauge = (c: CheckResult, name: string, stage: string) => c.metrics.find((m): m is GaugeMetric => m.type === 'gauge' && m.name === name && m.tags.stage === stage);

describe('load.mixed', () => {
  it('runs two stages of the mixed scenario and reports per-stage figures, the degradation curve and resources', async () => {
    const result = await runLoad({
      redis_url: 'redis://127.0.0.1:6379',
      load: { stages: [{ rate: 10, duration: '2s' }, { rate: 30, duration: '2s' }], pool_size: 4 },
    });
    const c = mixed(result);
    expect(c.reason).toBeUndefined();
    expectPromtoolClean(result);
    expect(['pass', 'warn']).toContain(c.status);
    const stages = c.info.stages as StageFigures[];
    expect(stages.map((s) => s.level)).toEqual([10, 30]);
    for (const s of stages) {
      // Open loop: the stage's requests are its rate × duration (a small margin for the drain's timing).
      expect(s.requests).toBeGreaterThanOrEqual(s.level * 2 - 1);
      expect(s.throughput).toBeGreaterThan(s.level * 0.5);
      expect(s.p95).toBeGreaterThan(0);
      expect(s.errorRate).toBe(0);
    }
    expect(stages[0]!.degradation).toBe(1);
    expect(gauge(c, 'load_degradation', '2')!.value).toBeCloseTo(stages[1]!.p95 / stages[0]!.p95, 6);
    const perStage = c.metrics.filter((m): m is TrendMetric => m.type === 'trend' && m.name === 'load_request_duration');
    expect(perStage.map((m) => m.tags.stage).sort()).toEqual(['1', '2']);
    // Every step kind of the mix ran (no Celery here: task submissions are left out and said so).
    const steps = new Set(c.metrics.filter((m) => m.name === 'load_step_duration').map((m) => m.tags.step));
    expect([...steps].sort()).toEqual(expect.arrayContaining(['cache_get', 'pg_read', 'pg_write']));
    expect(c.info.skipped_steps).toMatchObject({ task_submit: expect.stringMatching(/Celery|CELERY/) });
    // Per-second series and resources.
    const series = (name: string) => c.timeSeries.find((s) => s.name === name && Object.keys(s.tags).length === 0);
    expect(series('load_throughput')!.points.length).toBeGreaterThanOrEqual(3);
    for (const name of ['host_cpu_percent', 'process_rss_mb', 'process_event_loop_delay_p99_ms', 'pg_commits_per_s', 'pg_connections', 'redis_ops_per_s']) {
      expect(series(name), name).toBeDefined();
    }
    expect(c.thresholds.find((t) => t.metric === 'load_success')).toMatchObject({ ok: true, actual: 1 });
    expect(c.thresholds.find((t) => t.metric === 'load_failing_steps')).toMatchObject({ ok: true, actual: 0 });
    // The client's share: no-op round trips on the load's own sessions, beside the PostgreSQL steps.
    const noop = c.metrics.find((m): m is TrendMetric => m.type === 'trend' && m.name === 'load_pg_noop_duration');
    expect(noop?.summary.count).toBeGreaterThan(10);
    expect(noop!.summary.percentiles.p50).toBeGreaterThan(0);
    // And the PING beside the cache steps, per stage: the client's share of a cache_get.
    const pings = c.metrics.filter((m) => m.name === 'load_redis_ping_duration');
    expect(pings.map((m) => m.tags.stage).sort()).toEqual(['1', '2']);
  }, 60_000);

  it('finds the saturation point of an artificially slow path below the top stage and names it', async () => {
    // Every request sleeps 50 ms on one of 2 connections: capacity is 40 req/s whatever the machine's speed.
    // 10 and 20 req/s stay well under it; at 80 req/s the backlog grows by 40 per second and p95 reaches seconds.
    const result = await runLoad({
      load: {
        stages: [{ rate: 10, duration: '2s' }, { rate: 20, duration: '2s' }, { rate: 80, duration: '3s' }],
        weights: { financial_read: 0, write: 0, cache_read: 0, task: 0 },
        custom: [{ name: 'slow', sql: 'SELECT pg_sleep(0.05)', weight: 1 }],
        pool_size: 2, p95_limit_ms: 400,
      },
    });
    const c = mixed(result);
    const stages = c.info.stages as StageFigures[];
    const saturation = c.info.saturation as Saturation;
    expect(stages[0]!.p95).toBeGreaterThanOrEqual(50);
    expect(stages[2]!.p95).toBeGreaterThan(1000);
    expect(saturation).toMatchObject({ level: 20, stage: 2, firstBeyond: 3, unit: 'req/s' });
    expect(c.findings.find((f) => f.subject === 'saturation')!.title).toBe('saturation point: 20 req/s');
    expect(c.metrics.find((m) => m.name === 'load_saturation_level')).toMatchObject({ value: 20 });
    expect(c.thresholds.find((t) => t.metric === 'load_stages_beyond_saturation')).toMatchObject({ ok: false, level: 'warn', actual: 1 });
    expect(c.status === 'warn' || c.status === 'fail').toBe(true);
    // A mix without a Redis step times no PING beside it, Redis or not (a private redis-server may run for the run).
    expect(c.metrics.filter((m) => m.name === 'load_redis_ping_duration')).toEqual([]);
  }, 60_000);

  it('counts completions only in a stage that drops requests, and finds the saturation point from them', async () => {
    // pg_sleep(0.05) on 2 read-only connections with 4 VUs: capacity ~40 req/s. At 80 req/s the backlog outgrows the
    // drain and requests are dropped; p95 is allowed to grow (limit 100 s) so only completions can show the saturation.
    const result = await runLoad({
      load: {
        stages: [{ rate: 10, duration: '2s' }, { rate: 20, duration: '2s' }, { rate: 80, duration: '3s' }],
        weights: { financial_read: 0, write: 0, cache_read: 0, task: 0 },
        custom: [{ name: 'slow', sql: 'SELECT pg_sleep(0.05)', weight: 1 }],
        pool_size: 2, max_vus: 4, p95_limit_ms: 100_000,
      },
    });
    const c = mixed(result);
    const stages = c.info.stages as StageFigures[];
    const saturation = c.info.saturation as Saturation;
    console.log(`dropping stage table:\n${JSON.stringify(c.info.stage_table)}\nsaturation: ${JSON.stringify(saturation)}`);
    const top = stages[2]!;
    expect(top.dropped).toBeGreaterThan(0);
    expect(top.offered).toBe(top.started + top.dropped);
    expect(top.started).toBe(top.completed + top.timedOut);
    expect(top.succeeded).toBeLessThan(top.offered);
    // Throughput is succeeded requests per second, never attempts: at most the capacity of 2 connections × 20/s.
    expect(top.throughput).toBeCloseTo(top.succeeded / top.durationS, 6);
    expect(top.throughput).toBeLessThan(45);
    expect(gauge(c, 'load_stage_throughput', '3')!.value).toBeCloseTo(top.throughput, 6);
    expect(top.completionRatio).toBeLessThan(0.9);
    expect(saturation).toMatchObject({ level: 20, stage: 2, firstBeyond: 3 });
    expect(saturation.reason).toMatch(/completions stopped following the offered load/);
    expect(c.metrics.find((m) => m.name === 'load_saturation_level')).toMatchObject({ value: 20, headline: true });
    // Each request is one latency sample; steps are declared as parts of it.
    expect(c.metrics.find((m) => m.name === 'load_request_duration')!.meaning).toBe('latency');
    expect(c.metrics.find((m) => m.name === 'load_step_duration')!.meaning).toBe('duration');
  }, 60_000);

  it('leaves the saturation level unset, and says so, when no stage saturated', async () => {
    const result = await runLoad({ load: { stages: [{ rate: 5, duration: '1s' }, { rate: 10, duration: '1s' }], pool_size: 2 } });
    const c = mixed(result);
    const saturation = c.info.saturation as Saturation;
    expect(saturation).toMatchObject({ level: null, firstBeyond: null });
    expect(saturation.reason).toMatch(/not saturated/);
    expect(c.metrics.find((m) => m.name === 'load_saturation_level')).toBeUndefined();
    expect(c.findings.find((f) => f.subject === 'saturation')!.title).toMatch(/not saturated up to 10 req\/s/);
  }, 60_000);

  it('refuses a custom step whose SELECT calls a writing function before the load starts, naming it; nothing is written', async () => {
    // A user function with a side effect the config check cannot see: the catalog check names it before any request
    // (the read-only sessions stay the wall behind it).
    await db.sql(`CREATE TABLE public.sp_attack (n int); CREATE FUNCTION public.sp_attack_write() RETURNS int LANGUAGE sql AS 'INSERT INTO public.sp_attack VALUES (1) RETURNING n'`);
    const result = await runLoad({
      load: {
        stages: [{ rate: 10, duration: '1s' }],
        weights: { financial_read: 0, write: 0, cache_read: 0, task: 0 },
        custom: [{ name: 'sneaky', sql: 'SELECT public.sp_attack_write()', weight: 1 }],
        pool_size: 2,
      },
    });
    const c = mixed(result);
    expect(c.status).toBe('fail');
    expect(c.reason).toMatch(/^config\.load\.custom\[0\]\.sql: not run: it may run public\.sp_attack_write\(\): VOLATILE/);
    expect(c.info.stages).toBeUndefined();
    expect(await db.sql('SELECT count(*)::int AS n FROM public.sp_attack')).toEqual([{ n: 0 }]);
  }, 60_000);
});
