// Segments of one run as separate processes on one database: one shared workload schema, one start instant, merged
// figures that match a single process at the same total rate; a killed segment is named by merge and reaped.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StageFigures } from '../../src/checks/load/analyse.js';
import { loadChecks } from '../../src/checks/load/index.js';
import { mergeCommand } from '../../src/cli/merge-command.js';
import { locateRunJson } from '../../src/compare/locate.js';
import { loadConfig } from '../../src/config/load.js';
import { builtinChecks } from '../../src/checks/index.js';
import { mergeRunResults } from '../../src/merge/merge-results.js';
import type { RunResult } from '../../src/result/model.js';
import { waitFor } from '../../src/exec/timeout.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { startCeleryWorker, type CeleryWorker } from '../helpers/celery-worker.js';
import { runCli, startCli, type CliRun } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { expectPromtoolClean } from '../helpers/promtool.js';

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
// A segment's --output holds its run in a directory of its own (and `latest`); the merge writes its result in place.
const readRun = async (out: string): Promise<RunResult> => JSON.parse(await readFile(await locateRunJson(out), 'utf8')) as RunResult;
const loadOf = (r: RunResult) => r.checks.find((c) => c.id === 'load.mixed')!;
const stagesOf = (r: RunResult) => loadOf(r).info.stages as StageFigures[];
const schemaExists = async () => (await db.sql<{ n: string | null }>(`SELECT to_regnamespace('stackprobe')::text AS n`))[0]!.n !== null;
const expectRan = (r: CliRun, what: string) => expect(r.code, `${what}: ${r.stderr}`).toBe(0);

/** The same run in this process (no process start-up to wait for), with the CLI's config loading and flags. */
async function runHere(config: string, flags: Record<string, unknown> = {}): Promise<RunResult> {
  const loaded = await loadConfig({ env: {}, file: config, flags: { only: ['load.mixed'], ...flags } });
  return run({ config: loaded.config, checks: loadChecks, signal: new AbortController().signal, log: silentLogger() });
}
const writeRun = async (r: RunResult, out: string) => {
  const file = path.join(dir, `${out}.json`);
  await writeFile(file, JSON.stringify(r));
  return file;
};

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

    // merge's own code path (the command), in this process.
    const merged = path.join(dir, 'merged');
    const code = await mergeCommand(outs, { output: merged, format: 'json' });
    const verdict = (await readRun(merged)).checks.map((c) => ({ status: c.status, reason: c.reason, failed: c.thresholds.filter((t) => !t.ok) }));
    expect(code, JSON.stringify(verdict)).toBe(0);
    expectPromtoolClean(await readRun(merged));
    const skew = mergeRunResults(results, builtinChecks).segments.maxSkewMs!;
    expect(skew).toBeLessThan(100);
    expect((await readRun(merged)).checks[0]!.info.distribution).toMatchObject({ max_start_skew_ms: skew, partial: false });

    // One process at the same total rate: the reference.
    const single = await runHere(config);
    const one = stagesOf(single);
    const all = stagesOf(await readRun(merged));
    const ratios = all.map((s, i) => s.throughput / one[i]!.throughput);
    const offsets = results.map((r) => (loadOf(r).info.distribution as { start: { offset_ms: number; clock_error_ms: number } }).start);
    const brief = (x: StageFigures) => `${x.offered}/${x.succeeded}/${x.durationS.toFixed(2)}s/p95 ${x.p95.toFixed(0)}`;
    console.log(`offered/succeeded/elapsed merged: ${all.map(brief).join(', ')}; single: ${one.map(brief).join(', ')}`);
    console.log(`merged/single throughput per stage: ${ratios.map((x) => x.toFixed(3)).join(', ')}; start skew ${skew} ms (offsets ${offsets.map((o) => `${o.offset_ms}±${o.clock_error_ms}`).join(', ')} ms)`);
    expect(all.map((s) => s.level)).toEqual(rates);
    // Every request the schedule offered succeeded, in both: the same work. Throughput (succeeded per second of the
    // stage, drain included) then differs only by how long the slowest request kept a stage open.
    expect(all.map((s) => s.succeeded)).toEqual(rates.map((r) => r * 2));
    expect(one.map((s) => s.succeeded)).toEqual(rates.map((r) => r * 2));
    // Measured here (2 cores shared with other work): within 1.6 % at load average 14; 8-11.5 % at load 20; once 31 %
    // at load 25 (one segment's last request kept its stage open 0.9 s longer).
    for (const ratio of ratios) expect(Math.abs(ratio - 1)).toBeLessThan(0.15);
  }, 90_000);

  it('a segment killed mid-run: the others finish, merge names it, and what it left is reaped', async () => {
    const config = await configFile('kill', [30, 60, 90], 1);
    // The one to kill is a process of its own; the survivors run in this process.
    const victim = startCli(runArgs(config, path.join(dir, 'kill-2'), ['--segment', '2/3', '--run-id', 'kill-test']));
    const survivors = Promise.all(['1/3', '3/3'].map((segment) => runHere(config, { load: { segment, run_id: 'kill-test' } })));
    await waitFor(() => /stage 2\/3/.test(victim.output()), 30_000, 'segment 2/3 reaching stage 2');
    victim.child.kill('SIGKILL');
    const [a, c] = await survivors;
    for (const r of [a!, c!]) expect(loadOf(r).status, JSON.stringify(loadOf(r).reason)).not.toBe('fail');
    // The last survivor to leave reaped the killed member and dropped the schema.
    expect(await schemaExists()).toBe(false);
    const files = [await writeRun(a!, 'kill-1'), await writeRun(c!, 'kill-3')];
    expect(await mergeCommand(files, { output: path.join(dir, 'kill-merged'), format: 'json' })).toBe(1);
    expect(mergeRunResults([a!, c!], builtinChecks).warnings.join('\n')).toContain('segment 2/3 missing (given: 1/3, 3/3)');
    await victim.done;
  }, 60_000);
});
