// The last lines of a run that did not end cleanly, each one clear line with its exit code: an interrupted first run
// (no `latest` yet), an interrupted later run, a push to a Pushgateway URL with credentials that cannot be reached.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/exec/timeout.js';
import { runCli, runDirOf, startCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const fixtures = path.join(import.meta.dirname, 'plugin-fixtures');
const UNEXPECTED = /TypeError|unexpected error|\n\s+at .+:\d+:\d+/;
let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-end-'));
  await writeFile(path.join(dir, 'spin.json'), JSON.stringify({ plugins: [path.join(fixtures, 'hanging.js')], only: ['fixture.spinning'] }));
  await writeFile(path.join(dir, 'pass.json'), JSON.stringify({ plugins: [path.join(fixtures, 'passing.js')], only: ['fixture.passing'] }));
});
afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

async function interrupted(out: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startCli(['run', '--config', path.join(dir, 'spin.json'), '--output', out], { env: { DATABASE_URL: db.url } });
  await waitFor(() => /fixture\.spinning: started/.test(run.output()), 30_000, 'the check to start');
  run.child.kill('SIGINT');
  return run.done;
}

describe('how a run that did not end cleanly says so', () => {
  it('an interrupted first run says no `latest` was made; a later one names the run `latest` still points at', async () => {
    const out = path.join(dir, 'results');
    const first = await interrupted(out);
    expect(first.code).toBe(130);
    expect(first.stdout.replace(/\s+/g, ' ')).toMatch(/interrupted: no \S*latest was made \(no run in \S*results has finished\)/);
    expect(first.stdout).not.toContain('previous finished run');
    const done = await runCli(['run', '--config', path.join(dir, 'pass.json'), '--output', out], { env: { DATABASE_URL: db.url } });
    expect(done.code, done.stderr).toBe(0);
    const finished = path.basename(runDirOf(out));
    const second = await interrupted(out);
    expect(second.code).toBe(130);
    expect(second.stdout.replace(/\s+/g, ' ')).toContain(`still names the previous finished run (${finished})`);
    expect(first.stderr + second.stderr).not.toMatch(UNEXPECTED);
  }, 90_000);

  it('a Pushgateway URL with credentials that cannot be reached: one line with the reason, credentials hidden, exit 1', async () => {
    // A port nothing listens on: taken, then released.
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const r = await runCli(['run', '--config', path.join(dir, 'pass.json'), '--output', path.join(dir, 'pushed'), '--push', `http://ci:s3cret@127.0.0.1:${port}`], { env: { DATABASE_URL: db.url } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^PASS · 1 check: /m);
    expect(r.stderr).toMatch(new RegExp(`^stackprobe: cannot push to the Pushgateway at http://ci:\\*\\*\\*@127\\.0\\.0\\.1:${port}/metrics/job/stackprobe: ECONNREFUSED$`, 'm'));
    expect(r.stdout + r.stderr).not.toContain('s3cret');
    expect(r.stderr).not.toMatch(UNEXPECTED);
  }, 60_000);
});
