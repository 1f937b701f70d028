// Recommendations: a finding's advice takes the severity of a missed threshold about its subject; a missed threshold is
// never restated as advice (every report's FAIL/WARN line already names it, with the figure and the limit).
import { describe, expect, it } from 'vitest';
import { recommendations } from '../../src/advice/recommend.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { serializeMetrics } from '../../src/metrics/serialize.js';
import type { CheckResult, Summary } from '../../src/result/model.js';
import { evaluateThresholds } from '../../src/verdict/evaluate.js';
import { parseSelector, parseThreshold } from '../../src/verdict/threshold-parser.js';
import { D } from '../helpers/decl.js';

const summary = { thresholds: [] } as unknown as Summary;

function check(record: (r: MetricRegistry) => void, rules: Array<[string, string, 'fail' | 'warn']>, findings: CheckResult['findings']): CheckResult {
  const reg = new MetricRegistry();
  record(reg);
  const metrics = serializeMetrics(reg, 1);
  const thresholds = evaluateThresholds(metrics, rules.map(([sel, expr, level]) => ({ selector: parseSelector(sel, 't'), expr: parseThreshold(expr, 't'), level, source: 'test' })));
  return { id: 'x.y', category: 'x', title: 'X', status: 'fail', startedAt: '', durationMs: 1, metrics, timeSeries: [], thresholds, ratings: [], findings, info: {} };
}

describe('recommendations', () => {
  it('matches a bare metric name to findings through its series tags', () => {
    const c = check((r) => r.counter(D.counter('problems'), { problem: 'no_maxmemory' }).add(1), [['problems', 'count==0', 'warn']], [
      { severity: 'warn', title: 'no maxmemory', subject: 'no_maxmemory', recommendation: 'Set maxmemory.' },
    ]);
    expect(recommendations([c], summary).map((r) => r.text)).toEqual(['Set maxmemory.']);
  });

  it('lifts advice to the severity of the failed threshold on its subject, and does not restate thresholds', () => {
    const c = check(
      (r) => {
        for (let i = 0; i < 10; i++) r.trend(D.trend('query_duration'), { query: 'slow' }).record(300);
        r.rate(D.rate('query_errors')).add(true);
      },
      [['query_duration{query:slow}', 'p(95)<100', 'fail'], ['query_errors', 'rate<0.01', 'fail']],
      [{ severity: 'info', title: 'seq scan', subject: 'slow', recommendation: 'CREATE INDEX ON t (c)' }],
    );
    expect(recommendations([c], summary)).toEqual([
      { checkId: 'x.y', severity: 'error', text: 'CREATE INDEX ON t (c)', about: 'slow' },
    ]);
  });

  it('keeps what the advice is about and which service: the subject its text does not name, the check\'s target', () => {
    const withSubject = { ...check(() => undefined, [], [
      { severity: 'info', title: 'data checksums are off', subject: 'data_checksums', recommendation: 'Enable them with pg_checksums --enable.' },
      { severity: 'warn', title: 'no maxmemory', subject: 'maxmemory', recommendation: 'Set maxmemory.' },
    ]), id: 'integrity.corruption' };
    expect(recommendations([withSubject], summary)).toEqual([
      { checkId: 'integrity.corruption', severity: 'warn', text: 'Set maxmemory.', target: 'pg' },
      { checkId: 'integrity.corruption', severity: 'info', text: 'Enable them with pg_checksums --enable.', target: 'pg', about: 'data_checksums' },
    ]);
  });
});
