// A gate CI can keep: a missed fail threshold never exits 0. On a host kept busy by other processes it fails as
// measured (exit 1); on a client starved by its own work it is `untrusted` (exit 3), never a pass; each line says which
// threshold, the measured value and the limit.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/model.js';
import { runCli, runDirOf } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { busyCore } from '../helpers/busy-cores.js';

const fixtures = path.join(import.meta.dirname, 'plugin-fixtures');
const children: ChildProcess[] = [];
let dir: string;
let db: TestDatabase;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-gate-'));
  db = await createTestDatabase();
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});
afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

async function runWith(name: string, config: object, only: string): Promise<{ code: number | null; stdout: string; result: RunResult; junit: string; md: string }> {
  const file = path.join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(config));
  const out = path.join(dir, name);
  const r = await runCli(['run', '--quick', '-c', file, '--only', only, '--output', out, '--format', 'json,md,junit'], { env: { DATABASE_URL: db.url } });
  const runDir = runDirOf(out);
  const result = JSON.parse(await readFile(path.join(runDir, 'run.json'), 'utf8')) as RunResult;
  return { code: r.code, stdout: r.stdout, result, junit: await readFile(path.join(runDir, 'junit.xml'), 'utf8'), md: await readFile(path.join(runDir, 'report.md'), 'utf8') };
}

describe('a fail threshold that misses never exits 0', () => {
  it('on a host kept busy by two other processes: the miss fails as measured, naming threshold, measured value and limit', async () => {
    await Promise.all([busyCore(children), busyCore(children)]);
    const config = { queries: { duration_s: 0.5 }, checks: { 'queries.basic': { thresholds: { 'query_duration{query:point_lookup}': ['p(95)<0.01'] } } } };
    const { code, stdout, result, junit, md } = await runWith('busy', config, 'queries.basic');
    const check = result.checks.find((c) => c.id === 'queries.basic')!;
    const missed = check.thresholds.find((t) => t.expression === 'p(95)<0.01')!;
    expect(missed.ok).toBe(false);
    // A busy host alone changes no verdict: fail, exit 1. Only if stackprobe's own event loop fell behind (the host
    // starved it too) is the miss untrusted, exit 3, and the run says why. Never 0.
    const client = (check.info.measurement_saturation as { client?: string[] }).client ?? [];
    expect(code, stdout).toBe(client.length ? 3 : 1);
    expect(check.status).toBe(client.length ? 'untrusted' : 'fail');
    // The console wraps to its width: the same words, any whitespace between them.
    const line = /query_duration\{query:point_lookup\}\s+p\(95\)<0\.01\s+→\s+measured\s+[\d.,]+\s+ms,\s+limit\s+0\.01\s+ms/;
    expect(stdout, stdout).toMatch(line);
    expect(md).toMatch(line);
    expect(junit).toMatch(/query_duration\{query:point_lookup\} p\(95\)&lt;0\.01 → measured [\d.,]+ ms, limit 0\.01 ms/);
    expect(stdout).not.toMatch(/^PASS/m);
  }, 120_000);

  it('with the client starved by its own work: untrusted, exit 3, never a pass; a real failure beside it still exits 1', async () => {
    const config = { plugins: [path.join(fixtures, 'starving.js')] };
    const { code, stdout, result, junit } = await runWith('starved', config, 'fixture.starving');
    const check = result.checks.find((c) => c.id === 'fixture.starving')!;
    expect(check.status, JSON.stringify(check.info.measurement_saturation)).toBe('untrusted');
    expect(code).toBe(3);
    expect((check.info.measurement_saturation as { client: string[] }).client.join()).toMatch(/event loop was late by [\d.]+ ms at p99/);
    expect(check.thresholds[0]).toMatchObject({ expression: 'p(95)<0.01', level: 'fail', ok: false, untrusted: true });
    expect(stdout).toMatch(/^UNTRUSTED · 1 check: 0 passed, 0 warned, 0 failed, 1 untrusted, 0 skipped$/m);
    expect(stdout, stdout).toMatch(/ping_duration\s+p\(95\)<0\.01\s+→\s+measured\s+[\d.,]+\s+ms,\s+limit\s+0\.01\s+ms\s+\(untrusted/);
    expect(junit).toMatch(/<error message="ping_duration p\(95\)&lt;0\.01 → measured [^"]+" type="untrusted">/);
    // With fail_when_saturated the same miss fails outright.
    const strict = await runWith('starved-strict', { ...config, fail_when_saturated: true }, 'fixture.starving');
    expect(strict.result.checks[0]!.status).toBe('fail');
    expect(strict.code).toBe(1);
  }, 120_000);
});
