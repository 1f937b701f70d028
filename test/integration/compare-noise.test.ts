// `compare` quiet on noise, against real runs: identical runs on a host kept busy by two other processes never
// regress (five pairs, exit 0 each), and a statement planted 6× slower is named (exit 1). Queries (built-in and a custom
// pg_sleep), cache and load figures are compared. Long by nature: seven quick runs of four checks.
// The two busy processes spin while a run's checks measure, from its first check's start to its teardown, and are
// killed in between: while the private servers start, the compares run and the next run is set up, they would only
// take CPU from the test files the suite runs beside this one (two spinning cores for the whole file slowed every
// other file of its lane), and nothing measured then. Checked when this was made: each check of the seven runs recorded
// the host's 2 cores 99.7–100% busy (its measurement_saturation.host), as with the spinners on for the whole file.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputShows, runCli, runDirOf, startCli } from '../helpers/cli.js';
import { busyCore, stopBusy } from '../helpers/busy-cores.js';

const ONLY = 'queries.basic,queries.custom,cache.latency,load.mixed';
const children: ChildProcess[] = [];
let dir: string;

/**
 * One run with a custom statement sleeping `sleepS` (16 sessions, so a 0.3 s statement still gets 80 samples in the
 * quick run's 1.5 s, twice the 40 a p50 needs to be judged), judged as complex: the slower run passes its own
 * thresholds, so only compare can tell. The slowdown is 6×: when either run's client was saturated, compare widens the
 * noise by the runs' own tail spread rather than call a change (src/compare/model.ts), and on this busy host a 3×
 * slowdown of a 50 ms sleep once stayed inside that widened noise.
 */
async function quickRun(name: string, sleepS: number): Promise<string> {
  const config = path.join(dir, `${name}.json`);
  // A Redis command may wait 10 s before it fails: on a 2-core host kept busy, Redis itself can stall for 2 s, and a
  // lost connection would fail the run; this test is about the figures' noise, not about Redis on a starved host.
  // Latency limits far above what any run here measures: the runs' own verdicts must not flip with the host's load
  // (a real miss fails its run, and compare then names the newly failing check, as it should); this test is about the
  // figures compare judges, and their noise.
  const settings = {
    queries: { concurrency: 16, custom: [{ name: 'sleepy', sql: `SELECT pg_sleep(${sleepS})`, complex: true }] },
    cache: { command_timeout_ms: 10_000 },
    thresholds: { query_time_ms: 1000, complex_query_time_ms: 5000, cache_latency_ms: 1000 },
  };
  await writeFile(config, JSON.stringify(settings));
  const out = path.join(dir, name);
  // No DATABASE_URL or REDIS_URL: each run starts its own private servers, so nothing else touches what it measures.
  const run = startCli(['run', '--quick', '-c', config, '--only', ONLY, '--output', out, '--format', 'json']);
  // Busy from the first check's start (before it loads its schema, so before anything is measured) to the teardown,
  // which comes after the last check's end.
  if (await outputShows(run, /^\[[^\]]*\] [\w.]+: started /m)) {
    try {
      await Promise.all([busyCore(children), busyCore(children)]);
      await outputShows(run, /^\[[^\]]*\] teardown: /m);
    } finally {
      stopBusy(children);
    }
  }
  const r = await run.done;
  // 0, or 3 when stackprobe's own client was starved: both are runs to compare; 1 or 2 would be a broken run.
  expect([0, 3], r.stdout + r.stderr).toContain(r.code);
  return path.join(runDirOf(out), 'run.json');
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-compare-noise-'));
});
afterAll(async () => {
  stopBusy(children);
  await rm(dir, { recursive: true, force: true });
});

describe('compare on a busy host', () => {
  it('five pairs of identical runs: exit 0 each time; a statement made 6× slower: exit 1, naming it', async () => {
    const runs = [await quickRun('r0', 0.05)];
    for (let i = 1; i <= 5; i++) {
      runs.push(await quickRun(`r${i}`, 0.05));
      const r = await runCli(['compare', runs[i - 1]!, runs[i]!]);
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toMatch(/No regression: no check newly fails, and none of \d+ judged figures got worse beyond the noise of both runs and 10%\./);
      // Quiet: what moved beyond the noise only (nothing), not every figure.
      expect(r.stdout.split('\n').length, r.stdout).toBeLessThan(25);
    }
    const slow = await quickRun('slow', 0.3);
    const r = await runCli(['compare', runs[5]!, slow]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/regressions? \(a check newly failing, or worse beyond the noise of both runs and 10%\): .*queries\.custom query_duration\{query:sleepy\} p50 [\d.]+ ms → [\d.]+ ms/);
    // Named in the table too, and nothing but timing figures of that statement is called a regression.
    const flagged = r.stdout.split('\n').filter((l) => /\sregression$/.test(l));
    expect(flagged.some((l) => /^queries\.custom\s+query_duration\{query:sleepy\}\s+p50/.test(l)), r.stdout).toBe(true);
  }, 1_200_000);
});
