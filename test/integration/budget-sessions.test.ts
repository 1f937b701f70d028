// The run's budget cleanup closes every PostgreSQL session a stuck check opened, of every kind a target hands out (a
// pool's, a single client, a measuring wire session), whether busy in pg_sleep or waiting for a lock: the sessions are
// first seen stuck on the server, then gone after the check's budget, while the run goes on to the next check. A
// backend in pg_sleep would outlive its client by ten minutes (PostgreSQL notices a gone client only when it next
// reads), so only stackprobe's own cleanup can have ended it. Sessions are looked for on this test's private database
// and by the application names the check sets, never server-wide.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { waitFor } from '../../src/exec/timeout.js';
import type { RunResult } from '../../src/result/model.js';
import { runDirOf, startCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
let dir: string;
beforeEach(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-budget-sessions-'));
});
afterEach(async () => {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

interface Seen { app: string; state: string | null; wait: string | null; query: string }

/** The stuck check's sessions on this test's database, by the application names it gave them. */
const stuck = () => db.sql<Seen>(
  `SELECT application_name AS app, state, wait_event_type AS wait, query FROM pg_stat_activity
    WHERE datname = $1 AND application_name LIKE 'stackprobe-t-stuck-%' AND pid <> pg_backend_pid() ORDER BY 1`,
  [db.name],
);

it('a check stuck in pg_sleep and on a lock has every session it opened closed at its budget; the next check runs', async () => {
  const fixtures = path.join(import.meta.dirname, 'plugin-fixtures');
  const config = path.join(dir, 'config.json');
  await writeFile(config, JSON.stringify({
    plugins: [path.join(fixtures, 'stuck-sessions.js'), path.join(fixtures, 'passing.js')],
    only: ['fixture.stuck', 'fixture.passing'],
    timeouts: { check_ms: 6000, operation_ms: 600_000 },
  }));
  const cli = startCli(['run', '--config', config, '--output', dir], { env: { DATABASE_URL: db.url } });
  try {
    // Stuck, as the server sees them: two sleeping, one waiting for the advisory lock the fourth holds.
    let seen = { sleeping: [] as string[], waiting: [] as string[], all: [] as string[] };
    await waitFor(async () => {
      const rows = await stuck();
      seen = {
        sleeping: rows.filter((r) => r.state === 'active' && r.query.includes('pg_sleep(600)')).map((r) => r.app),
        waiting: rows.filter((r) => r.wait === 'Lock').map((r) => r.app),
        all: rows.map((r) => r.app),
      };
      return seen.sleeping.length === 2 && seen.waiting.length === 1;
    }, 30_000, 'the stuck check\'s sessions on the server', 100);
    expect(seen.sleeping).toEqual(['stackprobe-t-stuck-pool', 'stackprobe-t-stuck-wire']);
    expect(seen.waiting).toEqual(['stackprobe-t-stuck-blocked']);
    expect(seen.all).toEqual(['stackprobe-t-stuck-blocked', 'stackprobe-t-stuck-holder', 'stackprobe-t-stuck-pool', 'stackprobe-t-stuck-wire']);

    const out = await cli.done;
    expect(out.code).toBe(1);
    const result = JSON.parse(await readFile(path.join(runDirOf(dir), 'run.json'), 'utf8')) as RunResult;
    const byId = Object.fromEntries(result.checks.map((c) => [c.id, c]));
    expect(byId['fixture.stuck']).toMatchObject({ status: 'fail' });
    expect(byId['fixture.stuck']!.reason).toContain('did not finish within its time budget of 6000 ms');
    expect(byId['fixture.passing']).toMatchObject({ status: 'pass' });
    // A backend in pg_sleep(600) whose client merely went away would still be there: stackprobe ended them. Backends
    // leave pg_stat_activity a moment after they are told to end.
    await waitFor(async () => (await stuck()).length === 0, 5000, 'the stuck sessions to be gone', 100).catch(() => undefined);
    expect(await stuck()).toEqual([]);
  } finally {
    cli.child.kill('SIGKILL');
  }
}, 90_000);
