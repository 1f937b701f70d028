// Segments of one run as separate processes on one database: one shared workload schema, one start instant, merged
// figures that match a single process at the same total rate; a killed segment is named by merge and reaped.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StageFigures } from '../../src/checks/load/analyse.js';
import type { RunResult } from '../../src/result/model.js';
import { waitFor } from '../../src/exec/timeout.js';
import { startCeleryWorker, type CeleryWorker } from '../helpers/celery-worker.js';
import { runCli, startCli, type CliRun } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
let worker: CeleryWorker;
let dir: string;
beforeAll(async () => {
  [db, worker, dir] = await Promise.all([createTestDatabase(), startCeleryWorker(), mkdtemp(path.join(tmpdir(), 'stackprobe-segments-'))]);
}, 30_000);
afterAll(async () => {
  await Promise.all([db?.drop(), worker?.stop(), dir && rm(dir, { recursive: true, force: true })]);
});

/** Three short stages with PostgreSQL, Redis and Celery steps; rates are the whole run's. */
async function configFile(name: string, rates: number[], seconds = 2): Promise<string> {
  const file = path.join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify({
    database_url: db.url, redis_url: 'redis://127.0.0.1:6379', celery_broker_url: worker.broker, celery_result_backend: worker.backend,
    workload: { scale: 0.02 }, tasks: { queue: worker.queue },
    load: { stages: rates.map((rate) => ({ rate, duration: `${seconds}s` })), pool_size: 4, start_timeout_ms: 30_000 },
  }));
  return file;
}

const runArgs = (config: string, out: string, more: string[] = []) => ['run', '--only', 'load.mixed', '--config', config, '--output', out, '--format', 'json', ...more];
const readRun = async (out: string): Promise<RunResult> => JSON.parse(await readFile(path.join(out, 'run.json'), 'utf8')) as RunResult;
const loadOf = (r: RunResult) => r.checks.find((c) => c.id === 'load.mixed')!;
const stagesOf = (r: RunResult) => loadOf(r).info.stages as StageFigures[];
const schemaExists = async () => (await db.sql<{ n: string | null }>(`SELECT to_regnamespace('stackprobe')::text AS n`))[0]!.n !== null;
const expectRan = (r: CliRun, what: string) => expect(r.code, `${what}: ${r.stderr}`).toBe(0);

describe('segments on one database', () => {
  it('4 segments as 4 processes share one workload, start together, and merge to what one process at the same rate measures', async () => {
    const rates = [40, 80, 120];
    const config = await configFile('four', rates);
    const outs = [1, 2, 3, 4].map((i) => path.join(dir, `seg-${i}`));
    // No --run-id: the four derive the same id from the config.
    const runs = await Promise.all(outs.map((out, i) => runCli(runArgs(config, out, ['--segment', `${i + 1}/4`]))));
    runs.forEach((r, i) => expectRan(r, `segment ${i + 1}/4`));
    expect(await schemaExists()).toBe(false);
    const results = await Promise.all(outs.map(readRun));
    const workloads = results.map((r) => loadOf(r).info.workload as { run_id: string; prepared: boolean });
    expect(workloads.filter((w) => w.prepared)).toHaveLength(1);
    expect(new Set(workloads.map((w) => w.run_id)).size).toBe(1);
    expect(workloads[0]!.run_id).toMatch(/^cfg-[0-9a-f]{12}$/);
    for (const r of results) {
      const steps = (loadOf(r).info.steps as Array<{ step: string; attempts: number; failures: number }>).filter((s) => s.attempts > 0).map((s) => s.step);
      expect(steps).toEqual(expect.arrayContaining(['pg_read', 'pg_write', 'cache_get', 'task_submit']));
      expect(loadOf(r).findings.some((f) => f.subject === 'segment' && /partial/.test(f.title))).toBe(true);
    }

    const merged = await runCli(['merge', ...outs.map((o) => path.join(o, 'run.json')), '--output', path.join(dir, 'merged'), '--format', 'json']);
    expect(merged.code, merged.stderr).toBe(0);
    const skew = Number(/largest start skew ([\d.]+) ms/.exec(merged.stdout)?.[1]);
    expect(skew).toBeLessThan(100);

    const single = await runCli(runArgs(config, path.join(dir, 'single')));
    expectRan(single, 'the single process');
    const one = stagesOf(await readRun(path.join(dir, 'single')));
    const all = stagesOf(await readRun(path.join(dir, 'merged')));
    const ratios = all.map((s, i) => s.throughput / one[i]!.throughput);
    const offsets = results.map((r) => (loadOf(r).info.distribution as { start: { offset_ms: number; clock_error_ms: number } }).start);
    console.log(`merged/single throughput per stage: ${ratios.map((x) => x.toFixed(3)).join(', ')}; start skew ${skew} ms (offsets ${offsets.map((o) => `${o.offset_ms}±${o.clock_error_ms}`).join(', ')} ms)`);
    expect(all.map((s) => s.level)).toEqual(rates);
    for (const ratio of ratios) expect(Math.abs(ratio - 1)).toBeLessThan(0.1);
  }, 90_000);

  it('a segment killed mid-run: the others finish, merge names it, and what it left is reaped', async () => {
    const config = await configFile('kill', [30, 60, 90], 1);
    const outs = [1, 2, 3].map((i) => path.join(dir, `kill-${i}`));
    const procs = outs.map((out, i) => startCli(runArgs(config, out, ['--segment', `${i + 1}/3`, '--run-id', 'kill-test'])));
    await waitFor(() => /stage 2\/3/.test(procs[1]!.output()), 30_000, 'segment 2/3 reaching stage 2');
    procs[1]!.child.kill('SIGKILL');
    const [a, , c] = await Promise.all(procs.map((p) => p.done));
    expectRan(a!, 'segment 1/3');
    expectRan(c!, 'segment 3/3');
    // The last survivor to leave reaped the killed member and dropped the schema.
    expect(await schemaExists()).toBe(false);
    const merged = await runCli(['merge', path.join(outs[0]!, 'run.json'), path.join(outs[2]!, 'run.json'), '--output', path.join(dir, 'kill-merged'), '--format', 'json']);
    expect(merged.code).toBe(1);
    expect(merged.stderr).toContain('segment 2/3 missing');
  }, 60_000);
});
