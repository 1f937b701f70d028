// When a quick query's window may end once its p95 is settled, and when it keeps the whole window.
import { describe, expect, it } from 'vitest';
import { settlesEarly, SETTLED_SAMPLES } from '../../src/checks/queries/measure.js';
import type { CheckContext } from '../../src/checks/types.js';
import { validateConfig } from '../../src/config/load.js';

const ctxOf = (raw: Record<string, unknown>) => {
  const config = validateConfig(raw);
  return { config, mode: config.mode } as unknown as CheckContext;
};

describe('a query window that ends once its p95 is settled', () => {
  it('ends early only in quick mode with the default duration and the default (p95) thresholds', () => {
    expect(settlesEarly(ctxOf({ mode: 'quick' }), 'queries.basic')).toBe(true);
    expect(settlesEarly(ctxOf({ mode: 'full' }), 'queries.basic')).toBe(false);
    expect(settlesEarly(ctxOf({ mode: 'quick', queries: { duration_s: 1.5 } }), 'queries.basic')).toBe(false);
    // A threshold of the config's own may judge a p99: 2,000 samples leave it 20 beyond it, too few.
    const p99 = { mode: 'quick', checks: { 'queries.custom': { thresholds: { 'query_duration': ['p(99)<50'] } } } };
    expect(settlesEarly(ctxOf(p99), 'queries.custom')).toBe(false);
    expect(settlesEarly(ctxOf(p99), 'queries.basic')).toBe(true);
  });

  it('waits for enough samples that the p95 rank is known to within a percentile point', () => {
    // 95 % interval of the p95's rank: 0.95 n ± 1.96 √(n · 0.95 · 0.05), as a share of n.
    const halfWidth = (n: number) => (1.96 * Math.sqrt(n * 0.95 * 0.05)) / n;
    expect(halfWidth(SETTLED_SAMPLES)).toBeLessThan(0.01);
  });
});
