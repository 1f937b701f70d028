// Stage arithmetic, the load config section, the scenario mix and the saturation rule: pure logic.
import { describe, expect, it } from 'vitest';
import { saturationOf, stepShares, type StageFigures } from '../../src/checks/load/analyse.js';
import type { RateMetric } from '../../src/result/model.js';
import { buildScenario, pickType } from '../../src/checks/load/scenario.js';
import { validateConfig } from '../../src/config/load.js';
import { combinedShare, defaultStages, fitStages, integerShare, parseDuration, parseSegment, shareOfStage, totalDurationMs } from '../../src/exec/stages.js';
import { flagsToConfig } from '../../src/cli/flags.js';
import { createRng } from '../../src/workload/prng.js';

describe('stages', () => {
  it('parses durations and segments', () => {
    expect(parseDuration('20s')).toBe(20_000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration(3)).toBe(3000);
    expect(() => parseDuration('20 minutes', 'config.load.stages[0].duration')).toThrow(/config.load.stages\[0\].duration: expected a duration like "20s"/);
    expect(parseSegment('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '1/0', 'a/b', '1-2']) expect(() => parseSegment(bad)).toThrow(/expected "i\/n" with 1 <= i <= n/);
  });

  it('splits virtual users into integer shares that add up exactly, and rates evenly', () => {
    for (const total of [1, 7, 10, 99]) {
      for (const n of [1, 2, 3, 4, 7]) {
        const shares = Array.from({ length: n }, (_, i) => integerShare(total, i + 1, n));
        expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      }
    }
    expect(shareOfStage({ rate: 100, durationMs: 1000 }, 2, 4)).toEqual({ rate: 25, durationMs: 1000 });
    expect(shareOfStage({ vus: 10, durationMs: 1000 }, 3, 4)).toEqual({ vus: 2, durationMs: 1000 });
    // Worker 2 of 3 inside segment 2 of 2 is share 5 of 6.
    expect(combinedShare({ index: 2, count: 2 }, 2, 3)).toEqual({ index: 5, count: 6 });
  });

  it('has default profiles per mode: quick stays short, load-test a few minutes', () => {
    expect(totalDurationMs(defaultStages('quick', 'arrival-rate'))).toBeLessThanOrEqual(10_000);
    const lt = totalDurationMs(defaultStages('load-test', 'arrival-rate'));
    expect(lt).toBeGreaterThanOrEqual(120_000);
    expect(lt).toBeLessThanOrEqual(300_000);
    expect(defaultStages('full', 'closed-loop').every((s) => s.vus !== undefined && s.rate === undefined)).toBe(true);
    const fitted = fitStages(defaultStages('load-test', 'arrival-rate'), 60_000);
    expect(totalDurationMs(fitted)).toBeLessThanOrEqual(60_000);
  });
});

describe('config.load', () => {
  it('has defaults and validates with messages that name the field', () => {
    const c = validateConfig({});
    expect(c.load).toMatchObject({ executor: 'arrival-rate', workers: 1, segment: '1/1', weights: { financial_read: 50, write: 15, cache_read: 25, task: 10 } });
    expect(() => validateConfig({ load: { segment: '3/2' } })).toThrow(/config\.load\.segment: expected a segment "i\/n" with 1 <= i <= n/);
    expect(() => validateConfig({ load: { stages: [{ rate: 10, duration: 'soon' }] } })).toThrow(/config\.load\.stages\[0\]\.duration: expected a duration/);
    expect(() => validateConfig({ load: { stages: [{ rate: 10, vus: 2, duration: '1s' }] } })).toThrow(/config\.load\.stages\[0\]: expected exactly one of rate/);
    expect(() => validateConfig({ load: { executor: 'closed-loop', stages: [{ rate: 10, duration: '1s' }] } })).toThrow(/expected exactly one|expected vus in every stage/);
    expect(() => validateConfig({ load: { workers: 0 } })).toThrow(/config\.load\.workers: expected a positive integer/);
  });

  it('takes --workers and --segment from the command line', () => {
    expect(flagsToConfig({ workers: '4', segment: '2/3' })).toEqual({ load: { workers: 4, segment: '2/3' } });
    expect(() => validateConfig(flagsToConfig({ workers: 'many' }))).toThrow(/config\.load\.workers: expected a positive integer, got "many"/);
  });
});

describe('scenario', () => {
  const load = validateConfig({}).load;
  it('leaves out what needs an absent service, and says why', () => {
    const s = buildScenario(load, { redis: false, celery: false });
    expect(s.types.map((t) => t.name)).toEqual(['financial_read', 'write', 'cache_read']);
    expect(Object.keys(s.skipped).sort()).toEqual(['cache_del', 'cache_get', 'cache_set', 'task_submit']);
    expect(buildScenario(load, { redis: true, celery: true }).types.map((t) => t.name)).toContain('task');
  });

  it('picks request types in proportion to their weights', () => {
    const s = buildScenario(load, { redis: true, celery: true });
    const rng = createRng(1);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 20_000; i++) {
      const t = pickType(s.types, rng).name;
      counts[t] = (counts[t] ?? 0) + 1;
    }
    expect(counts.financial_read! / 20_000).toBeCloseTo(0.5, 1);
    expect(counts.task! / 20_000).toBeCloseTo(0.1, 1);
  });
});

describe('saturation point', () => {
  /** A stage offered `offered` requests of which `completed` completed (the rest dropped) and `failed` of those failed. */
  const stage = (n: number, level: number, p95: number, o: { offered?: number; completed?: number; failed?: number; unit?: string } = {}): StageFigures => {
    const offered = o.offered ?? 100;
    const completed = o.completed ?? offered;
    const succeeded = completed - (o.failed ?? 0);
    return {
      stage: n, level, unit: o.unit ?? 'req/s', durationS: 1, offered, requests: offered, started: completed, completed, succeeded, dropped: offered - completed, timedOut: 0,
      offeredRate: offered, startedRate: completed, completedRate: completed, droppedRate: offered - completed, throughput: succeeded, completionRatio: completed / offered,
      p50: p95 / 2, p95, p99: p95, errorRate: (offered - succeeded) / offered, errorKinds: {}, degradation: null, withinLimits: true,
    };
  };
  const limits = { p95Ms: 100, maxErrorRate: 0.5, minCompletionRatio: 0.9 };
  it('is the last stage before the first one past the p95 or error limits', () => {
    expect(saturationOf([stage(1, 10, 20), stage(2, 20, 40), stage(3, 40, 500)], limits)).toMatchObject({ level: 20, stage: 2, firstBeyond: 3 });
    expect(saturationOf([stage(1, 10, 20), stage(2, 20, 40, { failed: 60 })], limits).reason).toMatch(/error rate 60.0 % > 50.0 %/);
  });

  it('is where completions stop following the offered load, even with p95 and errors within their limits', () => {
    const sat = saturationOf([stage(1, 10, 20), stage(2, 20, 40), stage(3, 80, 90, { offered: 240, completed: 178 })], limits);
    expect(sat).toMatchObject({ level: 20, stage: 2, firstBeyond: 3 });
    expect(sat.reason).toMatch(/completions stopped following the offered load: 178 of 240 offered completed/);
  });

  it('closed loop: where more virtual users stop adding completions', () => {
    const vus = (n: number, level: number, done: number) => stage(n, level, 20, { offered: done, unit: 'VUs' });
    expect(saturationOf([vus(1, 4, 400), vus(2, 8, 800), vus(3, 16, 820)], limits)).toMatchObject({ level: 8, firstBeyond: 3 });
  });

  it('is left unset when no stage saturated or the first one already had, and says so', () => {
    const none = saturationOf([stage(1, 10, 20), stage(2, 20, 40)], limits);
    expect(none).toMatchObject({ level: null, stage: null, firstBeyond: null });
    expect(none.reason).toMatch(/not saturated.*up to 20 req\/s.*left unset/);
    const first = saturationOf([stage(1, 10, 200)], limits);
    expect(first).toMatchObject({ level: null, firstBeyond: 1 });
    expect(first.reason).toMatch(/already saturated at the first stage.*left unset/);
  });
});

describe('step error shares', () => {
  const rate = (stage: string, step: string, hits: number, total: number): RateMetric => ({
    type: 'rate', name: 'load_step_success', tags: { stage, step }, unit: 'ratio', meaning: 'share', better: 'higher', hits, total, value: total ? hits / total : 0,
  });
  const fig = (stage: number, withinLimits: boolean) => ({ stage, withinLimits }) as StageFigures;
  const limits = { p95Ms: 100, maxErrorRate: 0.05 };

  it('judges each step kind on its own, over the stages within the limits only', () => {
    const metrics = [
      rate('1', 'cache_get', 1000, 1000), rate('1', 'cache_set', 0, 8), rate('2', 'cache_set', 10, 10),
      // Past saturation failures are the symptom, not a defect of the step.
      rate('3', 'pg_read', 10, 100), rate('1', 'pg_read', 100, 100),
    ];
    const shares = stepShares(metrics, [fig(1, true), fig(2, true), fig(3, false)], limits);
    expect(shares).toEqual([
      { step: 'cache_get', attempts: 1000, failures: 0, share: 0, failing: false },
      { step: 'cache_set', attempts: 18, failures: 8, share: 8 / 18, failing: true },
      { step: 'pg_read', attempts: 100, failures: 0, share: 0, failing: false },
    ]);
  });

  it('uses every stage when none stayed within the limits', () => {
    const shares = stepShares([rate('1', 'pg_read', 50, 100)], [fig(1, false)], limits);
    expect(shares[0]).toMatchObject({ attempts: 100, failures: 50, failing: true });
  });
});
