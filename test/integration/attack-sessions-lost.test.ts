// Attacks on "a lost session fails a check, never the run", against the real server: stackprobe's backends terminated
// mid-run, and idle_session_timeout ending its idle sessions. The outcomes are asserted (checks fail with the reason,
// the run goes on and cleans up), not timings: this file runs in the shared lane (the budgets are attack-sessions').
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../src/exec/timeout.js';
import { runDirOf, startCli } from '../helpers/cli.js';
import { eachTestDatabaseAndFolder, readRun, schemaLeft, STACK_TRACE, stackprobeSessions, terminateStackprobeSessions } from '../helpers/stackprobe-sessions.js';

const t = eachTestDatabaseAndFolder();

describe('lost sessions', () => {
  it('every stackprobe backend terminated mid-run: checks fail with the reason, the run goes on, the schema is dropped', async () => {
    const cli = startCli(['run', '--quick', '--only', 'pool,queries,integrity', '--output', t.dir], { env: { DATABASE_URL: t.db.url } });
    // Wait for the queries to be under way (the workload schema exists and is loaded), then kill everything of ours.
    await waitFor(async () => (await t.db.sql(`SELECT 1 FROM pg_namespace WHERE nspname = 'stackprobe'`)).length > 0, 60_000, 'the workload schema');
    let killed = 0;
    const until = performance.now() + 3000;
    while (performance.now() < until) {
      killed += await terminateStackprobeSessions(t.db);
      await new Promise((r) => setTimeout(r, 150));
    }
    const out = await cli.done;
    expect(killed).toBeGreaterThan(0);
    expect(out.stdout + out.stderr).not.toMatch(STACK_TRACE);
    expect(out.code).toBe(1);
    const result = await readRun(t.dir);
    const failed = result.checks.filter((c) => c.status === 'fail');
    expect(failed.length).toBeGreaterThan(0);
    // The reasons and findings say what happened (SQLSTATE 57P01, or the connection that ended), never a crash.
    const said = JSON.stringify(failed);
    expect(said).toMatch(/session was lost|57P01|terminat|Connection terminated/i);
    if (await schemaLeft(t.db)) console.log(await readFile(path.join(runDirOf(t.dir), 'stackprobe.log'), 'utf8'));
    expect(await schemaLeft(t.db)).toBe(false);
    await waitFor(async () => (await stackprobeSessions(t.db)) === 0, 10_000, 'no stackprobe sessions left');
  });

  it('idle_session_timeout ends idle sessions under it: no crash, the run finishes and cleans up', async () => {
    await t.db.sql(`ALTER DATABASE ${t.db.name} SET idle_session_timeout = '300ms'`);
    const out = await startCli(['run', '--quick', '--only', 'queries.basic,integrity', '--output', t.dir], { env: { DATABASE_URL: t.db.url } }).done;
    expect(out.stdout + out.stderr).not.toMatch(STACK_TRACE);
    expect([0, 1]).toContain(out.code);
    const result = await readRun(t.dir);
    expect(result.checks.length).toBeGreaterThan(0);
    expect(await schemaLeft(t.db)).toBe(false);
  });
});
