// The comparison model: a run against itself has no regression; a shifted histogram is reported as exactly that metric.
import { describe, expect, it } from 'vitest';
import { compareRuns, hasRegression, isRegression, isWorse, relativeChange, statusWorsened } from '../../src/compare/compare.js';
import { binomialHalfWidth, percentileHalfWidth, seriesHalfWidth } from '../../src/compare/noise.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { serializeMetrics } from '../../src/metrics/serialize.js';
import { Trend } from '../../src/metrics/trend.js';
import type { CheckResult, RunResult } from '../../src/result/model.js';
import { formatMargin, parseMargin } from '../../src/compare/margin.js';
import { changeRows, comparisonHeadline, formatChange } from '../../src/compare/rows.js';
import { renderComparisonText } from '../../src/compare/text.js';
import { latencyByCategory } from '../../src/compare/latency.js';
import { targetDifferences } from '../../src/compare/targets.js';
import { ConfigError } from '../../src/util/errors.js';
import { fullRunResult, interruptedRunResult, RECORDED } from '../fixtures/run-result.js';
import { slowerRun } from '../helpers/slower-run.js';

const opts = { maxRegression: 0.1, minDeltaMs: 0.5 };

describe('compareRuns', () => {
  it('finds no regression comparing a run with itself, every change 0', () => {
    const r = fullRunResult();
    const cmp = compareRuns(r, r, opts);
    expect(cmp.regressions).toEqual([]);
    expect(cmp.changes.length).toBeGreaterThan(10);
    expect(cmp.changes.every((c) => c.change === 0)).toBe(true);
    expect(cmp.statusChanges).toEqual([]);
    expect(cmp.onlyInBaseline).toEqual([]);
    expect(comparisonHeadline(cmp)).toMatch(/^No regression: no check status got worse, and none of \d+ figures compared got worse beyond the noise of both runs and 10%\.$/);
    expect(hasRegression(cmp)).toBe(false);
  });

  it('reports exactly the slowed metric, with percentiles from its histogram', () => {
    const base = fullRunResult();
    const slow = slowerRun(base, 'queries.basic', 'query_duration{query:insert}', 50);
    const cmp = compareRuns(base, slow, opts);
    expect(cmp.regressions.map((r) => [r.checkId, r.metric, r.stat])).toEqual([['queries.basic', 'query_duration{query:insert}', 'p95']]);
    const p95 = cmp.regressions[0]!;
    // insert holds 200 × 0.5 ms and 50 × 4 ms: p95 is 4 ms before, 54 ms after (HDR: 3 significant digits).
    expect(p95.baseline).toBeCloseTo(RECORDED.insert.slowMs, 1);
    expect(p95.current).toBeCloseTo(RECORDED.insert.slowMs + 50, 0);
    // The p50 and p99 moved too but are shown, not judged.
    expect(cmp.changes.filter((c) => c.metric === 'query_duration{query:insert}' && c.stat !== 'p95').every((c) => !c.regression && !c.judged)).toBe(true);
    expect(changeRows(cmp).find((r) => r.stat === 'p95')).toMatchObject({ check: 'queries.basic', metric: 'query_duration{query:insert}', verdict: 'regression' });
    expect(comparisonHeadline(cmp)).toContain('1 regression (beyond the noise of both runs and 10%): queries.basic query_duration{query:insert} p95 +');
  });

  it('sees an improvement as no regression', () => {
    const base = fullRunResult();
    const slow = slowerRun(base, 'queries.basic', 'query_duration{query:insert}', 50);
    const cmp = compareRuns(slow, base, opts);
    expect(cmp.regressions).toEqual([]);
    expect(changeRows(cmp).find((r) => r.metric === 'query_duration{query:insert}' && r.stat === 'p95')?.verdict).toBe('improved');
  });

  it('ignores latency changes below min_regression_ms and within the margin', () => {
    const base = fullRunResult();
    // acquire_duration is 0.25 ms: +0.2 ms is +80 % but below the 0.5 ms floor.
    const cmp = compareRuns(base, slowerRun(base, 'pool.connect', 'acquire_duration', 0.2), opts);
    expect(cmp.regressions).toEqual([]);
    expect(compareRuns(base, slowerRun(base, 'pool.connect', 'acquire_duration', 0.2), { maxRegression: 0.1, minDeltaMs: 0 }).regressions).toHaveLength(1);
    // point_lookup p95 is 950 ms: +50 ms is +5 %, inside 10 %.
    expect(compareRuns(base, slowerRun(base, 'queries.basic', 'query_duration{query:point_lookup}', 50), opts).regressions).toEqual([]);
  });

  it('judges error rates as lower-is-better and lists status changes and metrics present in one run only', () => {
    const base = fullRunResult();
    const worse = structuredClone(base);
    const rate = worse.checks.find((c) => c.id === 'queries.basic')!.metrics.find((m) => m.type === 'rate')!;
    if (rate.type !== 'rate') throw new Error('fixture');
    // Direction comes only from the declared meaning: undeclared, the same change is shown and never judged.
    rate.hits = 50;
    rate.value = 0.05;
    expect(compareRuns(base, worse, opts).regressions).toEqual([]);
    for (const r of [base, worse]) Object.assign(r.checks.find((c) => c.id === 'queries.basic')!.metrics.find((m) => m.type === 'rate')!, { meaning: 'share', better: 'lower' });
    rate.hits = 50;
    rate.value = 0.05;
    const cmp = compareRuns(base, worse, opts);
    expect(cmp.regressions.map((r) => `${r.metric} ${r.stat}`)).toEqual(['query_errors{query:point_lookup} rate']);
    const other = compareRuns(base, interruptedRunResult(), opts);
    expect(other.statusChanges).toContainEqual({ checkId: 'queries.basic', baseline: 'fail', current: 'skip', worsened: false });
    expect(other.onlyInBaseline).toContain('queries.basic: query_duration{query:insert}');
  });

  it('renders a plain-text table without colour codes', () => {
    const base = fullRunResult();
    const text = renderComparisonText(compareRuns(base, slowerRun(base, 'queries.basic', 'query_duration{query:insert}', 50), opts), { color: false });
    expect(text).not.toContain('\u001b[');
    const line = text.split('\n').find((l) => l.includes('query_duration{query:insert}') && l.includes('p95'))!;
    expect(line).toMatch(/4 ms\s+54 ms\s+\+1,?\d+%\s+±\S+ ms\s+regression$/);
  });
});

describe('margins and changes', () => {
  it('parses 10%, 0.1 and 10 the same way and rejects nonsense naming the flag', () => {
    expect(parseMargin('10%', 'x')).toBeCloseTo(0.1);
    expect(parseMargin('0.1', 'x')).toBeCloseTo(0.1);
    expect(parseMargin('10', 'x')).toBeCloseTo(0.1);
    expect(parseMargin(0.25, 'x')).toBeCloseTo(0.25);
    expect(formatMargin(0.1)).toBe('10%');
    expect(() => parseMargin('ten', '--max-regression')).toThrow(ConfigError);
    expect(() => parseMargin('ten', '--max-regression')).toThrow('--max-regression: expected a margin like 10% or 0.1, got "ten"');
  });

  it('computes relative changes and worsening in both directions', () => {
    expect(relativeChange(100, 110)).toBeCloseTo(0.1);
    expect(relativeChange(0, 0)).toBe(0);
    expect(relativeChange(0, 1)).toBeNull();
    expect(isWorse('lower', 100, 111, 0.1, 0)).toBe(true);
    expect(isWorse('lower', 100, 110, 0.1, 0)).toBe(false);
    expect(isWorse('higher', 100, 89, 0.1, 0)).toBe(true);
    expect(isWorse('none', 1, 1000, 0.1, 0)).toBe(false);
    expect(formatChange(0.125)).toBe('+12.5%');
    expect(formatChange(-0.031)).toBe('-3.1%');
    expect(formatChange(null)).toBe('new');
  });
});

/** A run with one extra check built from a registry, so a test controls every figure and its declared meaning. */
function withCheck(status: CheckResult['status'], build: (r: MetricRegistry) => void, series: CheckResult['timeSeries'] = []): RunResult {
  const run = fullRunResult();
  const registry = new MetricRegistry();
  build(registry);
  run.checks.push({
    id: 'x.check', category: 'integrity', title: 'x', status, startedAt: run.startedAt, durationMs: 1000,
    metrics: serializeMetrics(registry, 1), timeSeries: series, thresholds: [], ratings: [], findings: [], info: {},
  });
  return run;
}

describe('regressions beyond the noise', () => {
  it('a check whose status worsened is a regression, named, whatever its figures; a skip is not judged', () => {
    const base = fullRunResult();
    const cur = structuredClone(base);
    base.checks.find((c) => c.id === 'integrity.fk')!.status = 'pass';
    cur.checks.find((c) => c.id === 'integrity.fk')!.status = 'fail';
    const cmp = compareRuns(base, cur, opts);
    expect(cmp.statusRegressions).toEqual([{ checkId: 'integrity.fk', baseline: 'pass', current: 'fail', worsened: true }]);
    expect(hasRegression(cmp)).toBe(true);
    expect(comparisonHeadline(cmp)).toBe('1 regression (beyond the noise of both runs and 10%): integrity.fk pass → fail.');
    expect(renderComparisonText(cmp, { color: false })).toMatch(/integrity\.fk: pass → fail {2}regression/);
    expect([statusWorsened('pass', 'warn'), statusWorsened('warn', 'fail'), statusWorsened('fail', 'pass'), statusWorsened('pass', 'skip'), statusWorsened('skip', 'fail')]).toEqual([true, true, false, false, false]);
  });

  it('a defects counter that grew by one is a regression; an undeclared counter is never judged', () => {
    const count = (n: number) => (r: MetricRegistry) => {
      r.describe('orphans', { meaning: 'defects' });
      r.counter('orphans', {}, 'rows').add(n);
      r.counter('rows_seen').add(n * 1000);
    };
    const cmp = compareRuns(withCheck('warn', count(100)), withCheck('warn', count(101)), opts);
    expect(cmp.regressions.map((r) => `${r.metric} ${r.stat} ${r.baseline}→${r.current}`)).toEqual(['orphans count 100→101']);
    expect(compareRuns(withCheck('warn', count(101)), withCheck('warn', count(100)), opts).regressions).toEqual([]);
  });

  it('events counted per second (timeouts) grow beyond Poisson noise before they regress', () => {
    const timeouts = (n: number) => (r: MetricRegistry) => {
      r.describe('acquire_timeouts', { meaning: 'defects', perSecond: true });
      r.counter('acquire_timeouts').add(n);
    };
    expect(compareRuns(withCheck('pass', timeouts(0)), withCheck('pass', timeouts(1)), opts).regressions).toEqual([]);
    expect(compareRuns(withCheck('pass', timeouts(0)), withCheck('pass', timeouts(10)), opts).regressions.map((r) => r.metric)).toEqual(['acquire_timeouts']);
  });

  it('judges a share on its bad side: an integrity score from 99 % to 95 % is five times the defects', () => {
    const score = (v: number) => (r: MetricRegistry) => {
      r.describe('integrity_score', { meaning: 'share', better: 'higher' });
      r.gauge('integrity_score', {}, 'ratio').set(v);
    };
    expect(compareRuns(withCheck('pass', score(0.99)), withCheck('pass', score(0.95)), opts).regressions.map((r) => r.metric)).toEqual(['integrity_score']);
    // Below the 0.1-point floor: not a regression.
    expect(compareRuns(withCheck('pass', score(0.99)), withCheck('pass', score(0.9895)), opts).regressions).toEqual([]);
  });

  it('a p95 15 % worse is noise over 40 samples and a regression over 20,000', () => {
    const trend = (n: number, scale: number) => (r: MetricRegistry) => {
      r.describe('op_duration', { meaning: 'latency' });
      const t = r.trend('op_duration');
      // A long-tailed spread of n operations: ms from 5 to ~300.
      for (let i = 0; i < n; i++) t.record((5 + 300 * ((i % 40) / 40) ** 2) * scale);
    };
    const few = compareRuns(withCheck('pass', trend(40, 1)), withCheck('pass', trend(40, 1.15)), opts);
    const p95 = few.changes.find((c) => c.metric === 'op_duration' && c.stat === 'p95')!;
    expect(p95.change).toBeGreaterThan(0.1);
    expect(p95.noise).toBeGreaterThan(p95.current - p95.baseline);
    expect(p95.regression).toBe(false);
    const many = compareRuns(withCheck('pass', trend(20_000, 1)), withCheck('pass', trend(20_000, 1.15)), opts);
    expect(many.regressions.map((r) => `${r.metric} ${r.stat}`)).toEqual(['op_duration p95']);
  });

  it('takes the per-second p95 dispersion as noise when the run wandered more than sampling says', () => {
    const trend = (scale: number) => (r: MetricRegistry) => {
      r.describe('op_duration', { meaning: 'latency' });
      const t = r.trend('op_duration');
      for (let i = 0; i < 20_000; i++) t.record((5 + 300 * ((i % 40) / 40) ** 2) * scale);
    };
    const wandering = [{ name: 'op_p95', tags: {}, unit: 'ms', points: [[1, 100], [2, 400], [3, 150], [4, 380], [5, 120]] as Array<[number, number]> }];
    const cmp = compareRuns(withCheck('pass', trend(1), wandering), withCheck('pass', trend(1.15), wandering), opts);
    expect(cmp.regressions).toEqual([]);
    expect(cmp.changes.find((c) => c.metric === 'op_duration' && c.stat === 'p95')!.noise).toBeGreaterThan(200);
  });

  it('throughput gauges use their per-second series; direction only from `better`', () => {
    const gauge = (v: number, declared: boolean) => (r: MetricRegistry) => {
      if (declared) r.describe('req_throughput', { meaning: 'throughput' });
      r.gauge('req_throughput', {}, 'req/s').set(v);
    };
    const steady = (v: number) => [{ name: 'req_throughput', tags: {}, unit: 'req/s', points: [[1, v], [2, v + 5], [3, v - 5], [4, v]] as Array<[number, number]> }];
    expect(compareRuns(withCheck('pass', gauge(1000, true), steady(1000)), withCheck('pass', gauge(700, true), steady(700)), opts).regressions).toHaveLength(1);
    expect(compareRuns(withCheck('pass', gauge(1000, false), steady(1000)), withCheck('pass', gauge(700, false), steady(700)), opts).regressions).toEqual([]);
    const jumpy = (v: number) => [{ name: 'req_throughput', tags: {}, unit: 'req/s', points: [[1, v - 600], [2, v + 600], [3, v - 500], [4, v + 500]] as Array<[number, number]> }];
    expect(compareRuns(withCheck('pass', gauge(1000, true), jumpy(1000)), withCheck('pass', gauge(700, true), jumpy(700)), opts).regressions).toEqual([]);
  });

  it('never calls a timing change a regression when either run measured that check while saturated; other figures still count', () => {
    const build = (scale: number, orphans: number) => (r: MetricRegistry) => {
      r.describe('op_duration', { meaning: 'latency' }).describe('orphans', { meaning: 'defects' });
      const t = r.trend('op_duration');
      for (let i = 0; i < 20_000; i++) t.record((5 + (i % 40)) * scale);
      r.counter('orphans').add(orphans);
    };
    const base = withCheck('pass', build(1, 0));
    const cur = withCheck('pass', build(3, 2));
    expect(compareRuns(base, cur, opts).regressions.map((r) => r.metric)).toEqual(['op_duration', 'orphans']);
    cur.checks.find((c) => c.id === 'x.check')!.info.measurement_saturation = { saturated: true, reasons: ['the host\'s 2 cores were 99% busy (limit 90%)'], figures: {} };
    const cmp = compareRuns(base, cur, opts);
    expect(cmp.regressions.map((r) => r.metric)).toEqual(['orphans']);
    expect(cmp.changes.find((c) => c.metric === 'op_duration' && c.stat === 'p95')).toMatchObject({ saturated: true, regression: false });
    expect(comparisonHeadline(cmp)).toMatch(/1 timing figure was not judged: measured while the client\/host was saturated\.$/);
    expect(renderComparisonText(cmp, { color: false })).toMatch(/op_duration\s+p95 .* saturated: not judged/);
  });

  it('noise half-widths: narrower with more samples, zero-safe', () => {
    const t = (n: number) => {
      const x = new Trend();
      for (let i = 0; i < n; i++) x.record(1 + (i % 100));
      return x;
    };
    expect(percentileHalfWidth(t(100), 95)).toBeGreaterThan(percentileHalfWidth(t(100_000), 95));
    expect(percentileHalfWidth(new Trend(), 95)).toBe(0);
    expect(binomialHalfWidth(0, 1000)).toBeGreaterThan(0);
    expect(binomialHalfWidth(10, 100)).toBeGreaterThan(binomialHalfWidth(100, 1000));
    expect(seriesHalfWidth([1, 2])).toBeUndefined();
    expect(seriesHalfWidth([5, 5, 5])).toBe(0);
    expect(isRegression(100, 130, { better: 'lower', margin: 0.1, minDelta: 0, noise: 40, share: false })).toBe(false);
    expect(isRegression(100, 130, { better: 'lower', margin: 0.1, minDelta: 0, noise: 20, share: false })).toBe(true);
  });
});

describe('targets and latency per category', () => {
  it('names the services whose server differs, credentials never included; private servers of both runs are the same target', () => {
    const a = fullRunResult();
    const b = fullRunResult();
    expect(targetDifferences(a, b)).toEqual([]);
    // A private PostgreSQL gets a new port every run: still "the private one".
    b.environment.targets.pg = { ...b.environment.targets.pg!, url: 'postgres://stackprobe@127.0.0.1:61000/stackprobe' };
    expect(targetDifferences(a, b)).toEqual([]);
    b.environment.targets.pg = { kind: 'postgresql', url: 'postgres://app:secret@db:5432/ledger', private: false };
    b.environment.targets.redis = { kind: 'redis', url: 'redis://:pw@cache:6379/0', private: false };
    const diff = targetDifferences(a, b);
    expect(diff).toEqual([
      { service: 'pg', baseline: '127.0.0.1:54329/stackprobe (private)', current: 'db:5432/ledger' },
      { service: 'redis', baseline: '–', current: 'cache:6379/0' },
    ]);
    expect(JSON.stringify(diff)).not.toMatch(/secret|pw/);
  });

  it('compares p95 per category, each operation once, so a slower query shows though cache operations outnumber it', () => {
    const base = fullRunResult();
    const slow = slowerRun(base, 'queries.basic', 'query_duration{query:point_lookup}', 50);
    const cmp = compareRuns(base, slow, { maxRegression: 0.1 });
    const byCat = Object.fromEntries(cmp.categoryLatency.map((c) => [c.category, c]));
    expect(byCat.pool!.change).toBe(0);
    expect(byCat.queries!.currentP95).toBeGreaterThan(byCat.queries!.baselineP95);
    expect(byCat.queries!.currentCount).toBe(byCat.queries!.baselineCount);
    expect(latencyByCategory(base).map((c) => c.category)).toEqual(['pool', 'queries']);
  });
});
