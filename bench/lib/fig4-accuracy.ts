// Figure 4: how true the numbers are: pg_sleep(x) percentiles vs x, and the corrected p99 of an open-loop run across a held lock.
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { runArrivalRate } from '../../src/exec/arrival-rate.js';
import { runClosedLoop } from '../../src/exec/closed-loop.js';
import { Recorder, operationMetrics } from '../../src/exec/recorder.js';
import { sleep } from '../../src/exec/timeout.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { WireConnection } from '../../src/targets/pg/wire/connection.js';
import { bindRequest, EXECUTE, SYNC } from '../../src/targets/pg/wire/messages.js';
import { wireOptions } from '../../src/targets/pg/wire/options.js';
import { PGBENCH_CANDIDATES } from './fig1-pg.js';
import { findTool, runTool } from './proc.js';
import { createScratchDb, libpqArgs } from './scratch-db.js';
import { errorPercent, expectedStallP99 } from './stats.js';
import type { BenchOptions, Row } from './types.js';
import { benchTempFile } from './temp.js';

const recorder = () => new Recorder({ registry: new MetricRegistry(), metrics: operationMetrics('acc', { meaning: 'latency', description: 'one operation', noun: 'operations' }), elapsed: () => 0 });

/** pgbench's `latency average` for `SELECT pg_sleep(x)` over 2 clients: what a C client sees, the reference for our mean. */
async function pgbenchSleepMean(pgbench: string, url: string, x: number, seconds: number): Promise<number> {
  const script = benchTempFile(`sleep-${x}ms.sql`);
  writeFileSync(script, `SELECT pg_sleep(${x / 1000});\n`);
  const { args, env, db } = libpqArgs(url);
  const r = await runTool(pgbench, [...args, '-n', '-M', 'prepared', '-c', '2', '-T', String(Math.ceil(seconds)), '-f', script, db], env);
  const m = /latency average = ([\d.]+) ms/.exec(r.stdout);
  return m ? Number(m[1]) : Number.NaN;
}

async function sleepRows(url: string, seconds: number): Promise<Row[]> {
  const pgbench = findTool('pgbench', PGBENCH_CANDIDATES);
  // The measuring path the checks time with (src/targets/pg/wire): a prepared statement, one round trip per execution.
  const clients = await Promise.all([0, 1].map(() => WireConnection.connect(wireOptions(url))));
  const rows: Row[] = [];
  try {
    await Promise.all(clients.map((c) => c.prepare('sleep', 'SELECT pg_sleep($1)')));
    for (const x of [1, 5, 20]) {
      const rec = recorder();
      const request = bindRequest('sleep', [String(x / 1000)], Buffer.concat([EXECUTE, SYNC]));
      await runClosedLoop({
        vus: clients.length, durationMs: seconds * 1000, timeoutMs: 10_000, recorder: rec, signal: new AbortController().signal,
        step: (vu, _i, done) => clients[vu]!.send(request, (_completed, error) => done(error)),
      });
      for (const p of [50, 99]) {
        const v = rec.duration.percentile(p);
        rows.push({
          figure: 4, measure: `pg_sleep(${x} ms): reported p${p} error`, value: errorPercent(v, x), unit: '%',
          note: `p${p} ${v.toFixed(3)} ms vs ${x} ms true (${rec.duration.count} samples; includes the round trip)`,
          command: `runClosedLoop, 2 VUs, the measuring path's WireConnection: SELECT pg_sleep(${x / 1000}) for ${seconds} s`,
        });
      }
      if (!pgbench) continue;
      // pg_sleep itself oversleeps (timer slack, latch wake-up) and the round trip adds to it: a C client's mean for the
      // same statement separates what stackprobe adds from what the server really took.
      const ref = await pgbenchSleepMean(pgbench, url, x, seconds);
      const mean = rec.duration.summary().mean;
      rows.push({
        figure: 4, measure: `pg_sleep(${x} ms): mean vs pgbench's mean`, value: errorPercent(mean, ref), unit: '%',
        note: `${mean.toFixed(3)} ms vs ${ref.toFixed(3)} ms (pgbench -c 2, latency average)`,
        command: `pgbench -n -M prepared -c 2 -T ${Math.ceil(seconds)} -f sleep.sql  # sleep.sql: SELECT pg_sleep(${x / 1000});`,
      });
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
  return rows;
}

/** An arrival-rate run over a table another session locks for ~1 s in the middle: the corrected p99 vs its expected value. */
async function stallRow(url: string, quick: boolean): Promise<Row> {
  const rate = 100;
  const durationS = quick ? 4 : 6;
  const setup = new pg.Client({ connectionString: url });
  const locker = new pg.Client({ connectionString: url });
  const workers = Array.from({ length: 20 }, () => new pg.Client({ connectionString: url }));
  await Promise.all([setup, locker, ...workers].map((c) => c.connect()));
  try {
    await setup.query('CREATE TABLE stall (id int PRIMARY KEY)');
    await setup.query('INSERT INTO stall VALUES (1)');
    const rec = recorder();
    let held = 0;
    const lock = (async () => {
      await sleep(durationS * 400);
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE stall IN ACCESS EXCLUSIVE MODE');
      const t0 = performance.now();
      await sleep(1000);
      await locker.query('COMMIT');
      held = (performance.now() - t0) / 1000;
    })();
    const result = await runArrivalRate({
      rate, durationMs: durationS * 1000, maxVus: workers.length, timeoutMs: 10_000, recorder: rec, signal: new AbortController().signal,
      fn: (vu) => workers[vu]!.query({ name: 'read', text: 'SELECT id FROM stall WHERE id = 1' }),
    });
    await lock;
    const p50 = rec.duration.percentile(50) / 1000;
    const expected = expectedStallP99(rec.duration.count, rate, held, p50);
    const p99 = rec.duration.percentile(99) / 1000;
    return {
      figure: 4, measure: 'arrival-rate p99 across a 1 s lock: error', value: errorPercent(p99, expected), unit: '%',
      note: `p99 ${(p99 * 1000).toFixed(0)} ms vs expected ${(expected * 1000).toFixed(0)} ms (lock held ${(held * 1000).toFixed(0)} ms, ${result.iterations} requests, ${result.dropped} dropped)`,
      command: `runArrivalRate({ rate: ${rate}, ${durationS} s, maxVus: 20 }): SELECT from a table another session holds ACCESS EXCLUSIVE for 1 s`,
      detail: { p99_s: p99, expected_s: expected, held_s: held, p50_s: p50, count: rec.duration.count },
    };
  } finally {
    await Promise.all([setup, locker, ...workers].map((c) => c.end()));
  }
}

export async function figureAccuracy(opts: BenchOptions): Promise<Row[]> {
  const db = await createScratchDb(opts.pgUrl);
  try {
    const rows = await sleepRows(db.url, opts.quick ? 1.5 : 4);
    rows.push(await stallRow(db.url, opts.quick));
    return rows;
  } finally {
    await db.drop();
  }
}
