// The pure parts of the tasks verdicts: backlog slope and keep-up against known series, advice, expected outcomes.
import { describe, expect, it } from 'vitest';
import { judgeOutcome, parseExpectedError } from '../../src/checks/tasks/errors-judge.js';
import { keepUpAdvice, slopePerSecond, steadyFigures, type BacklogSample } from '../../src/checks/tasks/throughput-judge.js';
import { leaseHeld } from '../../src/targets/celery/redis-backend.js';
import type { TaskOutcome } from '../../src/targets/celery/target.js';

/** Samples every 250 ms over `seconds` of a backlog that starts at `start` and grows by `perS` (plus ± jitter). */
function backlog(start: number, perS: number, seconds: number, jitter = 0): BacklogSample[] {
  return Array.from({ length: seconds * 4 + 1 }, (_, i) => {
    const t = i * 250;
    const v = Math.max(0, Math.round(start + (perS * t) / 1000 + (i % 2 === 0 ? jitter : -jitter)));
    return { t, depth: v, outstanding: v };
  });
}

describe('slope and keep-up', () => {
  it('slopePerSecond recovers a known line and needs three points', () => {
    expect(slopePerSecond([[0, 1], [1000, 3], [2000, 5]])).toBeCloseTo(2, 9);
    expect(slopePerSecond([[0, 1], [1000, 3]])).toBeNull();
    expect(slopePerSecond([[5, 1], [5, 2], [5, 3]])).toBeNull();
  });

  it('a worker completing 7/s of 50/s offered keeps up 14 %', () => {
    const f = steadyFigures(backlog(20, 43, 4), 0, 4000, 200, 200, 4000);
    expect(f.offeredPerS).toBe(50);
    expect(f.growthPerS).toBeCloseTo(43, 0);
    expect(f.keepUp).toBeCloseTo(0.14, 2);
    expect(f).toMatchObject({ basis: 'outstanding', depthStart: 20 });
  });

  it('a backlog that drains is above 1, a flat one near 1 despite jitter, never capped by the send rate', () => {
    expect(steadyFigures(backlog(200, -30, 4), 0, 4000, 200, 200, 4000).keepUp).toBeCloseTo(1.6, 1);
    expect(steadyFigures(backlog(3, 0, 4, 2), 0, 4000, 200, 200, 4000).keepUp).toBeGreaterThan(0.97);
  });

  it('tasks in flight ramping up at the start (a 2 s task at 50/s) are not a growing backlog', () => {
    const samples = Array.from({ length: 21 }, (_, i) => {
      const t = i * 250;
      const v = Math.min(100, Math.round((50 * t) / 1000));
      return { t, depth: 0, outstanding: v };
    });
    expect(steadyFigures(samples, 0, 5000, 250, 250, 5000).keepUp).toBeCloseTo(1, 1);
  });

  it('failed publishes lower keep-up: completion is judged against what was offered', () => {
    // Half the publishes failed; the workers finished all that arrived.
    expect(steadyFigures(backlog(0, 0, 4), 0, 4000, 200, 100, 4000).keepUp).toBeCloseTo(0.5, 2);
  });

  it('uses the queue depth without a result backend, and says nothing from too few samples', () => {
    const depthOnly = backlog(0, 10, 4).map(({ t, depth }) => ({ t, depth }));
    expect(steadyFigures(depthOnly, 0, 4000, 200, 200, 4000)).toMatchObject({ basis: 'queue depth', keepUp: 0.8 });
    expect(steadyFigures(depthOnly.slice(0, 10), 0, 4000, 200, 200, 4000).keepUp).toBeNull();
  });
});

describe('keep-up advice', () => {
  it('names the processes needed, prefetch for short tasks, and acks_late with prefetch 1', () => {
    const advice = keepUpAdvice({ workers: 1, concurrency: 2, prefetchMultiplier: 1, acksLate: true, offeredPerS: 50, capacityPerS: 7, queue: 'q' });
    expect(advice[0]).toMatch(/2 process\(es\) completed 7 tasks\/s \(3\.5\/s each\); 50\/s needs about 18 \(raise `--concurrency` to 18, or run 9 workers of 2 processes on "q"\)/);
    expect(advice.join(' ')).toMatch(/task_acks_late is on with prefetch multiplier 1/);
    expect(advice.join(' ')).not.toMatch(/worker_prefetch_multiplier/); // 286 ms per task: prefetch is not the lever
    const short = keepUpAdvice({ workers: 1, concurrency: 4, prefetchMultiplier: 1, acksLate: false, offeredPerS: 500, capacityPerS: 100, queue: 'q' });
    expect(short.join(' ')).toMatch(/Raise `worker_prefetch_multiplier` \(now 1\): each process spends 40 ms per task/);
  });
});

const outcome = (status: string, retries = 0, result: unknown = null): TaskOutcome => ({ status, retries, result });
const exc = (type: string, message: string) => ({ exc_type: type, exc_message: [message], exc_module: 'builtins' });

describe('expected outcomes', () => {
  it('a retrying task must end in SUCCESS after at least one retry', () => {
    expect(judgeOutcome('retrying', outcome('SUCCESS', 2))).toEqual({ ok: true, why: '' });
    expect(judgeOutcome('retrying', outcome('SUCCESS', 0)).why).toBe('succeeded without a single retry');
    expect(judgeOutcome('retrying', outcome('FAILURE', 3, exc('ConnectionError', 'down'))).why).toBe('ended in FAILURE with ConnectionError: down after 3 retries, not in SUCCESS');
    expect(judgeOutcome('retrying', null).why).toBe('no final state arrived in time');
  });

  it('a failing task must fail with its own error, never with an argument mismatch', () => {
    const wrongArgs = outcome('FAILURE', 0, exc('TypeError', 'fails() takes 0 positional arguments but 1 was given'));
    expect(judgeOutcome('failing', wrongArgs).ok).toBe(false);
    expect(judgeOutcome('failing', wrongArgs).why).toMatch(/called with the wrong arguments \(TypeError: fails\(\) takes 0 positional/);
    expect(judgeOutcome('failing', outcome('FAILURE', 0, exc('TypeError', "missing 1 required keyword-only argument: 'x'")), 'ValueError').ok).toBe(false);
    // Unless a TypeError is what the task is meant to raise.
    expect(judgeOutcome('failing', wrongArgs, 'TypeError').ok).toBe(true);
    expect(judgeOutcome('failing', outcome('FAILURE', 0, exc('ValueError', 'planted failure')), 'ValueError: planted').ok).toBe(true);
    expect(judgeOutcome('failing', outcome('FAILURE', 0, exc('ValueError', 'planted failure')), 'builtins.ValueError').ok).toBe(true);
    expect(judgeOutcome('failing', outcome('FAILURE', 0, exc('ValueError', 'other')), 'ValueError: planted').why).toBe('failed with ValueError: other, expected a message containing "planted"');
    expect(judgeOutcome('failing', outcome('FAILURE', 0, exc('KeyError', 'k')), 'ValueError').why).toBe('failed with KeyError: k, expected ValueError');
    expect(judgeOutcome('failing', outcome('SUCCESS')).why).toBe('ended in SUCCESS, not in FAILURE');
    expect(judgeOutcome('failing', outcome('FAILURE', 0, exc('ValueError', 'x'))).ok).toBe(true);
  });

  it('parses the expected error', () => {
    expect(parseExpectedError('ValueError')).toEqual({ type: 'ValueError' });
    expect(parseExpectedError('app.errors.PaymentDeclined: card 4242')).toEqual({ type: 'app.errors.PaymentDeclined', text: 'card 4242' });
  });
});

describe('result-key leases', () => {
  it('a lease of a process on this host that is gone is not held; others are', () => {
    expect(leaseHeld(null)).toBe(false);
    expect(leaseHeld(`${process.pid}@h`, 'h')).toBe(true);
    expect(leaseHeld('2147483646@h', 'h')).toBe(false);
    expect(leaseHeld('2147483646@other-host', 'h')).toBe(true);
  });
});
