// Input validated at the edge, through the built CLI: bad numbers, shares, unknown check ids, `--only ''`, an unusable
// --output and crafted run.json files each exit 2 with one line naming the place, before any server is touched.
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderJson } from '../../src/report/json.js';
import { fullRunResult } from '../fixtures/run-result.js';
import { CLI, runCli, type CliRun } from '../helpers/cli.js';

let dir: string;
/** Nothing listens here: a run that got past validation fails its checks instead of exiting 2. */
const CLOSED = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-cli-input-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function oneLineExit2(r: CliRun, ...expected: string[]): void {
  expect(r.code, r.stderr).toBe(2);
  for (const e of expected) expect(r.stderr).toContain(e);
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(r.stderr).not.toContain('unexpected error');
}

async function configFile(name: string, content: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(content));
  return file;
}

describe('numbers and shares', () => {
  it.each([
    [{ timeouts: { check_ms: 3_000_000_000 } }, 'config.timeouts.check_ms: expected at most 2147483647 ms'],
    [{ workload: { scale: 1e6 } }, 'config.workload.scale: expected at most 1000'],
    [{ queries: { concurrency: 3000 } }, 'config.queries.concurrency: expected at most 1000 (one connection each), got 3000'],
    [{ thresholds: { query_error_rate: 1 } }, 'config.thresholds.query_error_rate: expected 0.01 or "1%" for one percent'],
    [{ thresholds: { cache_hit_rate: 80 } }, 'config.thresholds.cache_hit_rate: expected 0.8 or "80%" (80 alone is ambiguous for a share), got 80'],
  ])('%j exits 2 naming the path', async (content, message) => {
    const file = await configFile('numbers.json', content);
    oneLineExit2(await runCli(['run', '--config', file, '--output', dir], { env: CLOSED }), `stackprobe: ${message}`);
  });
});

describe('check ids', () => {
  it('a typo in a checks key exits 2 with the nearest id (it used to be ignored and the check ran)', async () => {
    const file = await configFile('typo.json', { checks: { 'backup.round_trip': { enabled: false } } });
    oneLineExit2(await runCli(['run', '--config', file, '--output', dir], { env: CLOSED }), 'config.checks["backup.round_trip"]: unknown check id "backup.round_trip"; did you mean "backup.roundtrip"?');
    oneLineExit2(await runCli(['config', 'validate', file]), 'did you mean "backup.roundtrip"?');
  });

  it('unknown names in only/skip, from the file or from flags, say where they came from', async () => {
    oneLineExit2(await runCli(['run', '--only', 'querys', '--output', dir], { env: CLOSED }), '--only: unknown category or check id "querys"; did you mean "queries"?');
    oneLineExit2(await runCli(['run', '--skip', 'cache,pool.acquir', '--output', dir], { env: CLOSED }), '--skip: unknown category or check id "pool.acquir"; did you mean "pool.acquire"?');
    const file = await configFile('only.json', { only: ['integrity', 'basic'], skip: ['zzzzzz'] });
    oneLineExit2(
      await runCli(['run', '--config', file, '--output', dir], { env: CLOSED }),
      'config.only[1]: unknown category or check id "basic"; did you mean "queries.basic"?',
      'config.skip[0]: unknown category or check id "zzzzzz" (`stackprobe checks` lists them)',
    );
  });

  it("--only '' exits 2 instead of running nothing and passing", async () => {
    oneLineExit2(await runCli(['run', '--only', '', '--output', dir], { env: CLOSED }), '--only: expected a comma-separated list of categories or check ids, got ""');
    oneLineExit2(await runCli(['run', '--only', ' , ', '--output', dir], { env: CLOSED }), '--only: expected a comma-separated list');
  });

  it('plugin ids are known once the plugins are loaded', async () => {
    const plugin = path.resolve(import.meta.dirname, 'plugin-fixtures/throwing.js');
    const file = await configFile('plugin.json', { plugins: [plugin], checks: { 'fixture.throwing': { enabled: true } } });
    const out = path.join(dir, 'plugin-out');
    const ok = await runCli(['run', '--config', file, '--only', 'fixture.throwing', '--output', out], { env: CLOSED });
    // The check ran (and failed on purpose): the id was accepted.
    expect(ok.code, ok.stderr).toBe(1);
    expect(ok.stdout + ok.stderr).toContain('fixture.throwing');
    oneLineExit2(await runCli(['run', '--config', file, '--only', 'fixture.throwin', '--output', out], { env: CLOSED }), 'did you mean "fixture.throwing"?');
  });
});

describe('config validate is run\'s validation', () => {
  const hostileKey = `\u001b[2J\u001b]0;owned\u0007${'x'.repeat(100_000)}`;
  it.each([
    ['a malformed threshold', { checks: { 'queries.basic': { thresholds: { query_duration: ['p(95<100'] } } } }, 'config.checks["queries.basic"].thresholds["query_duration"][0]: expected a threshold like'],
    ['a misspelt metric', { checks: { 'queries.basic': { thresholds: { query_durations: ['p(95)<100'] } } } }, 'config.checks["queries.basic"].thresholds["query_durations"]: queries.basic records no metric "query_durations"; did you mean "query_duration"?'],
    ['a percentile of a rate', { checks: { 'queries.basic': { thresholds: { query_errors: ['p(95)<1'] } } } }, 'config.checks["queries.basic"].thresholds["query_errors"][0]: "p(95)<1": query_errors is a rate, which has no p(95); use rate, value or count'],
    ['the rate of a trend', { checks: { 'pool.contention': { thresholds: { pool_wait_duration: [{ warn: 'rate<5' }] } } } }, 'config.checks["pool.contention"].thresholds["pool_wait_duration"][0].warn: "rate<5": pool_wait_duration is a trend, which has no rate; use p(N), avg, min, max, med, count or stdev'],
    ['a missing plugin file', { plugins: ['./no-such-plugin.js'] }, 'config.plugins[0] (./no-such-plugin.js): cannot load the module'],
    ['a misspelt check id', { checks: { 'queries.basik': { enabled: false } } }, 'config.checks["queries.basik"]: unknown check id "queries.basik"; did you mean "queries.basic"?'],
    ['an unknown key', { queries: { concurency: 2 } }, 'config.queries.concurency: unknown key; did you mean "concurrency"?'],
    ['a malformed margin', { report: { max_regression: 'lots' } }, 'config.report.max_regression: expected a margin like "10%" or 0.1, got "lots"'], ['a bad baseline file', { report: { baseline: '/nonexistent/run.json' } }, 'config.report.baseline (--baseline): /nonexistent/run.json: cannot read it'],
    ['a hostile key', { thresholds: { [hostileKey]: 1 } }, 'config.thresholds["\\u001b[2J\\u001b]0;owned\\u0007xxx'],
  ])('%s: the same exit 2 and the same message from both, and run writes nothing', async (name, content, message) => {
    const file = await configFile(`same-${name.replace(/\W/g, '-')}.json`, content);
    const out = path.join(dir, `never-${name.replace(/\W/g, '-')}`);
    const [validate, run] = await Promise.all([runCli(['config', 'validate', file]), runCli(['run', '--config', file, '--output', out], { env: CLOSED })]);
    oneLineExit2(validate, `stackprobe: ${message}`);
    oneLineExit2(run, `stackprobe: ${message}`);
    expect(run.stderr).toBe(validate.stderr);
    expect(validate.stdout).toBe('');
    expect(validate.stderr).not.toContain('\u001b');
    expect(validate.stderr.length).toBeLessThan(400);
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
  });

  it('a config path that is a directory exits 2 from both', async () => {
    const message = `stackprobe: config file ${dir}: cannot read it (it is a directory, not a regular file)`;
    oneLineExit2(await runCli(['config', 'validate', dir]), message);
    oneLineExit2(await runCli(['run', '--config', dir, '--output', path.join(dir, 'never-dir')], { env: CLOSED }), message);
  });
});

describe('commands', () => {
  it('a misspelt command exits 2 naming the nearest one (it used to say "too many arguments")', async () => {
    const cases = [
      ['rnu', "error: unknown command 'rnu'. Did you mean 'run'?"],
      ['comapre', "error: unknown command 'comapre'. Did you mean 'compare'?"],
      ['xyzzy', "error: unknown command 'xyzzy'. (`stackprobe --help` lists them)"],
    ] as const;
    const runs = await Promise.all(cases.map(([word]) => runCli([word])));
    runs.forEach((r, i) => oneLineExit2(r, cases[i]![1]));
  });
});

describe('--output', () => {
  it.each([
    ['/proc/stackprobe-x', 'cannot create /proc/stackprobe-x'],
    ['/etc/hostname', '/etc/hostname is a file, not a directory'],
    ['/etc/hostname/results', '/etc/hostname is a file, not a directory'],
  ])('%s exits 2 at once (it used to hang under /proc)', async (out, message) => {
    oneLineExit2(await runCli(['run', '--output', out], { env: CLOSED }), `--output ${out}: ${message}`);
  }, 30_000);

  it('a directory the user may not write exits 2 (run as nobody)', async () => {
    if (process.getuid?.() !== 0) return;
    const locked = path.join(dir, 'locked');
    await mkdir(locked, { recursive: true });
    await chmod(locked, 0o755);
    await chmod(dir, 0o755);
    const child = spawn(process.execPath, [CLI, 'run', '--output', path.join(locked, 'results')], {
      uid: 65534, gid: 65534, cwd: '/', env: { PATH: process.env.PATH, CI: 'true', NO_COLOR: '1', ...CLOSED }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    oneLineExit2({ code, stdout: '', stderr }, `--output ${path.join(locked, 'results')}: cannot create`, 'permission denied (EACCES)');
  }, 30_000);

  it('report --output is checked the same way', async () => {
    const file = path.join(dir, 'good.json');
    await writeFile(file, renderJson(fullRunResult()));
    oneLineExit2(await runCli(['report', file, '--format', 'md', '--output', '/proc/stackprobe-y']), '--output /proc/stackprobe-y: cannot create');
  }, 30_000);
});

describe('crafted run.json', () => {
  async function crafted(name: string, change: (r: Record<string, unknown>) => void): Promise<string> {
    const r = JSON.parse(renderJson(fullRunResult())) as Record<string, unknown>;
    change(r);
    const sub = path.join(dir, 'runs', name);
    await mkdir(sub, { recursive: true });
    const file = path.join(sub, 'run.json');
    await writeFile(file, JSON.stringify(r));
    return file;
  }

  it('null or wrong-typed nested fields, 200k recommendations and x = 1e20 exit 2 in report, compare, merge and history', async () => {
    type R = { environment: { tool: unknown }; checks: Array<{ metrics: Array<Record<string, unknown>>; timeSeries: Array<{ points: unknown }> }>; recommendations: unknown };
    const cases: Array<[string, (r: R) => void, string]> = [
      ['null-tool', (r) => { r.environment.tool = null; }, 'environment.tool: expected an object, found null'],
      ['wrong-type', (r) => { r.checks[1]!.metrics[0]!.summary = 'fast'; }, 'checks[1].metrics[0].summary: expected an object, found string'],
      ['many-recs', (r) => { r.recommendations = Array.from({ length: 200_000 }, (_, i) => ({ checkId: 'x', severity: 'warn', text: `r${i}` })); }, 'recommendations: expected at most 100000 entries'],
      ['far-x', (r) => { r.checks[0]!.timeSeries[0]!.points = [[1e20, 1], [1e20 + 32768, 2]]; }, 'checks[0].timeSeries[0].points[0][0]: expected seconds since the check started'],
    ];
    const good = path.join(dir, 'good.json');
    await writeFile(good, renderJson(fullRunResult()));
    for (const [name, change, message] of cases) {
      const file = await crafted(name, change as (r: Record<string, unknown>) => void);
      const expected = `${file}: not a valid stackprobe result: ${message}`;
      oneLineExit2(await runCli(['report', file, '--format', 'md,html,console', '--output', path.join(dir, 'out')]), expected);
      oneLineExit2(await runCli(['compare', good, file]), expected);
      oneLineExit2(await runCli(['merge', good, file, '--output', path.join(dir, 'merged')]), expected);
      oneLineExit2(await runCli(['history', path.dirname(file)]), message);
    }
  }, 120_000);
});
