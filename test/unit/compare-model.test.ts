// The comparison model: a run against itself has no regression; a shifted histogram is reported as exactly that metric;
// the noise model is checked against known distributions (independent draws of one distribution never regress).
import { describe, expect, it } from 'vitest';
import { checkSaturated, compareRuns, hasRegression, isRegression, isWorse, relativeChange, statusWorsened } from '../../src/compare/compare.js';
import { binomialHalfWidth, minSamples, percentileHalfWidth, seriesHalfWidth } from '../../src/compare/noise.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { serializeMetrics } from '../../src/metrics/serialize.js';
import { Trend } from '../../src/metrics/trend.js';
import type { CheckResult, RunResult } from '../../src/result/model.js';
import { formatMargin, parseMargin } from '../../src/compare/margin.js';
import { changeRows, comparisonHeadline, formatChange } from '../../src/compare/rows.js';
import { renderComparisonText } from '../../src/report/compare-text.js';
import { latencyByCategory } from '../../src/compare/latency.js';
import { targetDifferences } from '../../src/compare/targets.js';
import { ConfigError } from '../../src/util/errors.js';
import { fullRunResult, interruptedRunResult, RECORDED } from '../fixtures/run-result.js';
import { slowerRun } from '../helpers/slower-run.js';
import { createRng } from '../../src/workload/prng.js';
import { decls } from '../helpers/decl.js';

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
    expect(comparisonHeadline(cmp)).toMatch(/^No regression: no check newly fails, and none of \d+ judged figures got worse beyond the noise of both runs and 10%\. \d+ other figures are shown, not judged \(--all\)\.$/);
    // Quiet by default: nothing moved, so no row is printed; --all lists every figure.
    expect(changeRows(cmp)).toEqual([]);
    expect(changeRows(cmp, true)).toHaveLength(cmp.changes.length);
    expect(hasRegression(cmp)).toBe(false);
  });

  it('reports exactly the slowed metric, with percentiles from its histogram', () => {
    const base = fullRunResult();
    const slow = slowerRun(base, 'queries.basic', 'query_duration{query:insert}', 50);
    const cmp = compareRuns(base, slow, opts);
    expect(cmp.regressions.map((r) => [r.checkId, r.metric, r.stat])).toEqual([['queries.basic', 'query_duration{query:insert}', 'p50']]);
    const p50 = cmp.regressions[0]!;
    // insert holds 200 × 0.5 ms and 50 × 4 ms: p50 is 0.5 ms before, 50.5 ms after (HDR: 3 significant digits).
    expect(p50.baseline).toBeCloseTo(RECORDED.insert.fastMs, 2);
    expect(p50.current).toBeCloseTo(RECORDED.insert.fastMs + 50, 0);
    // 250 samples: the p95 moved too but rests on 13 operations, so it is shown, not judged.
    const p95 = cmp.changes.find((c) => c.metric === 'query_duration{query:insert}' && c.stat === 'p95')!;
    expect(p95).toMatchObject({ judged: false, regression: false, unjudged: 'too few samples for a p95 (250 < 400)' });
    expect(changeRows(cmp).map((r) => `${r.metric} ${r.stat} ${r.verdict}`)).toEqual(['query_duration{query:insert} p50 regression']);
    expect(comparisonHeadline(cmp)).toMatch(/^1 regression \(a check newly failing, or worse beyond the noise of both runs and 10%\): queries\.basic query_duration\{query:insert\} p50 0\.5 ms → 50\.5 ms \(\+10,?\d+%, noise ±[\d.]+ ms\)\.$/);
  });

  it('sees an improvement as no regression', () => {
    const base = fullRunResult();
    const slow = slowerRun(base, 'queries.basic', 'query_duration{query:insert}', 50);
    const cmp = compareRuns(slow, base, opts);
    expect(cmp.regressions).toEqual([]);
    expect(changeRows(cmp).find((r) => r.metric === 'query_duration{query:insert}' && r.stat === 'p50')?.verdict).toBe('improved');
  });

  it('ignores latency changes below min_regression_ms and within the margin', () => {
    const base = fullRunResult();
    // acquire_duration is 0.25 ms: +0.2 ms is +80 % but below the 0.5 ms floor.
    const cmp = compareRuns(base, slowerRun(base, 'pool.connect', 'acquire_duration', 0.2), opts);
    expect(cmp.regressions).toEqual([]);
    expect(new Set(compareRuns(base, slowerRun(base, 'pool.connect', 'acquire_duration', 0.2), { maxRegression: 0.1, minDeltaMs: 0 }).regressions.map((r) => r.metric))).toEqual(new Set(['acquire_duration']));
    // point_lookup spreads 1 … 1000 ms: +50 ms is well inside the tail spread of both runs.
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
    const line = text.split('\n').find((l) => l.includes('query_duration{query:insert}') && l.includes('p50'))!;
    expect(line).toMatch(/0\.5 ms\s+50\.5 ms\s+\+10,?\d+%\s+±\S+ ms\s+regression$/);
    // Only what moved: one row under the header, and the p95 that rests on too few samples is not printed.
    expect(text.split('\n').filter((l) => l.startsWith('queries.basic'))).toHaveLength(1);
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
/** The fixture run without its checks: the tests below control every figure compared. */
const EMPTY: RunResult = { ...fullRunResult(), checks: [] };

function withCheck(status: CheckResult['status'], build: (r: MetricRegistry, control: boolean) => void, series: CheckResult['timeSeries'] = [], control = true): RunResult {
  const run = structuredClone(EMPTY);
  const registry = new MetricRegistry();
  build(registry, control);
  run.checks.push({
    id: 'x.check', category: 'integrity', title: 'x', status, startedAt: run.startedAt, durationMs: 1000,
    metrics: serializeMetrics(registry, 1), timeSeries: series, thresholds: [], ratings: [], findings: [], info: {},
  });
  return run;
}


/** Log-normal with the given median and log-spread (Box–Muller). */
function logNormal(rng: () => number, medianMs: number, sigma: number): number {
  const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return medianMs * Math.exp(sigma * z);
}

interface QueryRunSpec {
  medianMs: number;
  sigma?: number;
  n: number;
  /** A busy host: this share of operations (the control's too) waits an exponential time of this mean. */
  host: { share: number; waitMs: number };
  /** Added to every operation and to the control: a host or network slower for everything. */
  addMs?: number;
}

/** One query measured the way queries.* measure it: its latency trend and a no-op control on the same sessions. */
function queryRun(rng: () => number, spec: QueryRunSpec): (r: MetricRegistry, control: boolean) => void {
  const wait = () => (rng() < spec.host.share ? -spec.host.waitMs * Math.log(1 - rng()) : 0);
  const ops = Array.from({ length: spec.n }, () => logNormal(rng, spec.medianMs, spec.sigma ?? 0.4) + wait() + (spec.addMs ?? 0));
  const noops = Array.from({ length: 150 }, () => logNormal(rng, 0.2, 0.3) + wait() + (spec.addMs ?? 0));
  return (r, control) => {
    const D = decls({ op_duration: { meaning: 'latency' }, op_noop_duration: { meaning: 'duration', ...(control ? { controlFor: 'op_duration' } : {}) } });
    const t = r.trend(D.trend('op_duration'), { query: 'q' });
    for (const v of ops) t.record(v);
    const c = r.trend(D.trend('op_noop_duration'), { query: 'q' });
    for (const v of noops) c.record(v);
  };
}

describe('regressions beyond the noise', () => {
  it('a check that newly fails is a regression, named, whatever its figures; a warning, a skip or untrusted is not judged', () => {
    const base = fullRunResult();
    const cur = structuredClone(base);
    base.checks.find((c) => c.id === 'integrity.fk')!.status = 'pass';
    cur.checks.find((c) => c.id === 'integrity.fk')!.status = 'fail';
    const cmp = compareRuns(base, cur, opts);
    expect(cmp.statusRegressions).toEqual([{ checkId: 'integrity.fk', baseline: 'pass', current: 'fail', worsened: true }]);
    expect(hasRegression(cmp)).toBe(true);
    expect(comparisonHeadline(cmp)).toBe('1 regression (a check newly failing, or worse beyond the noise of both runs and 10%): integrity.fk pass → fail.');
    expect(renderComparisonText(cmp, { color: false })).toMatch(/integrity\.fk: pass → fail {2}regression/);
    expect([statusWorsened('pass', 'warn'), statusWorsened('warn', 'fail'), statusWorsened('fail', 'pass'), statusWorsened('pass', 'skip'), statusWorsened('skip', 'fail'), statusWorsened('pass', 'untrusted'), statusWorsened('untrusted', 'fail')])
      .toEqual([false, true, false, false, false, false, false]);
  });

  it('a defects counter that grew by one is a regression; an undeclared counter is never judged', () => {
    const count = (n: number) => (r: MetricRegistry) => {
      const D = decls({ orphans: { meaning: 'defects' } });
      r.counter(D.counter('orphans', 'rows')).add(n);
      r.counter(D.counter('rows_seen')).add(n * 1000);
    };
    const cmp = compareRuns(withCheck('warn', count(100)), withCheck('warn', count(101)), opts);
    expect(cmp.regressions.map((r) => `${r.metric} ${r.stat} ${r.baseline}→${r.current}`)).toEqual(['orphans count 100→101']);
    expect(compareRuns(withCheck('warn', count(101)), withCheck('warn', count(100)), opts).regressions).toEqual([]);
  });

  it('events counted per second (timeouts) grow beyond Poisson noise before they regress', () => {
    const timeouts = (n: number) => (r: MetricRegistry) => {
      const D = decls({ acquire_timeouts: { meaning: 'defects', perSecond: true } });
      r.counter(D.counter('acquire_timeouts')).add(n);
    };
    expect(compareRuns(withCheck('pass', timeouts(0)), withCheck('pass', timeouts(1)), opts).regressions).toEqual([]);
    expect(compareRuns(withCheck('pass', timeouts(0)), withCheck('pass', timeouts(10)), opts).regressions.map((r) => r.metric)).toEqual(['acquire_timeouts']);
  });

  it('judges a share on its bad side: an integrity score from 99 % to 95 % is five times the defects', () => {
    const score = (v: number) => (r: MetricRegistry) => {
      const D = decls({ integrity_score: { meaning: 'share', better: 'higher' } });
      r.gauge(D.gauge('integrity_score', 'ratio')).set(v);
    };
    expect(compareRuns(withCheck('pass', score(0.99)), withCheck('pass', score(0.95)), opts).regressions.map((r) => r.metric)).toEqual(['integrity_score']);
    // Below the 0.1-point floor: not a regression.
    expect(compareRuns(withCheck('pass', score(0.99)), withCheck('pass', score(0.9895)), opts).regressions).toEqual([]);
  });

  it('a p95 needs 400 samples a run before it is judged; a 255-request stage whose p95 jumped +1,700 % is shown, not judged', () => {
    expect([minSamples(50), minSamples(95), minSamples(99)]).toEqual([40, 400, 2000]);
    const stage = (stall: boolean) => (r: MetricRegistry) => {
      const D = decls({ req_duration: { meaning: 'latency' } });
      const t = r.trend(D.trend('req_duration'), { stage: '2' });
      // 255 requests of ~2 ms; in one run 14 of them waited behind a 40 ms stall (a checkpoint, a neighbour's burst).
      for (let i = 0; i < 255; i++) t.record(stall && i % 18 === 0 ? 40 : 2 + (i % 5) * 0.1);
    };
    const cmp = compareRuns(withCheck('pass', stage(false)), withCheck('pass', stage(true)), opts);
    const p95 = cmp.changes.find((c) => c.stat === 'p95' && c.metric === 'req_duration{stage:2}')!;
    expect(p95.change).toBeGreaterThan(10);
    expect(p95).toMatchObject({ judged: false, regression: false });
    expect(cmp.regressions).toEqual([]);
  });

  it('throughput gauges use their per-second series; direction only from `better`', () => {
    const gauge = (v: number, declared: boolean) => (r: MetricRegistry) => {
      const D = decls(declared ? { req_throughput: { meaning: 'throughput' } } : {});
      r.gauge(D.gauge('req_throughput', 'req/s')).set(v);
    };
    const steady = (v: number) => [{ name: 'req_throughput', tags: {}, unit: 'req/s', points: [[1, v], [2, v + 5], [3, v - 5], [4, v]] as Array<[number, number]> }];
    expect(compareRuns(withCheck('pass', gauge(1000, true), steady(1000)), withCheck('pass', gauge(700, true), steady(700)), opts).regressions).toHaveLength(1);
    expect(compareRuns(withCheck('pass', gauge(1000, false), steady(1000)), withCheck('pass', gauge(700, false), steady(700)), opts).regressions).toEqual([]);
    const jumpy = (v: number) => [{ name: 'req_throughput', tags: {}, unit: 'req/s', points: [[1, v - 600], [2, v + 600], [3, v - 500], [4, v + 500]] as Array<[number, number]> }];
    expect(compareRuns(withCheck('pass', gauge(1000, true), jumpy(1000)), withCheck('pass', gauge(700, true), jumpy(700)), opts).regressions).toEqual([]);
  });

  it('independent draws of one long-tailed distribution never regress, on a quiet host or a busy one (120 pairs)', () => {
    let flagged = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const rng = createRng(seed).next;
      // A busy host delays a share of operations (5 % to 40 %, different in each run) by an exponential wait.
      const busy = seed % 3 !== 0;
      const host = () => ({ share: busy ? 0.05 + 0.35 * rng() : 0, waitMs: 2 + 20 * rng() });
      const base = withCheck('pass', queryRun(rng, { medianMs: 2, n: 3000, host: host() }));
      const cur = withCheck('pass', queryRun(rng, { medianMs: 2, n: 3000, host: host() }));
      const cmp = compareRuns(base, cur, opts);
      if (cmp.regressions.length) flagged++;
    }
    expect(flagged).toBe(0);
  });

  it('a statement 3× slower on a busy host is a regression, named, whatever host each run met', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const rng = createRng(seed).next;
      const host = () => ({ share: 0.05 + 0.35 * rng(), waitMs: 2 + 20 * rng() });
      // pg_sleep(0.01) → pg_sleep(0.03): the whole distribution moves, its tail with it.
      const base = withCheck('pass', queryRun(rng, { medianMs: 10, sigma: 0.05, n: 1000, host: host() }));
      const cur = withCheck('pass', queryRun(rng, { medianMs: 30, sigma: 0.05, n: 400, host: host() }));
      const cmp = compareRuns(base, cur, opts);
      expect(cmp.regressions.map((r) => `${r.metric} ${r.stat}`), `seed ${seed}`).toContain('op_duration{query:q} p50');
      expect(hasRegression(cmp)).toBe(true);
    }
  });

  it('the control: a median shift its tail spread would hide is seen, and a host that slowed every operation is not a regression', () => {
    const rng = createRng(7).next;
    const quiet = { share: 0, waitMs: 0 };
    // 3 ms → 9 ms with a wide tail: p95 − p50 of both runs (~5 and ~15 ms) is more than the 6 ms shift.
    const base = queryRun(rng, { medianMs: 3, sigma: 0.6, n: 5000, host: quiet });
    const cur = queryRun(rng, { medianMs: 9, sigma: 0.6, n: 5000, host: quiet });
    const withControl = compareRuns(withCheck('pass', base), withCheck('pass', cur), opts);
    expect(withControl.regressions.map((r) => r.stat)).toContain('p50');
    const noControl = compareRuns(withCheck('pass', base, [], false), withCheck('pass', cur, [], false), opts);
    expect(noControl.regressions.map((r) => r.stat)).not.toContain('p50');
    // The host adds 5 ms to every operation, the no-op control included: the control's shift is the noise.
    const slowHost = compareRuns(withCheck('pass', queryRun(rng, { medianMs: 3, n: 3000, host: quiet })), withCheck('pass', queryRun(rng, { medianMs: 3, n: 3000, host: quiet, addMs: 5 })), opts);
    expect(slowHost.changes.find((c) => c.stat === 'p50' && c.metric === 'op_duration{query:q}')!.change).toBeGreaterThan(1);
    expect(slowHost.regressions.filter((r) => r.stat === 'p50')).toEqual([]);
    // The control itself is shown, never judged.
    expect(slowHost.changes.find((c) => c.metric.startsWith('op_noop_duration'))).toMatchObject({ judged: false, unjudged: 'the environment\'s control for op_duration' });
  });

  it('never judges a computed expectation, a server-wide total, a derived figure or a client figure; --all shows them', () => {
    const build = (v: number) => (r: MetricRegistry) => {
      const D = decls({
        hit_rate_expected: { meaning: 'share', better: 'higher', basis: 'expected' }, temp_bytes: { meaning: 'size', better: 'lower', basis: 'cumulative' },
        degradation: { meaning: 'state', better: 'lower', basis: 'derived' }, generator_saturated: { meaning: 'count', better: 'lower', basis: 'client' },
      });
      r.gauge(D.gauge('hit_rate_expected', 'ratio')).set(0.99 - v / 100);
      r.gauge(D.gauge('temp_bytes', 'bytes')).set(1e6 * (1 + 10 * v));
      r.gauge(D.gauge('degradation', 'ratio')).set(1.24 + 9 * v);
      r.counter(D.counter('generator_saturated', 's')).add(2 * v);
    };
    const cmp = compareRuns(withCheck('pass', build(0)), withCheck('pass', build(1)), opts);
    expect(cmp.regressions).toEqual([]);
    const ours = cmp.changes.filter((c) => c.checkId === 'x.check');
    expect(ours.map((c) => [c.metric, c.judged, c.unjudged])).toEqual([
      ['generator_saturated', false, 'client, not measured by the run'],
      ['hit_rate_expected', false, 'expected, not measured by the run'],
      ['temp_bytes', false, 'cumulative, not measured by the run'],
      ['degradation', false, 'derived, not measured by the run'],
    ]);
    expect(renderComparisonText(cmp, { color: false })).not.toContain('temp_bytes');
    expect(renderComparisonText(cmp, { color: false, all: true })).toMatch(/temp_bytes .*not judged: cumulative, not measured by the run/);
  });

  it('judges a check measured on a saturated client all the same, against the wider noise; a busy host alone is not a saturated client', () => {
    const rng = createRng(11).next;
    const base = withCheck('pass', queryRun(rng, { medianMs: 10, sigma: 0.05, n: 1000, host: { share: 0, waitMs: 0 } }));
    const cur = withCheck('pass', queryRun(rng, { medianMs: 30, sigma: 0.05, n: 1000, host: { share: 0.2, waitMs: 15 } }));
    const check = cur.checks.find((c) => c.id === 'x.check')!;
    check.info.measurement_saturation = { saturated: true, reasons: ['the host\'s 2 cores were 99% busy (limit 90%)'], client: [], host: ['the host\'s 2 cores were 99% busy (limit 90%)'], figures: {} };
    expect(checkSaturated(check)).toBe(false);
    check.info.measurement_saturation = { saturated: true, reasons: ['stackprobe\'s event loop was late by 80 ms at p99 (limit 50 ms)'], client: ['stackprobe\'s event loop was late by 80 ms at p99 (limit 50 ms)'], host: [], figures: {} };
    expect(checkSaturated(check)).toBe(true);
    const cmp = compareRuns(base, cur, opts);
    // Its control is set aside (a starved client samples it late): the tail spreads are the noise, and 3× is beyond them.
    expect(cmp.regressions.map((r) => r.metric)).toContain('op_duration{query:q}');
    expect(cmp.regressions.every((r) => r.saturated === true)).toBe(true);
    expect(comparisonHeadline(cmp)).toMatch(/1 check was measured while stackprobe's own client was saturated: its timing noise is that much wider\.$/);
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
