// `stackprobe merge` math: two segments' histograms merged equal, percentile by percentile, one histogram of all samples.
import { describe, expect, it } from 'vitest';
import { analyseStages } from '../../src/checks/load/analyse.js';
import { loadMerge } from '../../src/checks/load/merge.js';
import { builtinChecks } from '../../src/checks/index.js';
import { mergeRunResults } from '../../src/merge/merge-results.js';
import { mergeSeries } from '../../src/merge/series.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { serializeMetrics } from '../../src/metrics/serialize.js';
import { Trend } from '../../src/metrics/trend.js';
import { declarationOf, mergeIntoRegistry } from '../../src/result/into-registry.js';
import { SCHEMA_VERSION, type CheckResult, type RunResult, type TimeSeries, type TrendMetric } from '../../src/result/model.js';
import { summarize } from '../../src/result/summary.js';
import { createRng } from '../../src/workload/prng.js';
import { D, decls } from '../helpers/decl.js';

/** A skewed latency distribution (log-normal-ish, 0.5 ms to seconds) from a seeded PRNG. */
function samples(seed: number, n: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => Math.exp(rng.next() * 8) * 0.5 + rng.next());
}

function segmentResult(segment: string, values: number[][], errors: number[]): RunResult {
  const reg = new MetricRegistry();
  values.forEach((vs, i) => {
    const stage = String(i + 1);
    for (const v of vs) {
      reg.trend(D.trend('load_request_duration'), { stage }).record(v);
      reg.rate(D.rate('load_success'), { stage }).add(true);
    }
    for (let e = 0; e < errors[i]!; e++) {
      reg.rate(D.rate('load_success'), { stage }).add(false);
      reg.counter(D.counter('load_error_kinds'), { stage, kind: '57P01' }).add();
    }
    reg.gauge(D.gauge('load_stage_level', 'req/s'), { stage }).set(10 * (i + 1));
    reg.gauge(D.gauge('load_stage_elapsed_s', 's'), { stage }).set(2);
  });
  const check: CheckResult = {
    id: 'load.mixed', category: 'load', title: 'load', status: 'pass', startedAt: '2025-01-01T00:00:00.000Z', durationMs: 4000,
    metrics: serializeMetrics(reg, 4), timeSeries: [{ name: 'load_throughput', tags: {}, unit: 'req/s', points: [[1, 10], [2, 20]] }],
    thresholds: [{ metric: 'load_success', expression: 'rate>0.95', level: 'fail', ok: true, actual: 1, unit: 'ratio', source: 'default' }],
    ratings: [], findings: [], info: { distribution: { segment, workers: 1 }, limits: { p95Ms: 500, maxErrorRate: 0.05 } },
  };
  const summary = summarize([check], { cpuUserMs: 100, cpuSystemMs: 10, wallMs: 4000, maxRssMb: 80 }, 1024);
  return {
    schemaVersion: SCHEMA_VERSION, mode: 'quick', readOnly: false, interrupted: false, startedAt: check.startedAt, endedAt: '2025-01-01T00:00:05.000Z',
    durationMs: 5000, environment: { tool: { name: 'stackprobe', version: 't' }, client: { hostname: 'h', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'c', memoryBytes: 1, node: 'v20' }, targets: {}, unavailable: {}, unopened: {} },
    checks: [check], summary, recommendations: [],
  };
}

const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

describe('merging segment results', () => {
  const a = [samples(1, 5000), samples(2, 3000)];
  const b = [samples(3, 7000), samples(4, 1000)];
  const merged = mergeRunResults([segmentResult('1/2', a, [3, 0]), segmentResult('2/2', b, [1, 40])], builtinChecks, ['a.json', 'b.json']);
  const check = merged.result.checks[0]!;

  it('equals, per percentile, one histogram built from the same samples', () => {
    for (const stage of [0, 1]) {
      const single = new Trend();
      for (const v of [...a[stage]!, ...b[stage]!]) single.record(v);
      const m = check.metrics.find((x): x is TrendMetric => x.type === 'trend' && x.name === 'load_request_duration' && x.tags.stage === String(stage + 1))!;
      const decoded = Trend.decode(m.histogram);
      expect(decoded.count).toBe(a[stage]!.length + b[stage]!.length);
      for (const p of PERCENTILES) expect(decoded.percentile(p), `stage ${stage + 1} p${p}`).toBe(single.percentile(p));
      expect(m.summary).toEqual(single.summary());
    }
  });

  it('is not the average of the segments\' percentiles', () => {
    const p99 = (vs: number[]) => { const t = new Trend(); vs.forEach((v) => t.record(v)); return t.percentile(99); };
    const single = p99([...a[1]!, ...b[1]!]);
    expect(single).not.toBeCloseTo((p99(a[1]!) + p99(b[1]!)) / 2, 0);
  });

  it('adds counts, recomputes per-stage figures and thresholds from the merged data', () => {
    const stages = check.info.stages as ReturnType<typeof analyseStages>['stages'];
    expect(stages[0]).toMatchObject({ requests: 5000 + 3 + 7000 + 1, errorKinds: { '57P01': 4 }, level: 10 });
    expect(stages[1]).toMatchObject({ requests: 3000 + 1000 + 40, errorKinds: { '57P01': 40 } });
    // Throughput counts the requests that succeeded, never the failed ones.
    expect(stages[0]!.throughput).toBeCloseTo((5000 + 7000) / 2, 6);
    expect(stages[0]).toMatchObject({ offered: 12_004, succeeded: 12_000, dropped: 0 });
    const success = check.thresholds.find((t) => t.metric === 'load_success')!;
    expect(success.actual).toBeCloseTo((16_000) / (16_000 + 44), 9);
    expect(merged.warnings).toEqual([]);
    const tp = check.timeSeries.find((s) => s.name === 'load_throughput')!;
    expect(tp.points).toEqual([[1, 20], [2, 40]]);
  });

  it('refuses the same segment twice and warns about a missing one', () => {
    const one = segmentResult('1/3', [samples(5, 10)], [0]);
    expect(() => mergeRunResults([one, one], builtinChecks, ['x.json', 'y.json'])).toThrow(/segment 1\/3 is also in x.json/);
    expect(mergeRunResults([one, segmentResult('2/3', [samples(6, 10)], [0])], builtinChecks).warnings[0]).toMatch(/segment 3\/3 missing \(given: 1\/3, 2\/3\)/);
    expect(() => mergeRunResults([one, segmentResult('1/2', [samples(6, 10)], [0])], builtinChecks)).toThrow(/different splits/);
  });

  it('keeps each machine\'s resource series apart, tagged with its segment', () => {
    const s = mergeSeries([[{ name: 'host_cpu_percent', tags: {}, unit: '%', points: [[1, 50]] }], [{ name: 'host_cpu_percent', tags: {}, unit: '%', points: [[1, 70]] }]], ['1/2', '2/2']);
    expect(s.map((x) => x.tags.segment)).toEqual(['1/2', '2/2']);
  });
});

describe('merged per-second percentiles', () => {
  it('never makes a merged load_p95 from the segments\' p95s: each segment\'s stays, tagged; counts add; the level is taken once', () => {
    const seg = (p95: number, rps: number): TimeSeries[] => [
      { name: 'load_p95', tags: {}, unit: 'ms', points: [[1, p95]] },
      { name: 'load_throughput', tags: {}, unit: 'req/s', points: [[1, rps]] },
      { name: 'load_stage_level', tags: {}, unit: 'req/s', points: [[1, 100]] },
    ];
    const s = mergeSeries([seg(10, 40), seg(90, 60)], ['1/2', '2/2'], loadMerge.series);
    const p95 = s.filter((x) => x.name === 'load_p95');
    expect(p95.map((x) => [x.tags.segment, x.points[0]![1]])).toEqual([['1/2', 10], ['2/2', 90]]);
    expect(s.find((x) => x.name === 'load_throughput')).toMatchObject({ tags: {}, points: [[1, 100]] });
    expect(s.find((x) => x.name === 'load_stage_level')).toMatchObject({ tags: {}, points: [[1, 100]] });
    expect(s).toHaveLength(4);
  });

  it('combines only what the check declares: the same series undeclared stay apart, and any name can be declared', () => {
    const seg = (rps: number): TimeSeries[] => [{ name: 'load_throughput', tags: {}, unit: 'req/s', points: [[1, rps]] }];
    expect(mergeSeries([seg(40), seg(60)], ['1/2', '2/2']).map((x) => [x.tags.segment, x.points[0]![1]])).toEqual([['1/2', 40], ['2/2', 60]]);
    const plugin = (n: number): TimeSeries[] => [{ name: 'jobs_done', tags: { queue: 'q' }, unit: 'count', points: [[1, n], [2.4, n]] }];
    expect(mergeSeries([plugin(1), plugin(2)], ['1/2', '2/2'], { jobs_done: 'sum' })).toEqual([{ name: 'jobs_done', tags: { queue: 'q' }, unit: 'count', points: [[1, 3], [2, 3]] }]);
  });
});

describe('mergeIntoRegistry', () => {
  it('carries declared meanings into the receiving registry, without overriding its own declarations', async () => {
    const { mergeIntoRegistry } = await import('../../src/result/into-registry.js');
    const from = new MetricRegistry();
    const D = decls({ op_duration: { meaning: 'latency' }, requests: { meaning: 'count', perSecond: true }, mine: { meaning: 'defects' } });
    from.trend(D.trend('op_duration')).record(3);
    from.counter(D.counter('requests')).add(2);
    from.counter(D.counter('mine')).add(1);
    const into = new MetricRegistry();
    into.declare(decls({ mine: { meaning: 'count' } }).counter('mine'));
    mergeIntoRegistry(into, serializeMetrics(from, 1));
    expect(into.metaOf('op_duration', 'trend')).toMatchObject({ meaning: 'latency', better: 'lower' });
    expect(into.metaOf('requests', 'counter')).toMatchObject({ meaning: 'count', perSecond: true });
    expect(into.metaOf('mine', 'counter').meaning).toBe('count');
  });
});

describe('a declaration rebuilt from run.json', () => {
  it('keeps the operation a figure is part of, so a merged run still shows one row per operation', () => {
    const reg = new MetricRegistry();
    const lookup = decls({ lookup_duration: { meaning: 'latency', operation: { name: 'lookup', role: 'duration' } } });
    reg.trend(lookup.trend('lookup_duration')).record(1);
    const [m] = serializeMetrics(reg, 1);
    expect(declarationOf(m!).operation).toEqual({ name: 'lookup', role: 'duration' });
    const merged = new MetricRegistry();
    mergeIntoRegistry(merged, [m!]);
    expect(serializeMetrics(merged, 1)[0]).toMatchObject({ name: 'lookup_duration', operation: { name: 'lookup', role: 'duration' } });
  });
});
