// Threshold expressions: parsing (with errors that name the config path), evaluation against metrics, and status.
import { describe, expect, it } from 'vitest';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { serializeMetrics } from '../../src/metrics/serialize.js';
import { ConfigError } from '../../src/util/errors.js';
import { evaluateThresholds, statusFromOutcomes, type ThresholdRule } from '../../src/verdict/evaluate.js';
import { parseSelector, parseThreshold } from '../../src/verdict/threshold-parser.js';
import { rulesForCheck } from '../../src/verdict/rules.js';
import { validateConfig } from '../../src/config/load.js';
import { rate } from '../../src/verdict/bands.js';
import type { Check } from '../../src/checks/types.js';
import { D, decls } from '../helpers/decl.js';

function rule(selector: string, expr: string, level: 'fail' | 'warn' = 'fail'): ThresholdRule {
  return { selector: parseSelector(selector, 't'), expr: parseThreshold(expr, 't'), level, source: 'test' };
}

describe('parseThreshold', () => {
  it('parses the k6 forms', () => {
    expect(parseThreshold('p(95)<500', 'x')).toMatchObject({ aggregate: { kind: 'percentile', p: 95 }, op: '<', value: 500 });
    expect(parseThreshold(' p(99.9) <= 1.5 ', 'x')).toMatchObject({ aggregate: { kind: 'percentile', p: 99.9 }, op: '<=', value: 1.5 });
    expect(parseThreshold('avg<50', 'x').aggregate.kind).toBe('avg');
    expect(parseThreshold('rate>0.95', 'x')).toMatchObject({ aggregate: { kind: 'rate' }, op: '>', value: 0.95 });
    expect(parseThreshold('count==0', 'x')).toMatchObject({ aggregate: { kind: 'count' }, op: '==', value: 0 });
  });

  it('rejects nonsense with the config path in the message', () => {
    expect(() => parseThreshold('fast', 'config.checks["q"].thresholds.query_duration[0]')).toThrow(ConfigError);
    expect(() => parseThreshold('fast', 'config.checks["q"].thresholds.query_duration[0]')).toThrow(
      /^config\.checks\["q"\]\.thresholds\.query_duration\[0\]: expected a threshold like "p\(95\)<500".*got "fast"$/,
    );
    expect(() => parseThreshold('p(0)<5', 'p')).toThrow(/percentile must be in/);
    expect(() => parseSelector('query_duration{query}', 's')).toThrow(/key:value/);
  });

  it('parses tag filters in selectors', () => {
    expect(parseSelector('query_duration{query:point_lookup, kind:read}', 's')).toEqual({
      source: 'query_duration{query:point_lookup, kind:read}', name: 'query_duration', tags: { query: 'point_lookup', kind: 'read' },
    });
  });
});

describe('evaluateThresholds', () => {
  const reg = new MetricRegistry();
  for (let v = 1; v <= 100; v++) reg.trend(D.trend('query_duration'), { query: 'a' }).record(v);
  for (let v = 101; v <= 200; v++) reg.trend(D.trend('query_duration'), { query: 'b' }).record(v);
  for (let i = 0; i < 100; i++) reg.rate(D.rate('query_errors')).add(i < 2);
  reg.counter(D.counter('orphans')).add(0);
  const metrics = serializeMetrics(reg, 1);

  it('selects by tag, or merges every series of the name', () => {
    const [a, all] = evaluateThresholds(metrics, [rule('query_duration{query:a}', 'p(95)<100'), rule('query_duration', 'p(95)<100')]);
    expect(a).toMatchObject({ ok: true });
    expect(a!.actual).toBeCloseTo(95, 0);
    expect(all).toMatchObject({ ok: false });
    expect(all!.actual).toBeCloseTo(190, 0);
  });

  it('evaluates rates and counters', () => {
    const out = evaluateThresholds(metrics, [rule('query_errors', 'rate<0.01'), rule('orphans', 'count==0')]);
    expect(out.map((o) => [o.ok, o.actual])).toEqual([[false, 0.02], [true, 0]]);
  });

  it('gives a counter a per-second rate only when it was declared per-second', () => {
    const r = new MetricRegistry();
    const D = decls({ requests: { meaning: 'count', perSecond: true }, orphan_rows: { meaning: 'defects' } });
    r.counter(D.counter('requests')).add(500);
    r.counter(D.counter('orphan_rows')).add(500);
    const m = serializeMetrics(r, 2);
    const out = evaluateThresholds(m, [rule('requests', 'rate>100'), rule('orphan_rows', 'rate<1'), rule('orphan_rows', 'count==0')]);
    expect(out.map((o) => [o.ok, o.actual, o.unit])).toEqual([[true, 250, '/s'], [false, null, '/s'], [false, 500, 'count']]);
  });

  it('a threshold on a metric never recorded does not pass', () => {
    const [o] = evaluateThresholds(metrics, [rule('missing_metric', 'count==0')]);
    expect(o).toMatchObject({ ok: false, actual: null });
  });

  it('status comes from the worst unmet level', () => {
    const out = evaluateThresholds(metrics, [rule('query_duration{query:a}', 'p(95)<50', 'warn'), rule('orphans', 'count==0')]);
    expect(statusFromOutcomes(out)).toBe('warn');
    expect(statusFromOutcomes([...out, ...evaluateThresholds(metrics, [rule('query_errors', 'rate<0.01')])])).toBe('fail');
    expect(statusFromOutcomes([])).toBe('pass');
  });
});

describe('rulesForCheck', () => {
  const check: Check = {
    id: 'x.y', category: 'x', title: 'X', needs: [],
    thresholds: (c) => ({ query_duration: [`p(95)<${c.thresholds.query_time_ms}`], query_errors: ['rate<0.01'] }),
    run: async () => undefined,
  };

  it('derives defaults from config.thresholds and lets config.checks override a metric', () => {
    const config = validateConfig({ thresholds: { query_time_ms: 250 }, checks: { 'x.y': { thresholds: { query_errors: [{ fail: 'rate<0.1', warn: 'rate<0.001' }] } } } });
    const rules = rulesForCheck(check, config);
    expect(rules.map((r) => [r.selector.source, r.expr.source, r.level, r.source])).toEqual([
      ['query_duration', 'p(95)<250', 'fail', 'default'],
      ['query_errors', 'rate<0.1', 'fail', 'config.checks["x.y"].thresholds["query_errors"]'],
      ['query_errors', 'rate<0.001', 'warn', 'config.checks["x.y"].thresholds["query_errors"]'],
    ]);
  });

  it('names the config path of a bad override', () => {
    const config = validateConfig({ checks: { 'x.y': { thresholds: { query_duration: ['p95 < 100'] } } } });
    expect(() => rulesForCheck(check, config)).toThrow('config.checks["x.y"].thresholds["query_duration"][0]: expected a threshold');
  });
});

describe('rating bands', () => {
  it('rates response time (lower is better) and hit rate (higher is better) on the documented band edges', () => {
    expect([10, 50, 51, 100, 150, 201].map((v) => rate('response_time_ms', v))).toEqual(['excellent', 'excellent', 'good', 'good', 'acceptable', 'poor']);
    expect([0.95, 0.85, 0.75, 0.5].map((v) => rate('hit_rate', v))).toEqual(['excellent', 'good', 'acceptable', 'poor']);
    expect([2000, 600, 150, 50].map((v) => rate('throughput_rps', v))).toEqual(['excellent', 'good', 'acceptable', 'poor']);
  });
});
