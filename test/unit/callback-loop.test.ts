import { describe, expect, it } from 'vitest';
import { runCallbackLoop } from '../../src/exec/callback-loop.js';

describe('runCallbackLoop', () => {
  it('runs every VU back to back until the deadline and resolves only after the iterations in flight ended', async () => {
    const perVu = [0, 0, 0];
    let inFlight = 0;
    let maxInFlight = 0;
    const res = await runCallbackLoop({
      vus: 3, durationMs: 60, signal: new AbortController().signal,
      step: (vu, done) => {
        perVu[vu]!++;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        setTimeout(() => {
          inFlight--;
          done();
        }, 2);
      },
    });
    expect(inFlight).toBe(0);
    expect(maxInFlight).toBe(3); // one iteration per VU at a time, all VUs at once
    expect(res.iterations).toBe(perVu.reduce((a, b) => a + b, 0));
    for (const n of perVu) expect(n).toBeGreaterThan(3);
    expect(res.elapsedMs).toBeGreaterThanOrEqual(60);
  });

  it('iterations that end synchronously neither overflow the stack nor keep the abort signal from firing', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 30);
    const res = await runCallbackLoop({ vus: 2, durationMs: 60_000, signal: stop.signal, step: (_vu, done) => done() });
    expect(res.iterations).toBeGreaterThan(100);
    expect(res.elapsedMs).toBeLessThan(10_000);
  });

  it('an abort starts no new iteration; the one in flight still ends before the loop resolves', async () => {
    const stop = new AbortController();
    let started = 0;
    let ended = 0;
    const res = await runCallbackLoop({
      vus: 1, durationMs: 60_000, signal: stop.signal,
      step: (_vu, done) => {
        started++;
        if (started === 3) stop.abort();
        setTimeout(() => {
          ended++;
          done();
        }, 5);
      },
    });
    expect(started).toBe(3);
    expect(ended).toBe(3);
    expect(res.iterations).toBe(3);
  });

  it('zero VUs resolve at once', async () => {
    expect((await runCallbackLoop({ vus: 0, durationMs: 1000, signal: new AbortController().signal, step: () => undefined })).iterations).toBe(0);
  });
});
