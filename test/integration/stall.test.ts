// Ground truth for coordinated omission against a real PostgreSQL: a lock held for 1 s stalls every query on a table.
// The open-loop (arrival-rate) run must show the stall in its corrected p99; the closed-loop run's p99 must not.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runArrivalRate } from '../../src/exec/arrival-rate.js';
import { runClosedLoop } from '../../src/exec/closed-loop.js';
import { Recorder, operationMetrics } from '../../src/exec/recorder.js';
import type { ExecResult } from '../../src/exec/types.js';
import { MetricRegistry } from '../../src/metrics/registry.js';

const DATABASE_URL = process.env.STACKPROBE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `stackprobe_stall_${process.pid}_${Math.floor(performance.now())}`;
let pool: pg.Pool;
let admin: pg.Client;

beforeAll(async () => {
  admin = new pg.Client(DATABASE_URL);
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.t (id int primary key); INSERT INTO ${schema}.t VALUES (1)`);
  pool = new pg.Pool({ connectionString: DATABASE_URL, max: 8 });
});

afterAll(async () => {
  await pool?.end();
  await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin?.end();
});

/** Holds an ACCESS EXCLUSIVE lock on the table from 1 s to 2 s into the run, so every query in that second waits. */
async function withStall(work: () => Promise<ExecResult>): Promise<ExecResult> {
  const locker = new pg.Client(DATABASE_URL);
  await locker.connect();
  try {
    const stall = (async () => {
      await new Promise((r) => setTimeout(r, 1000));
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${schema}.t IN ACCESS EXCLUSIVE MODE`);
      await new Promise((r) => setTimeout(r, 1000));
      await locker.query('COMMIT');
    })();
    const [res] = await Promise.all([work(), stall]);
    return res;
  } finally {
    await locker.end();
  }
}

function recorder(): Recorder {
  const t0 = performance.now();
  return new Recorder({ registry: new MetricRegistry(), metrics: operationMetrics('q', { meaning: 'latency', description: 'one operation', noun: 'operations' }), elapsed: () => (performance.now() - t0) / 1000 });
}

describe('a server stalled for 1 s', () => {
  const query = () => pool.query(`SELECT id FROM ${schema}.t WHERE id = 1`);

  it('shows in the arrival-rate run’s corrected p99', async () => {
    const rec = recorder();
    const res = await withStall(() => runArrivalRate({ rate: 100, durationMs: 3000, maxVus: 8, fn: query, recorder: rec, signal: new AbortController().signal, timeoutMs: 10_000 }));
    expect(res.errors).toBe(0);
    // ~100 of ~300 intended starts fell inside the stall; the worst waited the whole second.
    expect(rec.duration.percentile(99)).toBeGreaterThan(800);
    expect(rec.duration.percentile(90)).toBeGreaterThan(300);
  });

  it('hides in the closed-loop run’s p99', async () => {
    const rec = recorder();
    const res = await withStall(() => runClosedLoop({ vus: 4, durationMs: 3000, fn: query, recorder: rec, signal: new AbortController().signal, timeoutMs: 10_000 }));
    expect(res.errors).toBe(0);
    expect(res.iterations).toBeGreaterThan(1000);
    // Only the 4 in-flight queries waited; the max shows it, the percentiles do not.
    expect(rec.duration.summary().max).toBeGreaterThan(800);
    expect(rec.duration.percentile(99)).toBeLessThan(50);
  });
});
