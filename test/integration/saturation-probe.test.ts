// The saturation probe for real: children keeping every core busy saturate the host; a busy event loop saturates the client.
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { startSaturationProbe } from '../../src/resources/saturation.js';
import { busyCore } from '../helpers/busy-cores.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

const spinFor = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* keep this thread busy: that is the test */ }
};

describe('saturation probe', () => {
  it('sees the host saturated while every core is kept busy by another process', async () => {
    await Promise.all(Array.from({ length: os.availableParallelism() }, () => busyCore(children)));
    const probe = startSaturationProbe();
    await new Promise((r) => setTimeout(r, 1500));
    const report = probe.stop();
    expect(report.figures.hostCpuPercent, JSON.stringify(report.figures)).toBeGreaterThanOrEqual(90);
    expect(report.saturated).toBe(true);
    expect(report.reasons.join()).toMatch(/the host's \d+ cores were [\d.]+% busy/);
    // stackprobe itself slept: its own CPU stayed low whatever the host did.
    expect(report.figures.clientCpuPercent).toBeLessThan(50);
  });

  it('sees the client saturated when its own thread is kept busy and its event loop blocked', async () => {
    const cpu0 = process.cpuUsage();
    const probe = startSaturationProbe();
    // Three blocks of 300 ms with a turn of the loop between them: the loop is late by ~300 ms at least once.
    for (let i = 0; i < 3; i++) {
      spinFor(300);
      await new Promise((r) => setImmediate(r));
    }
    const report = probe.stop();
    const used = process.cpuUsage(cpu0);
    const f = report.figures;
    expect(f.eventLoopDelayMaxMs, JSON.stringify(f)).toBeGreaterThan(200);
    expect(report.saturated).toBe(true);
    expect(report.reasons.join()).toMatch(/stackprobe's event loop was late by [\d.]+ ms at p99/);
    // The CPU figure is the CPU this process used over the interval (on a host this busy, spinning 300 ms of wall time
    // may get only a third of a core, so the figure is checked against what was used, not against 100 %).
    const measuredMs = (f.clientCpuPercent / 100) * f.intervalMs;
    expect(measuredMs).toBeGreaterThan(0.8 * ((used.user + used.system) / 1000) - 20);
    expect(measuredMs).toBeLessThanOrEqual((used.user + used.system) / 1000 + 5);
    expect(probe.stop()).toBe(report);
  });
});
