// Executors against a synthetic workload whose latency we control: counts, durations, and coordinated-omission correction.
import { describe, expect, it } from 'vitest';
import { runArrivalRate } from '../../src/exec/arrival-rate.js';
import { runClosedLoop } from '../../src/exec/closed-loop.js';
import { Recorder, operationMetrics } from '../../src/exec/recorder.js';
import { sleep } from '../../src/exec/timeout.js';
import { MetricRegistry } from '../../src/metrics/registry.js';

const OP = operationMetrics('op', { meaning: 'latency', description: 'one operation', noun: 'operations' });

function recorder(reg = new MetricRegistry()) {
  const t0 = performance.now();
  return new Recorder({ registry: reg, metrics: OP, elapsed: () => (performance.now() - t0) / 1000 });
}

/** A "server" that answers in ~2 ms but stalls every caller between stallFrom and stallTo (ms since start). */
function stallingServer(stallFromMs: number, stallToMs: number) {
  const start = performance.now();
  return async () => {
    const now = performance.now() - start;
    if (now >= stallFromMs && now < stallToMs) await sleep(stallToMs - now);
    await sleep(2);
  };
}

describe('closed loop', () => {
  it('runs an exact iteration count across VUs and records each', async () => {
    const rec = recorder();
    const seen = new Set<number>();
    const res = await runClosedLoop({ vus: 4, iterations: 100, fn: async (vu) => void seen.add(vu), recorder: rec, signal: new AbortController().signal, timeoutMs: 1000 });
    expect(res.iterations).toBe(100);
    expect(rec.duration.count).toBe(100);
    expect(seen).toEqual(new Set([0, 1, 2, 3]));
  });

  it('records errors and timeouts as errors, by kind', async () => {
    const reg = new MetricRegistry();
    const rec = recorder(reg);
    const res = await runClosedLoop({
      vus: 1, iterations: 10, recorder: rec, signal: new AbortController().signal, timeoutMs: 50,
      fn: async (_vu, i) => {
        if (i % 5 === 0) throw Object.assign(new Error('boom'), { code: '42601' });
        if (i === 3) await sleep(200);
      },
    });
    expect(res.errors).toBe(3);
    expect(rec.errors.value).toBeCloseTo(0.3);
    expect(reg.counter(OP.errorKinds, { kind: '42601' }).count).toBe(2);
    expect(reg.counter(OP.errorKinds, { kind: 'TimeoutError' }).count).toBe(1);
  });

  it('replaces a VU stuck on a promise that never settles, counting one timeout, and still finishes on time', async () => {
    const reg = new MetricRegistry();
    const rec = recorder(reg);
    const t0 = performance.now();
    const res = await runClosedLoop({
      vus: 2, durationMs: 300, recorder: rec, signal: new AbortController().signal, timeoutMs: 50,
      fn: (vu, i) => (vu === 0 && i === 0 ? new Promise<void>(() => undefined) : sleep(2)),
    });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(reg.counter(OP.errorKinds, { kind: 'TimeoutError' }).count).toBe(1);
    expect(res.errors).toBe(1);
    // The replacement VU kept working after the timeout: far more than one VU's worth of iterations.
    expect(rec.duration.count).toBeGreaterThan(100);
  });

  it('think time paces each VU but is neither timed nor held against the iteration bound', async () => {
    const rec = recorder();
    const res = await runClosedLoop({ vus: 2, iterations: 10, thinkTimeMs: 30, timeoutMs: 10, fn: () => sleep(1), recorder: rec, signal: new AbortController().signal });
    expect(res.timedOut).toBe(0);
    expect(res.succeeded).toBe(10);
    expect(rec.duration.percentile(100)).toBeLessThan(30); // the 30 ms pause is not in any latency
    expect(res.elapsedMs).toBeGreaterThanOrEqual(4 * 30); // 5 iterations per VU, 4 pauses between them at least
  });

  it('stops on abort', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const res = await runClosedLoop({ vus: 2, durationMs: 10_000, fn: () => sleep(5), recorder: recorder(), signal: ac.signal, timeoutMs: 1000 });
    expect(res.interrupted).toBe(true);
    expect(res.elapsedMs).toBeLessThan(1000);
  });

  it('an abort ends a think-time pause at once', async () => {
    const ac = new AbortController();
    const res = runClosedLoop({ vus: 2, durationMs: 60_000, thinkTimeMs: 30_000, fn: () => sleep(1), recorder: recorder(), signal: ac.signal, timeoutMs: 1000 });
    setTimeout(() => ac.abort(), 50);
    const r = await res;
    expect(r.succeeded).toBe(2);
    expect(r.elapsedMs).toBeLessThan(1000);
  });

  describe('with a callback step', () => {
    it('counts successes, failures and timeouts as the promise form does; a second done is ignored', async () => {
      const reg = new MetricRegistry();
      const rec = recorder(reg);
      const res = await runClosedLoop({
        vus: 1, iterations: 10, recorder: rec, signal: new AbortController().signal, timeoutMs: 50,
        step: (_vu, i, done) => {
          if (i % 5 === 0) return setTimeout(() => { done(Object.assign(new Error('boom'), { code: '42601' })); done(); }, 1);
          if (i === 3) return setTimeout(done, 200);
          setTimeout(() => { done(); done(new Error('late')); }, 1);
        },
      });
      expect(res).toMatchObject({ started: 10, succeeded: 7, failed: 2, timedOut: 1 });
      expect(rec.duration.count).toBe(7);
      expect(reg.counter(OP.errorKinds, { kind: '42601' }).count).toBe(2);
      expect(reg.counter(OP.errorKinds, { kind: 'TimeoutError' }).count).toBe(1);
      expect(reg.counter(OP.errorKinds, { kind: 'Error' }).count).toBe(0);
    });

    it('iterations that end inside step (or throw) neither grow the stack nor keep the abort and timers from firing', async () => {
      const ac = new AbortController();
      let timerFired = false;
      setTimeout(() => {
        timerFired = true;
        ac.abort();
      }, 50);
      let n = 0;
      const res = await runClosedLoop({
        vus: 2, durationMs: 60_000, recorder: recorder(), signal: ac.signal, timeoutMs: 1000,
        step: (_vu, _i, done) => {
          if (++n % 2) throw new Error('refused at once');
          done(new Error('closed'));
        },
      });
      expect(timerFired).toBe(true);
      expect(res.interrupted).toBe(true);
      expect(res.failed).toBe(res.started);
      expect(res.started).toBeGreaterThan(100);
    });

    it('ends at once with no VUs', async () => {
      const res = await runClosedLoop({ vus: 0, durationMs: 60_000, recorder: recorder(), signal: new AbortController().signal, timeoutMs: 1000, step: (_v, _i, done) => done() });
      expect(res.started).toBe(0);
    });
  });
});

describe('arrival rate', () => {
  it('starts iterations at the requested rate', async () => {
    const rec = recorder();
    const res = await runArrivalRate({ rate: 200, durationMs: 1000, maxVus: 10, fn: () => sleep(1), recorder: rec, signal: new AbortController().signal, timeoutMs: 1000 });
    expect(res.iterations).toBe(200);
    expect(res.dropped).toBe(0);
  });

  it('shows a 1 s stall in its corrected p99 while a closed loop hides it', async () => {
    const open = recorder();
    await runArrivalRate({ rate: 100, durationMs: 3000, maxVus: 4, fn: stallingServer(1000, 2000), recorder: open, signal: new AbortController().signal, timeoutMs: 5000 });
    const closed = recorder();
    await runClosedLoop({ vus: 4, durationMs: 3000, fn: stallingServer(1000, 2000), recorder: closed, signal: new AbortController().signal, timeoutMs: 5000 });
    // Open loop: every request meant to start during the stall waited for it: ~1/3 of them, up to ~1 s.
    expect(open.duration.percentile(99)).toBeGreaterThan(800);
    expect(open.duration.percentile(75)).toBeGreaterThan(100);
    // Closed loop: 4 VUs each saw the stall once among ~2000 fast iterations, so p99 stays fast.
    expect(closed.duration.percentile(99)).toBeLessThan(50);
    expect(closed.duration.summary().max).toBeGreaterThan(800);
  });
});

describe('every attempt accounted for', () => {
  it('open loop: offered = started + dropped, started = succeeded + failed + timed out; drops are failed attempts', async () => {
    const reg = new MetricRegistry();
    const rec = new Recorder({ registry: reg, metrics: OP, elapsed: () => 0, outcomeCounters: true });
    // One VU that needs 40 ms per iteration, 100 offered per second, a backlog of 3: most are dropped.
    const res = await runArrivalRate({
      rate: 100, durationMs: 500, maxVus: 1, maxBacklog: 3, drainMs: 100, timeoutMs: 1000, recorder: rec, signal: new AbortController().signal,
      fn: async (_vu, i) => {
        await sleep(40);
        if (i % 4 === 3) throw new Error('boom');
      },
    });
    expect(res.offered).toBe(50);
    expect(res.dropped).toBeGreaterThan(20);
    expect(res.offered).toBe(res.started + res.dropped);
    expect(res.started).toBe(res.succeeded + res.failed + res.timedOut);
    expect(rec.errors.total).toBe(res.offered);
    expect(rec.errors.hits).toBe(res.failed + res.timedOut + res.dropped);
    expect(rec.droppedCount).toBe(res.dropped);
    expect(reg.counter(OP.dropped).count).toBe(res.dropped);
    // Throughput is what succeeded, never what was attempted.
    expect(res.throughput).toBeCloseTo(res.succeeded / (res.elapsedMs / 1000), 6);
  });

  it('closed loop: timeouts are counted apart from other failures', async () => {
    const reg = new MetricRegistry();
    const rec = new Recorder({ registry: reg, metrics: OP, elapsed: () => 0, outcomeCounters: true });
    const res = await runClosedLoop({
      vus: 1, iterations: 6, timeoutMs: 50, recorder: rec, signal: new AbortController().signal,
      fn: async (_vu, i) => {
        if (i === 1) await new Promise(() => undefined); // never settles: the sweep times it out
        if (i === 2) throw new Error('boom');
      },
    });
    expect(res).toMatchObject({ offered: 6, started: 6, succeeded: 4, failed: 1, timedOut: 1, dropped: 0 });
    expect(reg.counter(OP.timeouts).count).toBe(1);
    expect(rec.timedOut).toBe(1);
  });
});
