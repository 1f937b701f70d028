// The CLI as a user meets it: usage errors, bad config, unreachable or refused databases — clear messages and exit codes,
// never a stack trace, a wrong password said once — plus --version/--help, the reference tool's flags, and runs kept apart.
import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/targets/embedded/embedded-pg.js';
import { runCli, runDirOf } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/pg.js';
import type { RunResult } from '../../src/result/model.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function noStackTrace(text: string): void {
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

describe('usage', () => {
  it('prints the version and help with examples', async () => {
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const h = await runCli(['run', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--read-only');
    expect(h.stdout).toContain('Examples:');
  });

  it('exits 2 on an unknown flag or conflicting modes', async () => {
    const unknown = await runCli(['run', '--fast']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--fast'");
    const both = await runCli(['run', '--quick', '--full']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('choose one of --quick, --full, --load-test');
  });

  it('exits 2 naming the field for a malformed config, before touching any server', async () => {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ thresholds: { query_time_ms: 'fast' }, database_url: 'postgres://u:hunter2@127.0.0.1:1/x' }));
    const r = await runCli(['run', '--config', file, '--output', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('stackprobe: config.thresholds.query_time_ms: expected a positive number, got "fast"');
    expect(r.stderr + r.stdout).not.toContain('hunter2');
    noStackTrace(r.stderr);
  });

  it('exits 2 for an unknown category in --only, and for a bad threshold expression', async () => {
    const r = await runCli(['run', '--only', 'querys', '--output', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--only: unknown category or check id "querys"; did you mean "queries"?');
    const file = path.join(dir, 'bad-threshold.json');
    await writeFile(file, JSON.stringify({ checks: { 'queries.basic': { thresholds: { query_duration: ['p95 under 100'] } } } }));
    const t = await runCli(['run', '--config', file, '--output', dir]);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('config.checks["queries.basic"].thresholds["query_duration"][0]: expected a threshold like');
  });

  it('prints the config JSON Schema', async () => {
    const r = await runCli(['config', 'schema']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).properties.thresholds.properties.query_time_ms.type).toBe('number');
  });
});

describe('unreachable databases', () => {
  it('an unreachable DATABASE_URL fails the run with a clear reason (exit 1), never a stack trace', async () => {
    const out = path.join(dir, 'unreachable');
    const r = await runCli(['run', '--quick', '--output', out], { env: { DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:1/test' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('cannot connect to PostgreSQL at postgres://postgres:***@127.0.0.1:1/test: connection refused');
    expect(r.stdout + r.stderr).not.toContain('hunter2');
    noStackTrace(r.stdout + r.stderr);
  });

  describe('with a password-protected server', () => {
    let pg: EmbeddedPostgres;
    beforeAll(async () => {
      pg = await startEmbeddedPostgres();
    });
    afterAll(async () => {
      await pg?.stop();
    });

    it('a wrong password: one line saying which target and why, fast, every check skipped pointing at it, exit 1', async () => {
      const out = path.join(dir, 'wrong-password');
      const t0 = performance.now();
      const r = await runCli(['run', '--quick', '--output', out], { env: { DATABASE_URL: `postgres://postgres:wrong-hunter2@127.0.0.1:${pg.port}/postgres` } });
      const seconds = (performance.now() - t0) / 1000;
      // One connection attempt, no check run, no private Redis started: a process start and a refused login.
      expect(seconds).toBeLessThan(8);
      expect(r.code).toBe(1);
      const all = r.stdout + r.stderr;
      expect(all.split('password authentication failed'), all).toHaveLength(2);
      expect(r.stdout).toMatch(/^FAIL · \d+ checks: 0 passed, 0 warned, 0 failed, \d+ skipped$/m);
      expect(r.stdout).toMatch(/^✗ pg: cannot log in to PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres: password authentication failed/m);
      expect(all).not.toContain('wrong-hunter2');
      // The plain progress view says it in one line too, not once per check.
      expect(r.stderr.split('\n').filter((l) => /SKIP/.test(l))).toHaveLength(1);
      noStackTrace(all);
      const result = JSON.parse(await readFile(path.join(runDirOf(out), 'run.json'), 'utf8')) as RunResult;
      expect(result.environment.unopened?.pg).toMatch(/password authentication failed/);
      expect(result.checks.every((c) => c.status === 'skip')).toBe(true);
      expect(result.recommendations).toEqual([]);
      const report = await runCli(['report', runDirOf(out), '--format', 'md']);
      expect(report.code).toBe(0);
    });
  });
});

describe('runs kept apart', () => {
  it('two runs in one --output: two directories, latest names the newer, history lists both', async () => {
    const db = await createTestDatabase();
    try {
      const out = path.join(dir, 'kept-apart');
      const args = ['run', '--only', 'health.server', '--read-only', '--output', out];
      const first = await runCli(args, { env: { DATABASE_URL: db.url } });
      expect([0, 1], first.stderr).toContain(first.code);
      const second = await runCli(args, { env: { DATABASE_URL: db.url } });
      expect([0, 1], second.stderr).toContain(second.code);
      const runs = (await readdir(out, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.isSymbolicLink()).map((e) => e.name).sort();
      expect(runs).toHaveLength(2);
      for (const name of runs) expect(name).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z-[0-9a-f]{6}$/);
      expect(await readlink(path.join(out, 'latest'))).toBe(runs[1]);
      expect(JSON.parse(await readFile(path.join(out, 'latest.json'), 'utf8'))).toMatchObject({ dir: runs[1], runJson: `${runs[1]}/run.json` });
      // Nothing of the first run is beside the second's run.json, and the summary says where the reports went.
      expect((await readdir(path.join(out, runs[1]!))).sort()).toEqual(['report-details.md', 'report.html', 'report.md', 'run.json', 'stackprobe.log']);
      // Outside the working directory the path is shown absolute (a ../../ path helps nobody).
      expect(second.stdout).toContain(`Reports  ${path.join(out, runs[1]!)}/`);
      const history = await runCli(['history', out]);
      expect(history.code, history.stderr).toBe(0);
      expect(history.stderr).toBe('');
      // The header and one row per run (then the notes under the table).
      expect(history.stdout.split('\n').filter((l) => /^\d{4}-\d\d-\d\d /.test(l))).toHaveLength(2);
      // compare reads the output directory as its latest run, and a run directory as that run.
      const cmp = await runCli(['compare', path.join(out, runs[0]!), out]);
      expect(cmp.stdout).not.toContain('different');
      expect([0, 1]).toContain(cmp.code);
    } finally {
      await db.drop();
    }
  });
});
