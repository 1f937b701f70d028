// `stackprobe compare`, `history` and `run --baseline` through the built CLI: exit 0 for a run against itself, exit 1 naming
// exactly the slowed metric, exit 2 with a clear message for a file that is not JSON, truncated, or of another schema.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderJson } from '../../src/report/json.js';
import { fullRunResult } from '../fixtures/run-result.js';
import { runCli } from '../helpers/cli.js';
import { slowerRun } from '../helpers/slower-run.js';

let dir: string;
let base: string;
let slow: string;
let broken: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-compare-'));
  const result = fullRunResult();
  base = path.join(dir, 'base.json');
  slow = path.join(dir, 'slow.json');
  // integrity.fk passes in the baseline; `broken` is the same run except that it fails (its figures untouched).
  result.checks.find((c) => c.id === 'integrity.fk')!.status = 'pass';
  await writeFile(base, renderJson(result));
  await writeFile(slow, renderJson(slowerRun(result, 'queries.basic', 'query_duration{query:insert}', 50)));
  const failing = structuredClone(result);
  failing.checks.find((c) => c.id === 'integrity.fk')!.status = 'fail';
  broken = path.join(dir, 'broken.json');
  await writeFile(broken, renderJson(failing));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('stackprobe compare', () => {
  it('a run against itself: no regression, exit 0', async () => {
    const r = await runCli(['compare', base, base]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/No regression: no check newly fails, and none of \d+ judged figures got worse beyond the noise of both runs and 10%\./);
    expect(r.stdout).not.toContain('regression\n');
    // Quiet: a header line, one sentence that nothing moved, the closing line.
    expect(r.stdout.trim().split('\n').length).toBeLessThanOrEqual(6);
  });

  it('a run with a slower query: exactly that metric, exit 1', async () => {
    const r = await runCli(['compare', base, slow, '--max-regression', '10%']);
    expect(r.code).toBe(1);
    const flagged = r.stdout.split('\n').filter((l) => /\sregression$/.test(l));
    expect(flagged).toHaveLength(1);
    expect(flagged[0]).toMatch(/^queries\.basic\s+query_duration\{query:insert\}\s+p50\s+0\.5 ms\s+50\.5 ms/);
    expect(r.stdout).toContain('1 regression (a check newly failing, or worse beyond the noise of both runs and 10%): queries.basic query_duration{query:insert} p50 0.5 ms → 50.5 ms');
    const json = await runCli(['compare', base, slow, '--json']);
    expect(json.code).toBe(1);
    const cmp = JSON.parse(json.stdout) as { regressions: Array<{ metric: string }> };
    expect(cmp.regressions.map((x) => x.metric)).toEqual(['query_duration{query:insert}']);
    // A floor above the 50 ms shift lets it pass.
    expect((await runCli(['compare', base, slow, '--min-delta-ms', '60'])).code).toBe(0);
  });

  it('an integrity check from pass to fail: exit 1, naming it', async () => {
    const r = await runCli(['compare', base, broken]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/integrity\.fk: pass → fail {2}regression/);
    expect(r.stdout).toContain('1 regression (a check newly failing, or worse beyond the noise of both runs and 10%): integrity.fk pass → fail.');
    const json = JSON.parse((await runCli(['compare', base, broken, '--json'])).stdout) as { statusRegressions: unknown[] };
    expect(json.statusRegressions).toEqual([{ checkId: 'integrity.fk', baseline: 'pass', current: 'fail', worsened: true }]);
    // The other way round is an improvement: exit 0.
    expect((await runCli(['compare', broken, base])).code).toBe(0);
  });

  it('bad input: not JSON, truncated, unknown schemaVersion, missing file, bad margin -> a clear message, exit 2', async () => {
    const text = await readFile(base, 'utf8');
    const cases: Array<[string, string, RegExp]> = [
      ['not-json.json', 'hello, I am not JSON', /not-json\.json: not a stackprobe result: the file is not valid JSON/],
      ['truncated.json', text.slice(0, Math.floor(text.length / 2)), /truncated\.json: not a stackprobe result: the file is not valid JSON/],
      ['v99.json', text.replace('"schemaVersion": 2', '"schemaVersion": 99'), /v99\.json: schemaVersion 99 is not supported; this version of stackprobe reads schemaVersion 1 and 2/],
    ];
    for (const [name, content, message] of cases) {
      const file = path.join(dir, name);
      await writeFile(file, content);
      const r = await runCli(['compare', base, file]);
      expect(r.code, name).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    }
    const missing = await runCli(['compare', path.join(dir, 'nope.json'), base]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.json: cannot read it (no such file)');
    const margin = await runCli(['compare', base, base, '--max-regression', 'lots']);
    expect(margin.code).toBe(2);
    expect(margin.stderr).toContain('--max-regression: expected a margin like 10% or 0.1, got "lots"');
  });

  it('run --baseline with a bad file stops before measuring anything, exit 2', async () => {
    const bad = path.join(dir, 'not-json.json');
    const r = await runCli(['run', '--baseline', bad, '--output', path.join(dir, 'out')], { env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not-json.json: not a stackprobe result');
  });
});

describe('stackprobe history and report', () => {
  it('lists the runs of a directory oldest first and skips files that are not results', async () => {
    const hist = path.join(dir, 'history');
    const older = fullRunResult();
    older.startedAt = '2025-02-01T10:00:00.000Z';
    await mkdir(path.join(hist, '2025-03-01'), { recursive: true });
    await writeFile(path.join(hist, '2025-03-01', 'run.json'), renderJson(fullRunResult()));
    await writeFile(path.join(hist, 'older.json'), renderJson(older));
    await writeFile(path.join(hist, 'config.json'), '{"thresholds":{}}');
    const r = await runCli(['history', hist], { env: { COLUMNS: '160' } });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    // p95 per category that timed operations (each operation once), never one p95 over everything; the target once.
    expect(lines[0]).toMatch(/^started\s+result\s+mode\s+duration\s+p\/w\/f\/s\s+success\s+pool\s+queries\s+file$/);
    expect(lines.slice(1, 3).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['2025-02-01 10:00:00', '2025-03-01 10:00:00']);
    expect(lines[2]).toMatch(/FAIL\s+quick\s+12\.3 s\s+1\/1\/2\/2\s+50\.0%/);
    expect(lines.slice(3)).toEqual(['latency columns: p95 of each category\'s operations', expect.stringMatching(/^target .+ \(every run\)$/)]);
    // In 80 columns (a terminal's width, or COLUMNS off one, else 80): the least needed columns are left out, and named.
    for (const env of [{ COLUMNS: '80' }, { COLUMNS: '' }]) {
      const narrow = await runCli(['history', hist], { env });
      for (const l of narrow.stdout.trimEnd().split('\n')) expect(l.length, l).toBeLessThanOrEqual(80);
      expect(narrow.stdout).toMatch(/^started\s+result\s/);
      expect(narrow.stdout.replace(/\s+/g, ' ')).toMatch(/left out for 80 columns: file[^()]* \(--format md or json has them\)/);
    }
    expect(r.stderr).toContain('skipped');
    expect(r.stderr).toContain('config.json');
    const empty = path.join(dir, 'empty-history');
    await mkdir(empty);
    const none = await runCli(['history', empty]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no stackprobe results found');
  });

  it('history accepts files as well as directories; a file given that is not a result is an error', async () => {
    const r = await runCli(['history', base, slow]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter((l) => /^\d{4}-\d\d-\d\d /.test(l))).toHaveLength(2);
    const bad = path.join(dir, 'not-a-run.json');
    await writeFile(bad, '{"thresholds":{}}');
    expect((await runCli(['history', base, bad])).code).toBe(2);
  });

  it('compare warns when the runs tested different servers and shows p95 per category; credentials never shown', async () => {
    const other = fullRunResult();
    other.environment.targets.pg = { kind: 'postgresql', url: 'postgres://app:***@db.prod:5432/ledger', private: false, version: '15.8' };
    const file = path.join(dir, 'other-target.json');
    await writeFile(file, renderJson(other));
    const r = await runCli(['compare', base, file, '--all']);
    expect(r.stdout).toMatch(/Warning: the runs tested different pg targets: 127\.0\.0\.1:54329\/stackprobe \(private\) → db\.prod:5432\/ledger/);
    expect(r.stdout).not.toContain('app:');
    expect(r.stdout).toMatch(/p95 latency by category \(each operation once\)\n\s+pool\s+[\d.,]+ ms →\s+[\d.,]+ ms\s+0%/);
    expect(r.stdout).toMatch(/\n\s+queries\s+[\d.,]+ ms →/);
    const same = await runCli(['compare', base, slow]);
    expect(same.stdout).not.toContain('different');
  });

  it('stackprobe report rebuilds every format by default, beside run.json or into --output', async () => {
    const runDir = path.join(dir, 'one-run');
    await mkdir(runDir);
    await writeFile(path.join(runDir, 'run.json'), await readFile(base, 'utf8'));
    const r = await runCli(['report', runDir]);
    expect(r.code).toBe(0);
    for (const f of ['report.md', 'report-details.md', 'report.html', 'junit.xml', 'stackprobe.prom']) expect(r.stdout).toContain(f);
    // Its own source is never rewritten.
    expect(await readFile(path.join(runDir, 'run.json'), 'utf8')).toBe(await readFile(base, 'utf8'));
  });

  it('stackprobe report rebuilds html, junit and prom from run.json', async () => {
    const out = path.join(dir, 'rebuilt');
    const r = await runCli(['report', base, '--format', 'html,junit,prom', '--output', out]);
    expect(r.code).toBe(0);
    expect(await readFile(path.join(out, 'report.html'), 'utf8')).toContain('<svg class="chart"');
    expect(await readFile(path.join(out, 'junit.xml'), 'utf8')).toContain('<testsuites name="stackprobe" tests="6"');
    expect(await readFile(path.join(out, 'stackprobe.prom'), 'utf8')).toContain('stackprobe_checks{status="fail"} 2');
  });
});
