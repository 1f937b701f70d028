// Attacks on the shared workload and the start barrier: a segment that never arrives, a second run on the same
// database, a member killed without leaving, the preparing segment killed before the schema is ready.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/program.js';
import { loadChecks } from '../../src/checks/load/index.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { waitFor } from '../../src/exec/timeout.js';
import { run } from '../../src/run/runner.js';
import type { PgTarget } from '../../src/targets/pg/target.js';
import { silentLogger } from '../../src/util/logger.js';
import { dropWorkload, setupWorkload } from '../../src/workload/setup.js';
import type { WorkloadOptions } from '../../src/workload/types.js';
import { startCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
let pg: PgTarget;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase();
  pg = await db.open();
  dir = await mkdtemp(path.join(tmpdir(), 'stackprobe-segattack-'));
});
afterAll(async () => {
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const schemaExists = async () => (await db.sql<{ n: string | null }>(`SELECT to_regnamespace('stackprobe')::text AS n`))[0]!.n !== null;
const opts = (runId: string, index: number, count: number, more: Partial<WorkloadOptions> = {}): WorkloadOptions =>
  ({ seed: 42, scale: 0.02, runId, segment: { index, count }, signal: new AbortController().signal, ...more });

const runSegment = (load: NonNullable<ConfigInput['load']>) =>
  run({ config: validateConfig({ database_url: db.url, workload: { scale: 0.02 }, load }), checks: loadChecks, signal: new AbortController().signal, log: silentLogger() });

describe('the start barrier', () => {
  it('fails every segment that came, naming the one that never arrives, and the schema is removed', async () => {
    const load = { run_id: 'absent-test', start_timeout_ms: 1500, stages: [{ rate: 10, duration: '1s' }] };
    const results = await Promise.all([runSegment({ ...load, segment: '1/3' }), runSegment({ ...load, segment: '2/3' })]);
    for (const r of results) {
      const c = r.checks.find((x) => x.id === 'load.mixed')!;
      expect(c.status).toBe('fail');
      expect(c.reason).toMatch(/segment 3\/3 did not arrive at the start barrier within 2 s \(arrived: 1\/3, 2\/3\)/);
    }
    expect(await schemaExists()).toBe(false);
  }, 30_000);
});

describe('one workload schema, one run', () => {
  it('refuses a second run (another run id) while the first uses the schema, and leaves the first intact', async () => {
    const a1 = await setupWorkload(pg, opts('run-a', 1, 2));
    expect(a1.prepared).toBe(true);
    await expect(setupWorkload(pg, opts('run-b', 1, 1))).rejects.toThrow(/another stackprobe run is using the "stackprobe" workload schema .*run id run-a, segments 1\/2 running; this is run run-b/);
    await expect(setupWorkload(pg, opts('run-b', 2, 2))).rejects.toThrow(/run id run-a/);
    // The same segment twice, or another scale, is refused too.
    await expect(setupWorkload(pg, opts('run-a', 1, 2))).rejects.toThrow(/segment 1\/2 of run run-a is already running/);
    await expect(setupWorkload(pg, opts('run-a', 2, 2, { scale: 0.03 }))).rejects.toThrow(/scale 0.02; this segment has seed 42, scale 0.03/);
    const a2 = await setupWorkload(pg, opts('run-a', 2, 2));
    expect(a2.prepared).toBe(false);
    expect(a2.rows).toEqual(a1.rows);
    await dropWorkload(pg, a1);
    // Not the last to leave: the schema stays for segment 2.
    expect(await schemaExists()).toBe(true);
    await dropWorkload(pg, a2);
    expect(await schemaExists()).toBe(false);
  }, 30_000);

  it('reaps a member killed without leaving: the next run replaces the schema, and says so', async () => {
    const left = await setupWorkload(pg, opts('run-killed', 1, 2));
    // What a SIGKILL does to the database: the member's session ends, its row stays.
    await db.sql('SELECT pg_terminate_backend($1)', [left.membership.pid]);
    await waitFor(async () => (await db.sql(`SELECT 1 FROM pg_stat_activity WHERE pid = $1`, [left.membership.pid])).length === 0, 5000, 'the session to end');
    expect(await schemaExists()).toBe(true);
    const warnings: string[] = [];
    const next = await setupWorkload(pg, opts('run-next', 1, 1, { warn: (t) => warnings.push(t) }));
    expect(next.prepared && next.replacedLeftover).toBe(true);
    expect(warnings.join('\n')).toMatch(/segment 1\/2 of run run-killed ended without leaving \(killed\?\): removed from the run/);
    await dropWorkload(pg, next);
    expect(await schemaExists()).toBe(false);
  }, 30_000);

  it('a joining segment fails promptly when the preparing segment is SIGKILLed before the schema is ready; the schema is removed', async () => {
    const config = path.join(dir, 'prep.json');
    // Large enough that loading takes seconds: the kill lands before ready.
    await writeFile(config, JSON.stringify({ database_url: db.url, workload: { scale: 2 }, load: { run_id: 'prep-kill', stages: [{ rate: 10, duration: '1s' }] } }));
    const preparer = startCli(['run', '--only', 'load.mixed', '--config', config, '--segment', '1/2', '--output', path.join(dir, 'prep'), '--format', 'json']);
    const registered = async () => (await schemaExists()) && (await db.sql(`SELECT 1 FROM stackprobe._members WHERE segment = 1`).catch(() => [])).length === 1;
    await waitFor(registered, 20_000, 'segment 1/2 to register');
    const joining = setupWorkload(pg, opts('prep-kill', 2, 2, { scale: 2 })).then(() => 'joined', (e: Error) => e.message);
    await waitFor(async () => (await db.sql(`SELECT 1 FROM stackprobe._members WHERE segment = 2`)).length === 1, 10_000, 'segment 2/2 to join');
    expect((await db.sql<{ ready: boolean }>(`SELECT ready_at IS NOT NULL AS ready FROM stackprobe._run`))[0]!.ready).toBe(false);
    preparer.child.kill('SIGKILL');
    expect(await joining).toMatch(/segment 1\/2 ended \(its database session is gone\) before the schema was ready/);
    expect(await schemaExists()).toBe(false);
    await preparer.done;
  }, 60_000);
});

describe('--segment', () => {
  it('0/4 and 5/4 are bad usage (exit 2), with the reason', async () => {
    // The CLI's own entry (argument parsing, config, exit code), in this process: nothing starts before the refusal.
    const said: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (said.push(String(chunk)), true));
    try {
      for (const s of ['0/4', '5/4']) expect(await main(['node', 'stackprobe', 'run', '--only', 'load', '--segment', s]), s).toBe(2);
    } finally {
      spy.mockRestore();
    }
    for (const s of ['0/4', '5/4']) expect(said.join('')).toContain(`expected a segment "i/n" with 1 <= i <= n, e.g. "2/4", got "${s}"`);
  });
});
