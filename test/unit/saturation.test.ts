// Saturation: the pure judgement of the probe's figures, and timing thresholds missed on a saturated client marked untrusted.
import { describe, expect, it } from 'vitest';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { serializeMetrics } from '../../src/metrics/serialize.js';
import { judgeSaturation, parseProcStat, type SaturationFigures, type SaturationReport } from '../../src/resources/saturation.js';
import type { ThresholdOutcome } from '../../src/result/model.js';
import { statusFromOutcomes } from '../../src/verdict/evaluate.js';
import { UNTRUSTED, distrustUnderSaturation, hostNote } from '../../src/verdict/saturation.js';
import { decls } from '../helpers/decl.js';

const calm: SaturationFigures = { intervalMs: 5000, clientCpuPercent: 30, eventLoopDelayP99Ms: 2, eventLoopDelayMaxMs: 8, hostCpuPercent: 40, hostCpuFrom: '/proc/stat', cores: 2, loadPerCore: 3 };

describe('judgeSaturation', () => {
  it('is calm under every limit, and ignores the load average over a short check', () => {
    expect(judgeSaturation(calm)).toEqual({ saturated: false, reasons: [], client: [], host: [] });
  });

  it('names each limit crossed with its figure', () => {
    const r = judgeSaturation({ ...calm, clientCpuPercent: 97.3, eventLoopDelayP99Ms: 120, hostCpuPercent: 99, intervalMs: 90_000 });
    expect(r.saturated).toBe(true);
    expect(r.reasons).toEqual([
      'stackprobe used 97.3% of a CPU core (limit 90%)',
      'stackprobe\'s event loop was late by 120 ms at p99 (limit 50 ms)',
      'the host\'s 2 cores were 99% busy (limit 90%)',
      'the host\'s load average was 3 per core (limit 1.5)',
    ]);
    expect(r.client).toEqual(r.reasons.slice(0, 2));
    expect(r.host).toEqual(r.reasons.slice(2));
  });

  it('reads the aggregate cpu line of /proc/stat: idle and iowait idle, the rest busy', () => {
    const text = 'cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 50 2 25 400 20 1 1 0 0 0\nintr 1\n';
    expect(parseProcStat(text)).toEqual({ busy: 160, total: 1000 });
    expect(parseProcStat('nothing here')).toBeUndefined();
  });
});

function metricsOf(): ReturnType<typeof serializeMetrics> {
  const r = new MetricRegistry();
  const D = decls({ query_duration: { meaning: 'latency' }, query_errors: { meaning: 'share', better: 'lower' }, orphans: { meaning: 'defects' } });
  r.trend(D.trend('query_duration'), { query: 'a' }).record(500);
  r.rate(D.rate('query_errors')).add(true);
  r.counter(D.counter('orphans')).add(3);
  r.gauge(D.gauge('mystery')).set(1);
  return serializeMetrics(r, 1);
}

const outcome = (metric: string, expression: string, actual: number | null, level: 'fail' | 'warn' = 'fail'): ThresholdOutcome =>
  ({ metric, expression, level, ok: false, actual, unit: '', source: 'default' });

describe('distrustUnderSaturation', () => {
  const clientSaturated: SaturationReport = {
    saturated: true, reasons: ['stackprobe\'s event loop was late by 300 ms at p99 (limit 50 ms)'], client: ['stackprobe\'s event loop was late by 300 ms at p99 (limit 50 ms)'], host: [],
    figures: { ...calm, eventLoopDelayP99Ms: 300 },
  };
  const hostBusy: SaturationReport = {
    saturated: true, reasons: ['the host\'s 2 cores were 99% busy (limit 90%)'], client: [], host: ['the host\'s 2 cores were 99% busy (limit 90%)'], figures: { ...calm, hostCpuPercent: 99 },
  };
  const outcomes = [
    outcome('query_duration{query:a}', 'p(95)<100', 500),
    outcome('query_errors', 'rate<0.01', 1),
    outcome('orphans', 'count==0', 3),
    outcome('mystery', 'value<0', 1),
    outcome('query_duration{query:never}', 'p(95)<100', null),
    { ...outcome('query_duration', 'avg<1', 500), ok: true },
  ];

  it('marks only missed latency/throughput/duration thresholds untrusted when the client was saturated, and says why', () => {
    const v = distrustUnderSaturation(outcomes, metricsOf(), clientSaturated);
    expect(v.outcomes.map((o) => o.untrusted === true)).toEqual([true, false, false, false, false, false]);
    // Levels are never lowered: the miss stays a fail-level miss, only its trust changes.
    expect(v.outcomes.map((o) => o.level)).toEqual(outcomes.map((o) => o.level));
    expect(v.untrusted.map((o) => o.metric)).toEqual(['query_duration{query:a}']);
    expect(v.note).toBe(`query_duration{query:a} p(95)<100: missed, but ${UNTRUSTED} (stackprobe's event loop was late by 300 ms at p99 (limit 50 ms)), so the miss is untrusted: neither a pass nor a failure`);
  });

  it('gives the check the status untrusted when that was its only fail-level miss, never pass or warn', () => {
    const timingOnly = [outcome('query_duration{query:a}', 'p(95)<100', 500), outcome('query_duration{query:a}', 'p(95)<50', 500, 'warn')];
    expect(statusFromOutcomes(distrustUnderSaturation(timingOnly, metricsOf(), clientSaturated).outcomes)).toBe('untrusted');
    // A real failure beside it still fails.
    expect(statusFromOutcomes(distrustUnderSaturation(outcomes, metricsOf(), clientSaturated).outcomes)).toBe('fail');
    // A warn-level miss alone stays a warning (its exit code is 0 either way).
    expect(statusFromOutcomes(distrustUnderSaturation([timingOnly[1]!], metricsOf(), clientSaturated).outcomes)).toBe('warn');
  });

  it('changes nothing when only the host was busy: the miss fails as measured, and the host is said beside it', () => {
    const v = distrustUnderSaturation(outcomes, metricsOf(), hostBusy);
    expect(v).toEqual({ outcomes, untrusted: [], note: undefined });
    expect(statusFromOutcomes(v.outcomes)).toBe('fail');
    expect(hostNote(hostBusy, metricsOf())).toMatch(/^measured while the host was busy \(the host's 2 cores were 99% busy \(limit 90%\)\)/);
    expect(hostNote(clientSaturated, metricsOf())).toBeUndefined();
    // A check without timing figures (catalog reads, defects) is not concerned by a busy host.
    expect(hostNote(hostBusy, metricsOf().filter((m) => m.meaning !== 'latency' && m.meaning !== 'duration' && m.meaning !== 'throughput'))).toBeUndefined();
  });

  it('changes nothing when calm, or when the config asks for failures anyway', () => {
    const calmReport: SaturationReport = { saturated: false, reasons: [], client: [], host: [], figures: calm };
    expect(distrustUnderSaturation(outcomes, metricsOf(), calmReport)).toEqual({ outcomes, untrusted: [], note: undefined });
    expect(distrustUnderSaturation(outcomes, metricsOf(), undefined).outcomes).toBe(outcomes);
    expect(distrustUnderSaturation(outcomes, metricsOf(), clientSaturated, { failWhenSaturated: true }).outcomes).toBe(outcomes);
  });

  it('reads a report written before the client/host split as the client\'s (the cautious side)', () => {
    const old = { saturated: true, reasons: ['the host\'s 2 cores were 99% busy (limit 90%)'], figures: calm } as SaturationReport;
    expect(distrustUnderSaturation(outcomes, metricsOf(), old).untrusted).toHaveLength(1);
  });
});
