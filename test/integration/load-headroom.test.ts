// Capacity and headroom against a real limit: two coarse stages estimate where p95 passes its limit within 25 % of what
// a finer plan finds, and recommend that finer plan; the headroom is the crossing over load.current_rate. Without it,
// the app's current rate is measured over a window of the run: a client driving 50 calls a second during it is read
// within 20 %, and the headroom is taken over that.
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Crossing } from '../../src/checks/load/headroom.js';
import { mixedLoadCheck } from '../../src/checks/load/mixed.js';
import { validateConfig } from '../../src/config/load.js';
import type { CheckResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { startPrivateServer, type PrivateServer } from '../helpers/health-server.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

interface Headroom { current_rate: number | null; current_rate_from: string | null; current_rate_not_measured?: string; crossings: Crossing[]; finer_plan: Array<{ rate: number; duration: string }> | null }

async function runStages(stages: Array<{ rate: number; duration: string }>): Promise<CheckResult> {
  // A 20 ms statement on 2 sessions: a capacity near 100 req/s whatever the machine's speed.
  const config = validateConfig({
    database_url: db.url, workload: { scale: 0.05 },
    load: {
      stages, pool_size: 2, p95_limit_ms: 300, current_rate: 30,
      weights: { financial_read: 0, write: 0, cache_read: 0, task: 0 }, custom: [{ name: 'remote', sql: 'SELECT pg_sleep(0.02)', weight: 1 }],
    },
  });
  return (await run({ config, checks: [mixedLoadCheck], signal: new AbortController().signal, log: silentLogger() })).checks[0]!;
}

const p95Crossing = (c: CheckResult) => (c.info.headroom as Headroom).crossings.find((x) => x.threshold === 'p95')!;

describe('headroom', () => {
  it('estimates the p95 crossing from two coarse stages within 25 % of a finer plan\'s, and recommends the finer plan', async () => {
    const coarse = await runStages([{ rate: 10, duration: '2s' }, { rate: 200, duration: '3s' }]);
    const h = coarse.info.headroom as Headroom;
    const c = p95Crossing(coarse);
    expect(c.where, JSON.stringify(h)).toBe('between');
    expect(h.finer_plan, JSON.stringify(h)).not.toBeNull();
    expect(c.headroom).toBeCloseTo(c.rate / 30, 6);
    const f = coarse.findings.find((x) => x.subject === 'headroom')!;
    expect(f.title).toMatch(/^headroom \d+\.\d× over 30 req\/s before p95 > 300 ms$/);
    expect(f.recommendation).toMatch(/too coarse/);
    expect(coarse.metrics.find((m) => m.name === 'load_headroom' && m.tags.threshold === 'p95')).toMatchObject({ type: 'gauge' });

    const fine = await runStages([60, 75, 90, 105, 120].map((rate) => ({ rate, duration: '2s' })));
    const cf = p95Crossing(fine);
    console.log(`\ncoarse ${JSON.stringify(c)}\nfine ${JSON.stringify(cf)}\nfine stages ${JSON.stringify(fine.info.stage_table)}`);
    expect(cf.where, JSON.stringify(fine.info.stage_table)).toBe('between');
    expect(Math.abs(c.rate - cf.rate) / cf.rate).toBeLessThan(0.25);
  }, 80_000);
});

describe('the current rate', () => {
  const DB = 'app_live';
  let server: PrivateServer;
  beforeAll(async () => {
    server = await startPrivateServer();
    await server.sql(`CREATE DATABASE ${DB}`);
    await server.sql('CREATE EXTENSION pg_stat_statements', [], DB);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  /** An app's client: `perS` calls a second of one statement, paced by the clock (calls due so far), until stopped. */
  async function driveApp(perS: number): Promise<{ stop(): Promise<number> }> {
    const client = new pg.Client({ connectionString: server.url(DB) });
    client.on('error', () => undefined);
    await client.connect();
    const t0 = performance.now();
    let sent = 0;
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        const due = Math.floor(((performance.now() - t0) / 1000) * perS);
        for (; sent < due && !stopped; sent++) await client.query('SELECT $1::int AS app_call', [sent]);
        await delay(5); // pacing: the next call is due in 20 ms
      }
    })();
    return {
      async stop() {
        stopped = true;
        await loop;
        await client.end();
        return sent / ((performance.now() - t0) / 1000);
      },
    };
  }

  it('is read over a window of the run, within 20 % of the 50 calls a second an app drives, and the headroom is taken over it', async () => {
    const app = await driveApp(50);
    let c: CheckResult;
    try {
      const config = validateConfig({
        database_url: server.url(DB), allow_privileged_role: true, workload: { scale: 0.05 },
        load: {
          stages: [{ rate: 40, duration: '2s' }, { rate: 80, duration: '2s' }], pool_size: 4, p95_limit_ms: 300,
          weights: { financial_read: 0, write: 0, cache_read: 0, task: 0 }, custom: [{ name: 'remote', sql: 'SELECT pg_sleep(0.01)', weight: 1 }],
        },
      });
      c = (await run({ config, checks: [mixedLoadCheck], signal: new AbortController().signal, log: silentLogger() })).checks[0]!;
    } finally {
      const driven = await app.stop();
      expect(Math.abs(driven - 50)).toBeLessThan(2);
    }
    const h = c.info.headroom as Headroom;
    const shown = JSON.stringify(h);
    console.log(`\ncurrent rate: ${h.current_rate} req/s from ${h.current_rate_from}`);
    const window = /^pg_stat_statements over a (\d+\.\d) s window just before the first stage: ([\d.]+) statements\/s of this database/.exec(h.current_rate_from ?? '');
    expect(window, shown).not.toBeNull();
    expect(Number(window![1])).toBeGreaterThanOrEqual(2.9);
    expect(Math.abs(Number(window![2]) - 50) / 50, shown).toBeLessThan(0.2);
    // A request of this mix is one statement: the app's 50 statements a second are about 50 of its requests.
    expect(Math.abs(h.current_rate! - 50) / 50, shown).toBeLessThan(0.2);
    for (const x of h.crossings) expect(x.headroom, shown).toBeCloseTo(x.rate / h.current_rate!, 6);
    const f = c.findings.find((x) => x.subject === 'headroom')!;
    expect(f.detail).toContain(`Current rate ${Math.round(h.current_rate! * 10) / 10} req/s from pg_stat_statements over a`);
  }, 90_000);

  it('says why there is none when no other client ran a statement in the window', async () => {
    const config = validateConfig({
      database_url: server.url(DB), allow_privileged_role: true, workload: { scale: 0.05 },
      load: { stages: [{ rate: 10, duration: '2s' }], pool_size: 2, weights: { financial_read: 0, write: 0, cache_read: 0, task: 0 }, custom: [{ name: 'remote', sql: 'SELECT pg_sleep(0.01)', weight: 1 }] },
    });
    const c = (await run({ config, checks: [mixedLoadCheck], signal: new AbortController().signal, log: silentLogger() })).checks[0]!;
    const h = c.info.headroom as Headroom;
    expect(h.current_rate, JSON.stringify(h)).toBeNull();
    expect(h.current_rate_not_measured, JSON.stringify(h)).toMatch(/window just before the first stage: 0\.0 statements\/s .*no other client ran a statement/);
  }, 60_000);
});
