// The CLI as a user meets it: usage errors, bad config, unreachable or refused databases — clear messages and exit codes,
// never a stack trace — plus --version/--help and the reference tool's flags.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/targets/embedded/embedded-pg.js';
import { runCli } from '../helpers/cli.js';

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
  it('an unreachable DATABASE_URL fails its checks with a clear reason (exit 1), never a stack trace', async () => {
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

    it('a wrong password is reported as such, and the run still writes its report', async () => {
      const out = path.join(dir, 'wrong-password');
      const r = await runCli(['run', '--quick', '--output', out], { env: { DATABASE_URL: `postgres://postgres:wrong@127.0.0.1:${pg.port}/postgres` } });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('password authentication failed');
      noStackTrace(r.stdout + r.stderr);
      const report = await runCli(['report', path.join(out, 'run.json'), '--format', 'md']);
      expect(report.code).toBe(0);
    });
  });
});
