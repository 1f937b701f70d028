// merge and segments: the largest start skew from each segment's offset and clock error, missing segments named,
// results of other runs refused, the skew limit refusing a merge unless allowed; the write key ranges of segments.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeCommand } from '../../src/cli/merge-command.js';
import { builtinChecks } from '../../src/checks/index.js';
import { mergeRunResults } from '../../src/merge/merge-results.js';
import type { CheckResult, RunResult } from '../../src/result/model.js';
import { ConfigError } from '../../src/util/errors.js';
import { segmentAccounts } from '../../src/workload/plan.js';
import { runIdOf } from '../../src/workload/run-id.js';
import { validateConfig } from '../../src/config/load.js';
import { fullRunResult } from '../fixtures/run-result.js';

const START = '2026-01-01T00:00:00.000Z';

function segmentResult(segment: string, offsetMs: number, clockErrorMs = 0.2, more: { runId?: string; startAt?: string } = {}): RunResult {
  const r = fullRunResult();
  const load: CheckResult = {
    ...r.checks[0]!, id: 'load.mixed', category: 'load', title: 'Mixed load', status: 'pass', metrics: [], thresholds: [], timeSeries: [],
    findings: [{ severity: 'info', subject: 'segment', title: `segment ${segment} of run r: a partial result, judged on its share of the load` }],
    info: { distribution: { segment, workers: 1, run_id: more.runId ?? 'r', partial: true, start: { run_id: more.runId ?? 'r', start_at: more.startAt ?? START, offset_ms: offsetMs, clock_error_ms: clockErrorMs, waited_ms: 10 } } },
  };
  // The load check alone: the fixture's other checks carry a planted failure, and these tests are about segments.
  return { ...r, checks: [load] };
}

describe('merging segments', () => {
  it('reports the largest start skew: the widest gap any two segments may have had, clock error included', () => {
    const { segments } = mergeRunResults([segmentResult('1/2', 0.1), segmentResult('2/2', 5, 0.1)], builtinChecks);
    expect(segments.maxSkewMs).toBeCloseTo(5.1 - -0.1, 5);
    expect(segments.missing).toEqual([]);
    expect(segments.runId).toBe('r');
  });

  it('names the missing segments, and the merged load check says it is partial', () => {
    const { segments, warnings, result } = mergeRunResults([segmentResult('1/3', 0), segmentResult('3/3', 0)], builtinChecks);
    expect(segments.missing).toEqual(['2/3']);
    expect(warnings.join('\n')).toContain('segment 2/3 missing (given: 1/3, 3/3)');
    const load = result.checks.find((c) => c.id === 'load.mixed')!;
    expect(load.info.distribution).toMatchObject({ segments: ['1/3', '3/3'], count: 3, partial: true, missing: ['2/3'] });
    expect(load.findings.map((f) => f.title)).toEqual([expect.stringContaining('segment 2/3 of 3 missing from the merge')]);
  });

  it('a complete merge speaks for the whole run: not partial, no segment notes', () => {
    const { result } = mergeRunResults([segmentResult('1/2', 0), segmentResult('2/2', 0)], builtinChecks);
    const load = result.checks.find((c) => c.id === 'load.mixed')!;
    expect(load.info.distribution).toMatchObject({ partial: false, max_start_skew_ms: 0.4 });
    expect(load.findings).toEqual([]);
  });

  it('refuses results of different runs or start instants (bad usage)', () => {
    expect(() => mergeRunResults([segmentResult('1/2', 0), segmentResult('2/2', 0, 0.2, { runId: 'other' })], builtinChecks)).toThrow(ConfigError);
    expect(() => mergeRunResults([segmentResult('1/2', 0), segmentResult('2/2', 0, 0.2, { startAt: '2026-01-01T00:01:00.000Z' })], builtinChecks)).toThrow(/different agreed instants/);
  });
});

describe('stackprobe merge exits', () => {
  let dir: string;
  beforeAll(async () => void (dir = await mkdtemp(path.join(tmpdir(), 'stackprobe-merge-'))));
  afterAll(async () => rm(dir, { recursive: true, force: true }));
  const files = async (name: string, results: RunResult[]) =>
    Promise.all(results.map(async (r, i) => {
      const f = path.join(dir, `${name}-${i}.json`);
      await writeFile(f, JSON.stringify(r));
      return f;
    }));

  it('refuses beyond --max-skew-ms (exit 1, nothing written); --allow-skew merges', async () => {
    const inputs = await files('skew', [segmentResult('1/2', 0), segmentResult('2/2', 150)]);
    const out = path.join(dir, 'skew-out');
    expect(await mergeCommand(inputs, { output: out, format: 'json' })).toBe(1);
    expect(existsSync(path.join(out, 'run.json'))).toBe(false);
    expect(await mergeCommand(inputs, { output: out, format: 'json', maxSkewMs: '200' })).toBe(0);
    expect(await mergeCommand(inputs, { output: out, format: 'json', allowSkew: true })).toBe(0);
    expect(existsSync(path.join(out, 'run.json'))).toBe(true);
    await expect(mergeCommand(inputs, { output: out, format: 'json', maxSkewMs: 'soon' })).rejects.toThrow(ConfigError);
  });

  it('exits 1 when a segment is missing, by the verdict with --allow-missing', async () => {
    const inputs = await files('missing', [segmentResult('1/3', 0), segmentResult('2/3', 0)]);
    expect(await mergeCommand(inputs, { output: path.join(dir, 'm1'), format: 'json' })).toBe(1);
    expect(await mergeCommand(inputs, { output: path.join(dir, 'm2'), format: 'json', allowMissing: true })).toBe(0);
  });
});

describe('segment key ranges and run ids', () => {
  it('gives each segment a disjoint slice of the accounts, together all of them', () => {
    for (const [accounts, n] of [[10, 4], [1000, 3], [7, 7], [100, 1]] as const) {
      const slices = Array.from({ length: n }, (_, i) => segmentAccounts(accounts, i + 1, n));
      const ids = slices.flatMap((s) => Array.from({ length: s.to - s.from + 1 }, (_, k) => s.from + k));
      expect(ids).toEqual(Array.from({ length: accounts }, (_, k) => k + 1));
    }
    // Fewer accounts than segments: a segment never gets an empty range.
    expect(segmentAccounts(2, 2, 4)).toEqual({ from: 1, to: 1 });
  });

  it('derives one run id for the segments of one config, another for another config; a given one wins', () => {
    const cfg = (segment: string, rate = 10, extra = {}) => validateConfig({ load: { segment, stages: [{ rate, duration: '2s' }], ...extra }, output: `out-${segment}` });
    expect(runIdOf(cfg('1/4'))).toBe(runIdOf(cfg('3/4')));
    expect(runIdOf(cfg('1/4'))).not.toBe(runIdOf(cfg('1/4', 20)));
    expect(runIdOf(cfg('1/4', 10, { run_id: 'job-7' }))).toBe('job-7');
    expect(runIdOf(cfg('1/1'))).not.toBe(runIdOf(cfg('1/1')));
  });
});
