// The main job end to end through the built CLI: a run against the machine's
// `test` database that must leave no trace, Ctrl-C mid-run, and rebuilding the reports from run.json alone.
import { existsSync } from 'node:fs';
import { readFile, readdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/model.js';
import { runCli, runDirOf, startCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { expectPromtoolClean } from '../helpers/promtool.js';

// A database of this file's own: what is in it, and who is connected to it, is this file's doing alone.
let db: TestDatabase;
let TEST_DB: string;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-e2e-'));
  db = await createTestDatabase();
  TEST_DB = db.url;
});
afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

async function readResult(out: string): Promise<RunResult> {
  return JSON.parse(await readFile(path.join(runDirOf(out), 'run.json'), 'utf8')) as RunResult;
}

/** Everything in the database a run could leave behind: relations, schemas, functions, and stackprobe sessions. */
async function snapshot(): Promise<{ objects: string[]; sessions: number }> {
  const c = new pg.Client(TEST_DB);
  await c.connect();
  try {
    const objects = await c.query<{ o: string }>(`
      SELECT 'rel:' || n.nspname || '.' || c.relname || ':' || c.relkind::text AS o FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
      UNION ALL SELECT 'schema:' || nspname FROM pg_namespace
      UNION ALL SELECT 'proc:' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      ORDER BY 1`);
    const sessions = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'stackprobe%' AND pid <> pg_backend_pid()`);
    return { objects: objects.rows.map((r) => r.o), sessions: sessions.rows[0]!.n };
  } finally {
    await c.end();
  }
}

// The quick run with no URLs (a private PostgreSQL, the queries measured, the server removed) is the README's first
// command: test/integration/docs-commands.test.ts runs it as written and checks its result, so the suite runs it once.

describe('against DATABASE_URL', () => {
  it('leaves no trace in the database afterwards', async () => {
    const before = await snapshot();
    const out = path.join(dir, 'test-db');
    const r = await runCli(['run', '--quick', '--only', 'queries', '--output', out], { env: { DATABASE_URL: TEST_DB } });
    expect(r.code).toBe(0);
    const result = await readResult(out);
    expect(result.environment.targets.pg?.private).toBe(false);
    expectPromtoolClean(result);
    expect(result.environment.targets.pg?.url).toBe(TEST_DB);
    const after = await snapshot();
    expect(after.objects).toEqual(before.objects);
    expect(after.sessions).toBe(0);
  });

  it('on Ctrl-C stops, cleans up, writes a partial report marked interrupted, and exits 130', async () => {
    const before = await snapshot();
    const out = path.join(dir, 'interrupted');
    const run = startCli(['run', '--full', '--only', 'queries', '--output', out], { env: { DATABASE_URL: TEST_DB } });
    // Interrupt once the workload exists and a measurement is under way.
    const deadline = performance.now() + 60_000;
    while (!/queries\.basic: point_lookup/.test(run.output()) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    const result = await readResult(out);
    expect(result.interrupted).toBe(true);
    // The interrupted run keeps its complete directory; `latest` names only runs that finished.
    expect(existsSync(path.join(out, 'latest'))).toBe(false);
    expect((await snapshot()).objects).toEqual(before.objects);
  });

  it('report rebuilds the same Markdown from run.json alone', async () => {
    const out = path.join(dir, 'test-db');
    const original = await readFile(path.join(runDirOf(out), 'report.md'), 'utf8');
    const rebuilt = path.join(dir, 'rebuilt');
    const r = await runCli(['report', path.join(runDirOf(out), 'run.json'), '--format', 'md,json', '--output', rebuilt]);
    expect(r.code).toBe(0);
    expect(await readFile(path.join(rebuilt, 'report.md'), 'utf8')).toBe(original);
    expect(JSON.parse(await readFile(path.join(rebuilt, 'run.json'), 'utf8'))).toEqual(await readResult(out));
    // The reference tool's spelling.
    const legacy = await runCli(['--report-only', path.join(runDirOf(out), 'run.json'), '--output', rebuilt]);
    expect(legacy.code).toBe(0);
    // The one-screen summary: the verdict and the counts (each check is in report.md, or with --verbose).
    expect(legacy.stdout).toMatch(/^PASS · \d+ checks: /m);
    // It is `report` by another name: the same files from the same flags.
    const [viaReport, viaLegacy] = [path.join(dir, 'via-report'), path.join(dir, 'via-legacy')];
    expect((await runCli(['report', path.join(runDirOf(out), 'run.json'), '--output', viaReport])).code).toBe(0);
    expect((await runCli(['--report-only', path.join(runDirOf(out), 'run.json'), '--output', viaLegacy])).code).toBe(0);
    expect((await readdir(viaLegacy)).sort()).toEqual((await readdir(viaReport)).sort());
    expect(await readdir(viaLegacy)).toEqual(expect.arrayContaining(['report.md', 'report.html', 'run.json']));
  });
});
