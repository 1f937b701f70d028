// A stackprobe killed outright leaves its private PostgreSQL running: the next start finds it, stops it, removes it,
// whichever major either of them runs (the killed one runs 17, as `run --pg-version 17` would; the next one the default).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { waitFor } from '../../src/exec/timeout.js';
import { startEmbeddedPostgres } from '../../src/targets/embedded/embedded-pg.js';
import { alive } from '../../src/targets/embedded/reap.js';

const SRC = path.resolve(import.meta.dirname, '../../src/targets/embedded/embedded-pg.ts');


it('reaps the private PostgreSQL 17 of a process that was SIGKILLed', async () => {
  // A child stackprobe starts a private server, says where, and is then killed without any chance to clean up.
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
    `const { startEmbeddedPostgres } = await import(${JSON.stringify(SRC)}); const pg = await startEmbeddedPostgres({ major: 17 }); console.log(pg.dataDir); setInterval(() => {}, 1000);`,
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => out.includes('\n'), 30_000, 'the child to start its server');
  const dataDir = out.trim();
  const serverPid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  expect(alive(serverPid)).toBe(true); // orphaned: nobody stopped it
  expect(readFileSync(path.join(dataDir, 'PG_VERSION'), 'utf8').trim()).toBe('17');

  const next = await startEmbeddedPostgres();
  try {
    await waitFor(() => !alive(serverPid), 10_000, 'the orphaned server to stop');
    expect(existsSync(path.dirname(dataDir))).toBe(false);
  } finally {
    await next.stop();
  }
});
