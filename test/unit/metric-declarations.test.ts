// Metric declarations: units convert to base units in one place, a declaration is the only way to record, thresholds are
// validated against what each check declares, and every declared metric of every check exports a name promtool accepts.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { builtinChecks } from '../../src/checks/index.js';
import { validateConfig } from '../../src/config/load.js';
import { loadMerge } from '../../src/checks/load/merge.js';
import { operationMetrics } from '../../src/exec/recorder.js';
import { metric, seriesMerges } from '../../src/metrics/declare.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { serializeMetrics } from '../../src/metrics/serialize.js';
import { baseName, unit, unitLabel, unitOfLabel, type Unit } from '../../src/metrics/unit.js';
import { renderProm } from '../../src/report/prom.js';
import { declaredMetrics, rulesForCheck } from '../../src/verdict/rules.js';
import { ConfigError } from '../../src/util/errors.js';
import { fullRunResult } from '../fixtures/run-result.js';

describe('units', () => {
  it('show the noun they were declared with and read back from their label', () => {
    const cases: Array<[Unit, string]> = [
      [unit.ms, 'ms'], [unit.seconds, 's'], [unit.hours, 'h'], [unit.megabytes, 'MB'], [unit.bytes, 'bytes'],
      [unit.megabytesPerSecond, 'MB/s'], [unit.ratio, 'ratio'], [unit.percent, '%'], [unit.points, 'pp'],
      [unit.count('connections'), 'connections'], [unit.count(), 'count'], [unit.perSecond('tasks'), 'tasks/s'],
      [unit.perSecond(), '/s'], [unit.number, ''],
    ];
    for (const [u, label] of cases) {
      expect(unitLabel(u)).toBe(label);
      expect(unitOfLabel(label)).toEqual(u);
    }
  });

  it('convert to Prometheus base units, replacing only the unit the name spells for itself', () => {
    expect(baseName('pgbouncer_max_wait_ms', unit.ms)).toEqual({ name: 'pgbouncer_max_wait_seconds', factor: 0.001 });
    expect(baseName('latest_backup_age_h', unit.hours)).toEqual({ name: 'latest_backup_age_seconds', factor: 3600 });
    expect(baseName('restore_s', unit.seconds)).toEqual({ name: 'restore_seconds', factor: 1 });
    expect(baseName('process_rss_mb', unit.megabytes)).toEqual({ name: 'process_rss_bytes', factor: 1024 ** 2 });
    expect(baseName('host_disk_free_gb', unit.gigabytes)).toEqual({ name: 'host_disk_free_bytes', factor: 1024 ** 3 });
    expect(baseName('dump_throughput_mb_s', unit.megabytesPerSecond)).toEqual({ name: 'dump_throughput_bytes_per_second', factor: 1024 ** 2 });
    expect(baseName('host_cpu_percent', unit.percent)).toEqual({ name: 'host_cpu_ratio', factor: 0.01 });
    expect(baseName('replay_share_max_diff_pp', unit.points)).toEqual({ name: 'replay_share_max_diff_ratio', factor: 0.01 });
    expect(baseName('pg_commits_per_s', unit.perSecond())).toEqual({ name: 'pg_commits_per_second', factor: 1 });
    expect(baseName('orphan_rows', unit.count('rows'))).toEqual({ name: 'orphan_rows', factor: 1 });
    // A name ending like another unit than its own keeps it: `_s` is not a spelling of milliseconds.
    expect(baseName('wait_s', unit.ms).name).toBe('wait_s_seconds');
  });
});

describe('declarations', () => {
  const rows = metric.counter({ name: 'orphan_rows', meaning: 'defects', unit: unit.count('rows') });
  const wait = metric.trend({ name: 'wait_duration', meaning: 'duration', unit: unit.ms });

  it('are the only way to record, by type', () => {
    const reg = new MetricRegistry();
    // @ts-expect-error a counter's declaration is no trend's
    expect(() => reg.trend(rows)).not.toThrow();
    reg.counter(rows, { table: 'a' }).add(2);
    reg.trend(wait).record(5);
    const out = serializeMetrics(reg, 1);
    expect(out.find((m) => m.name === 'orphan_rows' && m.type === 'counter')).toMatchObject({ unit: 'rows', meaning: 'defects', better: 'lower', count: 2 });
    expect(out.find((m) => m.name === 'wait_duration')).toMatchObject({ unit: 'ms', meaning: 'duration', better: 'lower' });
  });

  it('refuse a bare name at run time too, saying what to do (a JavaScript plugin has no type check)', () => {
    const reg = new MetricRegistry();
    // @ts-expect-error a name is no declaration
    expect(() => reg.trend('ping_duration')).toThrow(/recorded through its declaration, not by its name \('ping_duration'\).*metric\.trend/);
    // @ts-expect-error nor is nothing
    expect(() => reg.gauge(undefined)).toThrow(/recorded through its declaration/);
  });

  it('of one name must agree', () => {
    const reg = new MetricRegistry();
    reg.counter(rows).add();
    expect(() => reg.counter(metric.counter({ name: 'orphan_rows', meaning: 'count', unit: unit.count('rows') }))).toThrow(/declared twice/);
    // The operation a figure belongs to and a series' merge rule are part of what it means, too.
    const lookup = metric.trend({ name: 'lookup_duration', meaning: 'latency', unit: unit.ms, operation: { name: 'lookup', role: 'duration' } });
    reg.trend(lookup).record(1);
    expect(() => reg.trend(metric.trend({ name: 'lookup_duration', meaning: 'latency', unit: unit.ms }))).toThrow(/declared twice/);
    reg.declare(metric.series({ name: 'lookups_per_s', unit: unit.perSecond('lookups'), merge: 'sum' }));
    expect(() => reg.declare(metric.series({ name: 'lookups_per_s', unit: unit.perSecond('lookups') }))).toThrow(/declared twice/);
    expect(() => metric.gauge({ name: 'Bad-Name', meaning: 'state', unit: unit.number })).toThrow(/snake case/);
  });
});

describe('thresholds against declarations', () => {
  const basic = builtinChecks.find((c) => c.id === 'queries.basic')!;
  const withThresholds = (thresholds: Record<string, unknown>) => validateConfig({ checks: { 'queries.basic': { thresholds } } });
  const message = (f: () => unknown): string => {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('no ConfigError');
  };

  it('name the closest declared metric for a misspelt one', () => {
    expect(message(() => rulesForCheck(basic, withThresholds({ query_durations: ['p(95)<100'] })))).toBe(
      'config.checks["queries.basic"].thresholds["query_durations"]: queries.basic records no metric "query_durations"; did you mean "query_duration"?',
    );
  });

  it('refuse an aggregate the type has not, and accept the ones it has', () => {
    expect(message(() => rulesForCheck(basic, withThresholds({ query_errors: ['p(95)<1'] })))).toMatch(/query_errors is a rate, which has no p\(95\); use rate, value or count$/);
    expect(message(() => rulesForCheck(basic, withThresholds({ query_throughput: ['p(99)>10'] })))).toMatch(/query_throughput is a gauge, which has no p\(99\); use value, min or max$/);
    const rules = rulesForCheck(basic, withThresholds({ 'query_duration{query:point_lookup}': ['p(95)<100'], query_errors: ['rate<0.01'], query_error_kinds: ['rate<1'] }));
    expect(rules.map((r) => `${r.selector.source} ${r.expr.source}`)).toEqual(expect.arrayContaining(['query_duration{query:point_lookup} p(95)<100', 'query_errors rate<0.01', 'query_error_kinds rate<1']));
  });

  it('every built-in check declares what its default thresholds judge', () => {
    const config = validateConfig({});
    const undeclared = builtinChecks.filter((c) => declaredMetrics(c, config) === undefined).map((c) => c.id);
    for (const check of builtinChecks) expect(() => rulesForCheck(check, config), check.id).not.toThrow();
    expect(undeclared).toEqual([]);
  });

  it('recording an undeclared metric, or one as another type, does not compile', () => {
    const reg = new MetricRegistry();
    const count = metric.counter({ name: 'things', meaning: 'count', unit: unit.count('things') });
    // Never called: the compiler is the judge (tsc fails on an @ts-expect-error that expects nothing).
    const wrong = () => {
      // @ts-expect-error a bare name is not a declaration
      reg.trend('load_request_duration');
      // @ts-expect-error a counter's declaration is not a trend's
      reg.trend(count);
      // @ts-expect-error no unit argument: the unit is the declaration's
      reg.counter(count, {}, 'ms');
      // @ts-expect-error meanings are declared with the metric, not described after
      reg.describe('things', { meaning: 'count' });
    };
    expect(typeof wrong).toBe('function');
    expect(reg.counter(count).count).toBe(0);
  });

  it('a family declares how its series merge across segments: counts per second add up, a percentile stays apart', () => {
    const family = operationMetrics('op', { meaning: 'latency', description: 'one operation', noun: 'operations' });
    expect(seriesMerges([family.throughputSeries, family.p95Series, family.errorSeries])).toEqual({ op_throughput: 'sum', op_errors_per_s: 'sum' });
    expect(loadMerge.series).toEqual({ load_throughput: 'sum', load_errors_per_s: 'sum', load_stage_level: 'same' });
  });
});

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
describe.skipIf(promtool.error !== undefined)('Prometheus names', () => {
  it('of every metric every check declares pass `promtool check metrics` with no list of exceptions', () => {
    const config = validateConfig({});
    const run = fullRunResult();
    for (const check of builtinChecks) {
      const decls = declaredMetrics(check, config) ?? [];
      if (decls.length === 0) continue;
      const reg = new MetricRegistry();
      for (const d of decls) {
        if (d.type === 'trend') reg.trend(d, { t: 'a' }).record(1);
        else if (d.type === 'rate') reg.rate(d, { t: 'a' }).add(true);
        else if (d.type === 'counter') reg.counter(d, { t: 'a' }).add(1);
        else if (d.type === 'gauge') reg.gauge(d, { t: 'a' }).set(1);
      }
      run.checks.push({ id: check.id, category: check.category, title: check.title, status: 'pass', startedAt: run.startedAt, durationMs: 1000, metrics: serializeMetrics(reg, 1), timeSeries: [], thresholds: [], ratings: [], findings: [], info: {} });
    }
    const res = spawnSync('promtool', ['check', 'metrics'], { input: renderProm(run), encoding: 'utf8' });
    expect(`${res.stdout}${res.stderr}`).toBe('');
    expect(res.status).toBe(0);
  });
});
