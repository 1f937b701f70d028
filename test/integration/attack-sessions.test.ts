// Attacks on "a lost session fails a check, never the run" and "every check has a hard budget", against the real server:
// stackprobe's backends terminated mid-run, idle_session_timeout, and checks that never return by themselves.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/model.js';
import { waitFor } from '../../src/exec/timeout.js';
import { runDirOf, startCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
let dir: string;
beforeEach(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-attack-'));
});
afterEach(async () => {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

const STACK_TRACE = /\n\s+at .+:\d+:\d+|Unhandled 'error' event/;

/** stackprobe's sessions on this test's database only (never server-wide). */
async function stackprobeSessions(): Promise<number> {
  const rows = await db.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'stackprobe%' AND pid <> pg_backend_pid()`,
    [db.name],
  );
  return rows[0]!.n;
}

async function terminateStackprobeSessions(): Promise<number> {
  const rows = await db.sql<{ n: number }>(
    `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'stackprobe%' AND pid <> pg_backend_pid()`,
    [db.name],
  );
  return rows[0]!.n;
}

async function schemaLeft(): Promise<boolean> {
  return (await db.sql(`SELECT 1 FROM pg_namespace WHERE nspname = 'stackprobe'`)).length > 0;
}

async function readRun(): Promise<RunResult> {
  return JSON.parse(await readFile(path.join(runDirOf(dir), 'run.json'), 'utf8')) as RunResult;
}

describe('lost sessions', () => {
  it('every stackprobe backend terminated mid-run: checks fail with the reason, the run goes on, the schema is dropped', async () => {
    const cli = startCli(['run', '--quick', '--only', 'pool,queries,integrity', '--output', dir], { env: { DATABASE_URL: db.url } });
    // Wait for the queries to be under way (the workload schema exists and is loaded), then kill everything of ours.
    await waitFor(async () => (await db.sql(`SELECT 1 FROM pg_namespace WHERE nspname = 'stackprobe'`)).length > 0, 60_000, 'the workload schema');
    let killed = 0;
    const until = performance.now() + 3000;
    while (performance.now() < until) {
      killed += await terminateStackprobeSessions();
      await new Promise((r) => setTimeout(r, 150));
    }
    const out = await cli.done;
    expect(killed).toBeGreaterThan(0);
    expect(out.stdout + out.stderr).not.toMatch(STACK_TRACE);
    expect(out.code).toBe(1);
    const result = await readRun();
    const failed = result.checks.filter((c) => c.status === 'fail');
    expect(failed.length).toBeGreaterThan(0);
    // The reasons and findings say what happened (SQLSTATE 57P01, or the connection that ended), never a crash.
    const said = JSON.stringify(failed);
    expect(said).toMatch(/session was lost|57P01|terminat|Connection terminated/i);
    if (await schemaLeft()) console.log(await readFile(path.join(runDirOf(dir), 'stackprobe.log'), 'utf8'));
    expect(await schemaLeft()).toBe(false);
    await waitFor(async () => (await stackprobeSessions()) === 0, 10_000, 'no stackprobe sessions left');
  });

  it('idle_session_timeout ends idle sessions under it: no crash, the run finishes and cleans up', async () => {
    await db.sql(`ALTER DATABASE ${db.name} SET idle_session_timeout = '300ms'`);
    const out = await startCli(['run', '--quick', '--only', 'queries.basic,integrity', '--output', dir], { env: { DATABASE_URL: db.url } }).done;
    expect(out.stdout + out.stderr).not.toMatch(STACK_TRACE);
    expect([0, 1]).toContain(out.code);
    const result = await readRun();
    expect(result.checks.length).toBeGreaterThan(0);
    expect(await schemaLeft()).toBe(false);
  });
});

describe('hard budgets', () => {
  it('a check that ignores its signal is stopped at its budget, its sessions closed, and the next check runs', async () => {
    const fixtures = path.join(import.meta.dirname, 'plugin-fixtures');
    const config = path.join(dir, 'config.json');
    await writeFile(config, JSON.stringify({
      plugins: [path.join(fixtures, 'hanging.js'), path.join(fixtures, 'passing.js')],
      only: ['fixture.hanging', 'fixture.spinning', 'fixture.passing'],
      timeouts: { check_ms: 3000, operation_ms: 600_000 },
    }));
    const t0 = performance.now();
    const out = await startCli(['run', '--config', config, '--output', dir], { env: { DATABASE_URL: db.url } }).done;
    const wallS = (performance.now() - t0) / 1000;
    expect(out.stdout + out.stderr).not.toMatch(STACK_TRACE);
    expect(out.code).toBe(1);
    const result = await readRun();
    const byId = Object.fromEntries(result.checks.map((c) => [c.id, c]));
    expect(byId['fixture.hanging']).toMatchObject({ status: 'fail' });
    expect(byId['fixture.hanging']!.reason).toContain('did not finish within its time budget of 3000 ms');
    expect(byId['fixture.spinning']).toMatchObject({ status: 'fail' });
    expect(byId['fixture.spinning']!.reason).toContain('abandoned');
    // Stopped at its budget (asked 600 ms before it, a fifth of a short budget), not 2 s past it, nor ten minutes.
    expect(byId['fixture.hanging']!.durationMs).toBeGreaterThanOrEqual(3000);
    expect(byId['fixture.hanging']!.durationMs).toBeLessThan(3000 + 250);
    expect(byId['fixture.spinning']!.durationMs).toBeLessThan(3000 + 250);
    expect(byId['fixture.passing']).toMatchObject({ status: 'pass' });
    expect(wallS).toBeLessThan(60);
    // The sleeping statement did not outlive its check.
    expect(await db.sql(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()`, [db.name])).toEqual([]);
  });
});

describe('Ctrl-C while connecting', () => {
  it('stops waiting for a server that accepts and never answers, and exits 130 at once', async () => {
    // A server that takes the connection and says nothing: the connect timeout is a minute away.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => void sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const config = path.join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ timeouts: { connect_ms: 60_000 } }));
    try {
      const cli = startCli(['run', '--quick', '--only', 'queries', '--config', config, '--output', dir], { env: { DATABASE_URL: `postgres://u:secret@127.0.0.1:${port}/db` } });
      await waitFor(() => sockets.size > 0, 10_000, 'stackprobe to connect');
      const t0 = performance.now();
      cli.child.kill('SIGINT');
      const out = await cli.done;
      expect(out.code).toBe(130);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(out.stdout + out.stderr).not.toMatch(STACK_TRACE);
      expect(out.stdout + out.stderr).not.toContain('secret');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
