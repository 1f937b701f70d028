// What merge and the ETA do for a check comes from the check's own declarations (Check.merge, Check.typicalQuickMs),
// never from its id or its metric names: a plugin declaring the same gets the same treatment, and nothing declared
// means nothing is recomputed.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Check, MergeHooks } from '../../src/checks/types.js';
import { builtinChecks } from '../../src/checks/index.js';
import { mergeRunResults } from '../../src/merge/merge-results.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { serializeMetrics } from '../../src/metrics/serialize.js';
import type { CheckResult, RunResult } from '../../src/result/model.js';
import { estimateMs } from '../../src/run/estimate.js';
import { loadPlugins } from '../../src/run/plugins.js';
import { emptyRunResult } from '../fixtures/run-result.js';
import { D } from '../helpers/decl.js';

/** A plugin's check: jobs done and failed (counters), and a failure share it derives from them (a gauge). */
function pluginResult(done: number, failed: number): CheckResult {
  const r = new MetricRegistry();
  r.counter(D.counter('jobs_done')).add(done);
  r.counter(D.counter('jobs_failed')).add(failed);
  r.gauge(D.gauge('job_failure_share', 'ratio')).set(failed / (done + failed));
  return {
    id: 'acme.jobs', category: 'acme', title: 'jobs', status: 'pass', startedAt: '', durationMs: 1000, metrics: serializeMetrics(r, 1),
    timeSeries: [{ name: 'jobs_per_s', tags: {}, unit: '/s', points: [[1, done]] }],
    thresholds: [{ metric: 'job_failure_share', expression: 'value<0.2', level: 'fail', ok: true, actual: 0, unit: 'ratio', source: 'default' }],
    ratings: [], findings: [], info: {},
  };
}

const run = (c: CheckResult): RunResult => ({ ...emptyRunResult(), checks: [c] });

const pluginMerge: MergeHooks = {
  rederive(merged) {
    const count = (name: string) => merged.metrics.reduce((n, m) => n + (m.type === 'counter' && m.name === name ? m.count : 0), 0);
    const share = count('jobs_failed') / (count('jobs_done') + count('jobs_failed'));
    return {
      metrics: merged.metrics.map((m) => (m.type === 'gauge' && m.name === 'job_failure_share' ? { ...m, value: share, min: share, max: share } : m)),
      info: { ...merged.info, rederived: true }, findings: merged.findings,
    };
  },
  series: { jobs_per_s: 'sum' },
};

describe('merge hooks', () => {
  // One segment is under the 20 % limit (19 %), the other over (25 %): the share of the whole (20 %) is what decides.
  const segments = [run(pluginResult(81, 19)), run(pluginResult(15, 5))];

  it('recomputes a declared derived figure from the merged counts and judges the thresholds again on it', () => {
    const { result } = mergeRunResults(segments, [{ id: 'acme.jobs', merge: pluginMerge }]);
    const c = result.checks[0]!;
    expect(c.info.rederived).toBe(true);
    const share = c.metrics.find((m) => m.name === 'job_failure_share');
    expect(share).toMatchObject({ type: 'gauge', value: 24 / 120 });
    expect(c.thresholds[0]).toMatchObject({ ok: false, actual: 0.2 });
    expect(c.status).toBe('fail');
    expect(c.timeSeries).toEqual([{ name: 'jobs_per_s', tags: {}, unit: '/s', points: [[1, 96]] }]);
  });

  it('merges an undeclared check by its figures alone: nothing recomputed, series kept per segment', () => {
    const { result } = mergeRunResults(segments, builtinChecks);
    const c = result.checks[0]!;
    expect(c.info.rederived).toBeUndefined();
    // A merged gauge keeps the last value and the extremes: not the share of the whole, which only a hook can know.
    expect(c.metrics.find((m) => m.name === 'job_failure_share')).toMatchObject({ min: 0.19, max: 0.25 });
    expect(c.timeSeries.map((s) => s.tags.segment)).toEqual(['1/1', '1/1']);
  });

  it('judges the merged client memory by the limit the runs were judged by', () => {
    const limited = segments.map((r) => ({ ...r, summary: { ...r.summary, thresholds: r.summary.thresholds.map((t) => ({ ...t, expression: 'value<77.5' })) } }));
    const { result } = mergeRunResults(limited, []);
    expect(result.summary.thresholds).toMatchObject([{ metric: 'process_max_rss_mb', expression: 'value<77.5' }]);
  });

  it('leaves a skipped check alone', () => {
    const skipped = { ...pluginResult(1, 1), status: 'skip' as const, reason: 'not configured', metrics: [] };
    const { result } = mergeRunResults([run(skipped), run(skipped)], [{ id: 'acme.jobs', merge: pluginMerge }]);
    expect(result.checks[0]).toMatchObject({ status: 'skip', info: {} });
  });
});

describe('the ETA of a check', () => {
  const config = (mode: 'quick' | 'full' | 'load-test', checkMs = 300_000) => ({ mode, timeouts: { check_ms: checkMs } }) as Parameters<typeof estimateMs>[1];

  it('comes from the time the check declares, scaled by mode and capped by its budget', () => {
    const plugin: Pick<Check, 'typicalQuickMs'> = { typicalQuickMs: 2000 };
    expect(estimateMs(plugin, config('quick'))).toBe(2000);
    expect(estimateMs(plugin, config('full'))).toBe(8000);
    expect(estimateMs(plugin, config('full', 5000))).toBe(5000);
    expect(estimateMs({}, config('quick'))).toBe(100);
  });

  it('is declared by every built-in check that takes seconds, so a long check is not shown as a short one', () => {
    const sizing = builtinChecks.find((c) => c.id === 'pool.sizing')!;
    expect(estimateMs(sizing, config('quick'))).toBeGreaterThan(5000);
    expect(builtinChecks.filter((c) => c.category === 'load').every((c) => (c.typicalQuickMs ?? 0) >= 5000)).toBe(true);
  });

  it('is kept when a plugin declares it, and a plugin declaring nonsense is refused naming it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-eta-'));
    try {
      const body = (ms: unknown) => `export default { id: 'acme.slow', category: 'acme', title: 'slow', needs: [], typicalQuickMs: ${JSON.stringify(ms)}, async run() {} };\n`;
      await writeFile(path.join(dir, 'slow.mjs'), body(4000));
      await writeFile(path.join(dir, 'bad.mjs'), body(-1));
      const [slow] = await loadPlugins(['./slow.mjs'], dir);
      expect(estimateMs(slow!, config('quick'))).toBe(4000);
      await expect(loadPlugins(['./bad.mjs'], dir)).rejects.toThrow(/typicalQuickMs: expected milliseconds above 0/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
