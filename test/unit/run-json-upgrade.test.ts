// A schema 1 run.json reads as schema 2: the fields version 1 may lack are filled as its readers took them (a metric
// without a declared meaning or direction is not judged), and a damaged version 1 file is refused at the same JSON path.
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../src/result/model.js';
import { validateRunResult } from '../../src/result/validate.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- raw file data, edited as a user's file would be
const fixture = (name: string): Json => JSON.parse(gunzipSync(readFileSync(path.join(import.meta.dirname, '../fixtures/runs', name))).toString('utf8')) as Json;
const v1 = (): Json => fixture('quick-run.json.gz');

describe('reading a schema 1 run.json', () => {
  it('fills what version 1 may lack and keeps what it has', () => {
    const file = v1();
    expect(file.schemaVersion).toBe(1);
    const at = file.checks.findIndex((c: Json) => c.metrics.some((m: Json) => m.type === 'trend') && c.metrics.some((m: Json) => m.type !== 'trend'));
    const [trend, counter] = [file.checks[at].metrics.find((m: Json) => m.type === 'trend'), file.checks[at].metrics.find((m: Json) => m.type !== 'trend')];
    const declared = { meaning: counter.meaning, better: counter.better };
    delete trend.meaning;
    delete trend.better;
    delete file.summary.untrusted;
    delete file.environment.unopened;
    file.checks[0].status = 'untrusted';
    const read = validateRunResult(file);
    if (!read.ok) throw new Error(read.problem);
    const r = read.result;
    expect(r.schemaVersion).toBe(SCHEMA_VERSION);
    const upgraded = r.checks[at]!.metrics.find((m) => m.type === 'trend' && m.name === trend.name && JSON.stringify(m.tags) === JSON.stringify(trend.tags))!;
    // Undeclared in version 1: never judged by compare, never summed into the run's response time.
    expect({ meaning: upgraded.meaning, better: upgraded.better }).toEqual({ meaning: 'duration', better: 'none' });
    const kept = r.checks[at]!.metrics.find((m) => m.name === counter.name && JSON.stringify(m.tags) === JSON.stringify(counter.tags))!;
    expect({ meaning: kept.meaning, better: kept.better }).toEqual(declared);
    expect(r.summary.untrusted).toBe(1);
    expect(r.environment.unopened).toEqual({});
  });

  it('keeps a version 1 file\'s own untrusted count and unopened services', () => {
    const file = v1();
    file.summary.untrusted = 0;
    file.environment.unopened = { redis: 'connection refused' };
    const read = validateRunResult(file);
    if (!read.ok) throw new Error(read.problem);
    expect(read.result.environment.unopened).toEqual({ redis: 'connection refused' });
    expect(read.result.summary.untrusted).toBe(0);
  });

  it('refuses a damaged version 1 file naming the JSON path, as for the current version', () => {
    const file = v1();
    file.checks[2].metrics[0].type = 'histogram';
    expect(validateRunResult(file)).toEqual({ ok: false, problem: expect.stringMatching(/^checks\[2\]\.metrics\[0\]/) });
    const noSummary = v1();
    delete noSummary.summary;
    expect(validateRunResult(noSummary)).toEqual({ ok: false, problem: 'summary: missing (expected an object)' });
  });

  it('reads a current file unchanged and refuses versions it does not know', () => {
    const current = fixture('quick-run-v2.json.gz');
    expect(validateRunResult(current)).toEqual({ ok: true, result: current });
    // Version 1's leniency is not the current version's: a current file lacking a field is refused.
    const { unopened: _unopened, ...environment } = current.environment as Json;
    expect(validateRunResult({ ...current, environment })).toEqual({ ok: false, problem: 'environment.unopened: missing (expected an object)' });
    for (const version of [0, SCHEMA_VERSION + 1, '2']) {
      expect(validateRunResult({ ...current, schemaVersion: version })).toEqual({ ok: false, problem: expect.stringContaining('is not supported') });
    }
  });
});
