// Figure 2's same-mix base: redis-benchmark's GET and SET … EX rates of one round weighted by time per command.
import { describe, expect, it } from 'vitest';
import { mixOf } from '../../bench/lib/fig2-redis.js';
import { summarise } from '../../bench/lib/rounds.js';

describe('mixOf', () => {
  it('weights each round by time per command, not by rate: 80 % at 100/s and 20 % at 50/s make 83.3/s', () => {
    const get = summarise('get', [{ ops: 1000, seconds: 10, cpuSeconds: 1 }, { ops: 2000, seconds: 10, cpuSeconds: 2 }]);
    const set = summarise('set', [{ ops: 500, seconds: 10, cpuSeconds: 1 }, { ops: 1000, seconds: 10, cpuSeconds: 1 }]);
    const mix = mixOf(get, set, 0.2);
    expect(mix.rounds.map((r) => r.ops / r.seconds)).toEqual([expect.closeTo(1 / (0.8 / 100 + 0.2 / 50), 9), expect.closeTo(1 / (0.8 / 200 + 0.2 / 100), 9)]);
    // CPU per command weighted the same way: 0.8 × 1 ms + 0.2 × 2 ms in the first round.
    expect((mix.rounds[0]!.cpuSeconds / mix.rounds[0]!.ops) * 1e3).toBeCloseTo(0.8 * 1 + 0.2 * 2, 9);
    expect(mixOf(get, set, 0).rounds.map((r) => r.ops / r.seconds)).toEqual([100, 200]);
  });
});
