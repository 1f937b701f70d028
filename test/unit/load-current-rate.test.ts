// The current rate's arithmetic on known readings: calls between two readings with stackprobe's own left out, and the
// app's statement rate turned into requests of the mix.
import { describe, expect, it } from 'vitest';
import { callsBetween, currentRequestRate, type WindowRate } from '../../src/checks/load/current-rate.js';

const row = (queryid: string, calls: number) => ({ queryid, query: `q${queryid}`, calls, rows: calls, ms: calls });

describe('current rate', () => {
  it('counts the calls between readings, its own apart, a reset statement anew', () => {
    const r = callsBetween([row('1', 100), row('2', 50), row('own', 7)], [row('1', 250), row('2', 10), row('own', 30), row('3', 5)], new Set(['own']));
    expect(r).toMatchObject({ calls: 150 + 10 + 5, ownCalls: 23 });
    expect(r.top[0]).toEqual({ query: 'q1', calls: 150 });
  });

  it('turns statements a second into requests of the mix, the app\'s share of the stages taken out', () => {
    const w: WindowRate = { statementsPerS: 50, calls: 150, seconds: 3, ownCalls: 10, after: [row('app', 1000)], own: new Set(['own']), top: [{ query: 'SELECT 1', calls: 150 }] };
    expect(currentRequestRate(w, true)).toMatchObject({ rate: 50, statementsPerRequest: 1 });
    // 10 s of stages: 500 of the app's calls, 20 sampler rounds, 600 requests of 2 statements each.
    const stages = { before: [row('app', 1000)], after: [row('app', 1500), row('load', 1200), row('own', 500)], seconds: 10, requests: 600, samplerCalls: 20 };
    stages.after[1] = row('load', 1220);
    const r = currentRequestRate(w, false, stages);
    expect(r).toMatchObject({ statementsPerRequest: 2, rate: 25 });
    expect('source' in r && r.source).toMatch(/^pg_stat_statements over a 3\.0 s window just before the first stage: 50 statements\/s/);
    expect(currentRequestRate({ ...w, calls: 0, statementsPerS: 0 }, false, stages)).toMatchObject({ reason: expect.stringMatching(/no other client ran a statement/) });
  });
});
