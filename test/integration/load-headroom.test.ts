// Capacity and headroom against a real limit: two coarse stages estimate where p95 passes its limit within 25 % of what
// a finer plan finds, and recommend that finer plan; the headroom is the crossing over load.current_rate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Crossing } from '../../src/checks/load/headroom.js';
import { mixedLoadCheck } from '../../src/checks/load/mixed.js';
import { validateConfig } from '../../src/config/load.js';
import type { CheckResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

interface Headroom { current_rate: number | null; crossings: Crossing[]; finer_plan: Array<{ rate: number; duration: string }> | null }

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
