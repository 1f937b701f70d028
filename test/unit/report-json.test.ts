// run.json round-trips through renderJson/parseRunJson, bad files are rejected with messages naming them, writeReports writes both files.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Trend } from '../../src/metrics/trend.js';
import type { TrendMetric } from '../../src/result/model.js';
import { renderFormat, writeReports } from '../../src/report/index.js';
import { parseRunJson, renderJson } from '../../src/report/json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { ConfigError } from '../../src/util/errors.js';
import { emptyRunResult, fullRunResult } from '../fixtures/run-result.js';

function reject(text: string): ConfigError {
  try {
    parseRunJson(text, 'results/run.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('parseRunJson accepted bad input');
}

describe('renderJson / parseRunJson', () => {
  it('round-trips a result, histograms included, so every format can be rebuilt from run.json', () => {
    const result = fullRunResult();
    const text = renderJson(result);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "schemaVersion": 2,\n');
    const back = parseRunJson(text, 'run.json');
    expect(back).toEqual(result);
    const lookup = back.checks[1]!.metrics.find((m): m is TrendMetric => m.type === 'trend' && m.tags.query === 'point_lookup')!;
    expect(Trend.decode(lookup.histogram).percentile(50)).toBeCloseTo(500, 0);
    expect(renderMarkdown(back)).toBe(renderMarkdown(result));
    expect(parseRunJson(renderJson(emptyRunResult()), 'run.json').checks).toEqual([]);
  });

  it('rejects what is not JSON', () => {
    expect(reject('{"schemaVersion": 1,').message).toMatch(/^results\/run\.json: not a stackprobe result: the file is not valid JSON \(.+\)$/);
    expect(reject('[1, 2]').message).toBe('results/run.json: not a valid stackprobe result: expected a JSON object, found an array');
  });

  it('rejects another schema version, naming the one found', () => {
    const other = { ...JSON.parse(renderJson(fullRunResult())), schemaVersion: 3 };
    expect(reject(JSON.stringify(other)).message).toBe('results/run.json: schemaVersion 3 is not supported; this version of stackprobe reads schemaVersion 1 and 2');
    expect(reject('{"hello": "world"}').message).toBe('results/run.json: not a valid stackprobe result: missing field "schemaVersion"');
  });

  it('rejects a result missing a field the reporters need', () => {
    const full = JSON.parse(renderJson(fullRunResult())) as Record<string, unknown>;
    const { summary: _summary, ...noSummary } = full;
    expect(reject(JSON.stringify(noSummary)).message).toBe('results/run.json: not a valid stackprobe result: summary: missing (expected an object)');
    const badChecks = { ...full, checks: 'none' };
    expect(reject(JSON.stringify(badChecks)).message).toBe('results/run.json: not a valid stackprobe result: checks: expected an array, found string');
    const badStatus = JSON.parse(renderJson(fullRunResult())) as { checks: Array<Record<string, unknown>> };
    badStatus.checks[2]!.status = 'ok';
    expect(reject(JSON.stringify(badStatus)).message).toBe('results/run.json: not a valid stackprobe result: checks[2].status: expected one of "pass", "warn", "fail", "untrusted", "skip"');
    const noTargets = JSON.parse(renderJson(fullRunResult())) as { environment: Record<string, unknown> };
    delete noTargets.environment.targets;
    expect(reject(JSON.stringify(noTargets)).message).toBe('results/run.json: not a valid stackprobe result: environment.targets: missing (expected an object)');
  });
});

describe('writeReports', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('creates the directory and writes run.json and report.md', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-report-'));
    const out = path.join(dir, 'nested', 'results');
    const result = fullRunResult();
    const written = await writeReports(result, out, ['json', 'md', 'json']);
    expect(written).toEqual([path.join(out, 'run.json'), path.join(out, 'report.md'), path.join(out, 'report-details.md')]);
    expect(await readFile(written[0]!, 'utf8')).toBe(renderFormat(result, 'json'));
    expect(await readFile(written[1]!, 'utf8')).toBe(renderFormat(result, 'md'));
    expect(parseRunJson(await readFile(written[0]!, 'utf8'), written[0]!)).toEqual(result);
  });
});
