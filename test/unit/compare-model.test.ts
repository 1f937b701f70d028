// The comparison model: a run against itself has no regression; a shifted histogram is reported as exactly that metric.
import { describe, expect, it } from 'vitest';
import { compareRuns, isWorse, relativeChange } from '../../src/compare/compare.js';
import { formatMargin, parseMargin } from '../../src/compare/margin.js';
import { changeRows, comparisonHeadline, formatChange } from '../../src/compare/rows.js';
import { renderComparisonText } from '../../src/compare/text.js';
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
    expect(comparisonHeadline(cmp)).toMatch(/^No regression beyond 10% \(\d+ figures compared\)\.$/);
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
    expect(comparisonHeadline(cmp)).toContain('1 regression beyond 10%: queries.basic query_duration{query:insert} p95 +');
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
    rate.hits = 50;
    rate.value = 0.05;
    const cmp = compareRuns(base, worse, opts);
    expect(cmp.regressions.map((r) => `${r.metric} ${r.stat}`)).toEqual(['query_errors{query:point_lookup} rate']);
    const other = compareRuns(base, interruptedRunResult(), opts);
    expect(other.statusChanges).toContainEqual({ checkId: 'queries.basic', baseline: 'fail', current: 'skip' });
    expect(other.onlyInBaseline).toContain('queries.basic: query_duration{query:insert}');
  });

  it('renders a plain-text table without colour codes', () => {
    const base = fullRunResult();
    const text = renderComparisonText(compareRuns(base, slowerRun(base, 'queries.basic', 'query_duration{query:insert}', 50), opts), { color: false });
    expect(text).not.toContain('\u001b[');
    const line = text.split('\n').find((l) => l.includes('query_duration{query:insert}') && l.includes('p95'))!;
    expect(line).toMatch(/4 ms\s+54 ms\s+\+1,?\d+%\s+regression$/);
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
