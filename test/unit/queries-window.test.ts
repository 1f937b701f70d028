// When a query's window may end once its percentiles are settled, and when it keeps the whole window.
import { describe, expect, it } from 'vitest';
import { settleRule } from '../../src/checks/queries/measure.js';
import { FULL_SETTLE, QUICK_SETTLE } from '../../src/exec/settle.js';
import type { CheckContext } from '../../src/checks/types.js';
import { validateConfig } from '../../src/config/load.js';

const ctxOf = (raw: Record<string, unknown>) => {
  const config = validateConfig(raw);
  return { config, mode: config.mode } as unknown as CheckContext;
};

/** Half the 95 % interval of the q-quantile's rank from n samples, as a share of n: 1.96 √(n · q · (1 − q)) / n. */
const halfWidth = (n: number, q: number) => (1.96 * Math.sqrt(n * q * (1 - q))) / n;

describe('a query window that ends once its percentiles are settled', () => {
  it('ends early with the default duration and the default (p95) thresholds, in quick and in full mode', () => {
    expect(settleRule(ctxOf({ mode: 'quick' }), 'queries.basic')).toEqual(QUICK_SETTLE);
    expect(settleRule(ctxOf({ mode: 'full' }), 'queries.basic')).toEqual(FULL_SETTLE);
    expect(settleRule(ctxOf({ mode: 'quick', queries: { duration_s: 1.5 } }), 'queries.basic')).toBeUndefined();
    expect(settleRule(ctxOf({ mode: 'full', queries: { duration_s: 10 } }), 'queries.basic')).toBeUndefined();
    // A threshold of the config's own may judge a p99 or beyond: the whole window runs.
    const p99 = { mode: 'quick', checks: { 'queries.custom': { thresholds: { 'query_duration': ['p(99)<50'] } } } };
    expect(settleRule(ctxOf(p99), 'queries.custom')).toBeUndefined();
    expect(settleRule(ctxOf(p99), 'queries.basic')).toEqual(QUICK_SETTLE);
    expect(settleRule(ctxOf({ ...p99, mode: 'full' }), 'queries.custom')).toBeUndefined();
  });

  it('waits for enough samples that the p95 rank (quick) and the p99 rank (full) are known to within a percentile point', () => {
    expect(halfWidth(QUICK_SETTLE.samples, 0.95)).toBeLessThan(0.01);
    expect(halfWidth(FULL_SETTLE.samples, 0.99)).toBeLessThan(0.002);
    expect(halfWidth(FULL_SETTLE.samples, 0.95)).toBeLessThan(0.005);
    // Full mode's floor is longer than quick mode's: it spans more of the host's stalls.
    expect(FULL_SETTLE.minMs).toBeGreaterThan(QUICK_SETTLE.minMs);
  });
});
