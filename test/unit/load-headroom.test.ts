// Capacity and headroom on known stage figures: the crossing of each limit, its bracket, and the finer plan.
import { describe, expect, it } from 'vitest';
import type { StageFigures } from '../../src/checks/load/analyse.js';
import { crossings, finerPlan } from '../../src/checks/load/headroom.js';

const limits = { p95Ms: 300, maxErrorRate: 0.05, minCompletionRatio: 0.9 };
const st = (stage: number, offered: number, completed: number, p95: number, errorRate = 0): StageFigures => ({
  stage, level: offered, unit: 'req/s', durationS: 3, offered: offered * 3, requests: offered * 3, started: offered * 3, completed: completed * 3,
  succeeded: completed * 3, dropped: 0, timedOut: 0, offeredRate: offered, startedRate: offered, completedRate: completed, droppedRate: 0,
  throughput: completed, completionRatio: completed / offered, p50: p95 / 2, p95, p99: p95, errorRate, errorKinds: {}, degradation: null, withinLimits: p95 <= 300,
});

describe('crossings', () => {
  it('takes the completions past capacity, not a straight line through the latency curve', () => {
    // Capacity 90 req/s: offered 200, completed 90; a line through (10, 25 ms) and (200, 3500 ms) would say 25 req/s.
    const [p95] = crossings([st(1, 10, 10, 25), st(2, 200, 90, 3500)], limits, 30);
    expect(p95).toMatchObject({ threshold: 'p95', where: 'between', method: 'capacity', rate: 90, low: 10 });
    expect(p95!.headroom).toBeCloseTo(3, 6);
    expect(finerPlan(p95!, 3)).toEqual([{ rate: 10, duration: '3s' }, { rate: 35, duration: '3s' }, { rate: 59, duration: '3s' }, { rate: 84, duration: '3s' }, { rate: 109, duration: '3s' }]);
  });

  it('puts the error crossing past capacity where the capacity is the error limit short of the offered rate', () => {
    // Capacity 90 req/s; the drops past it are the errors (55 % at 200 req/s): 90 / 0.95, not a line from 10 req/s.
    const c = crossings([st(1, 10, 10, 25), st(2, 200, 90, 3500, 0.55)], { ...limits, maxErrorRate: 1 - 0.95 }, 30);
    const errors = c.find((x) => x.threshold === 'errors')!;
    expect(errors).toMatchObject({ where: 'between', method: 'capacity', limit: 'error rate > 0.05' });
    expect(errors.rate).toBeCloseTo(90 / 0.95, 6);
    // The first limit crossed is the p95 one, at the capacity itself.
    expect(c.filter((x) => x.where === 'between').sort((a, b) => a.rate - b.rate)[0]!.threshold).toBe('p95');
  });

  it('interpolates when the stage past the limit still followed its load, and needs no finer plan for a narrow bracket', () => {
    const [p95] = crossings([st(1, 90, 90, 200), st(2, 100, 100, 400)], limits, null);
    expect(p95).toMatchObject({ method: 'interpolated', rate: 95, headroom: null });
    expect(finerPlan(p95!, 3)).toBeNull();
  });

  it('says above or below the stages, without inventing a crossing', () => {
    const c = crossings([st(1, 10, 10, 20), st(2, 20, 20, 30)], limits, 5);
    expect(c.every((x) => x.where === 'above')).toBe(true);
    expect(crossings([st(1, 10, 5, 900)], limits, 5)[0]).toMatchObject({ where: 'below', high: 10 });
  });
});

describe('chattyStatements', () => {
  it('names statements called many times per request with few rows each, from the difference over the stages', async () => {
    const { chattyStatements } = await import('../../src/checks/load/chatty.js');
    const before = [{ queryid: '1', query: 'SELECT price FROM products WHERE id = $1', calls: 500, rows: 500, ms: 10 }];
    const after = [
      { queryid: '1', query: 'SELECT price FROM products WHERE id = $1', calls: 10_500, rows: 10_500, ms: 40 },
      { queryid: '2', query: 'SELECT product_id FROM order_lines WHERE order_id = $1', calls: 100, rows: 10_000, ms: 5 },
      { queryid: '3', query: 'SELECT id FROM tags WHERE name = $1', calls: 3000, rows: 30_000, ms: 5 },
    ];
    const found = chattyStatements(before, after, 100);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ queryid: '1', calls: 10_000, callsPerRequest: 100, rowsPerCall: 1, msPerRequest: 0.3 });
    expect(chattyStatements(before, after, 0)).toEqual([]);
  });
});
