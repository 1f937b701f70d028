// Saturation: the pure judgement of the probe's figures, and failed timing thresholds softened into warnings.
import { describe, expect, it } from 'vitest';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { serializeMetrics } from '../../src/metrics/serialize.js';
import { judgeSaturation, parseProcStat, type SaturationFigures, type SaturationReport } from '../../src/resources/saturation.js';
import type { ThresholdOutcome } from '../../src/result/model.js';
import { SATURATED, softenUnderSaturation } from '../../src/verdict/saturation.js';

const calm: SaturationFigures = { intervalMs: 5000, clientCpuPercent: 30, eventLoopDelayP99Ms: 2, eventLoopDelayMaxMs: 8, hostCpuPercent: 40, hostCpuFrom: '/proc/stat', cores: 2, loadPerCore: 3 };

describe('judgeSaturation', () => {
  it('is calm under every limit, and ignores the load average over a short check', () => {
    expect(judgeSaturation(calm)).toEqual({ saturated: false, reasons: [] });
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
  });

  it('reads the aggregate cpu line of /proc/stat: idle and iowait idle, the rest busy', () => {
    const text = 'cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 50 2 25 400 20 1 1 0 0 0\nintr 1\n';
    expect(parseProcStat(text)).toEqual({ busy: 160, total: 1000 });
    expect(parseProcStat('nothing here')).toBeUndefined();
  });
});

function metricsOf(): ReturnType<typeof serializeMetrics> {
  const r = new MetricRegistry();
  r.describe('query_duration', { meaning: 'latency' }).describe('query_errors', { meaning: 'share', better: 'lower' }).describe('orphans', { meaning: 'defects' });
  r.trend('query_duration', { query: 'a' }).record(500);
  r.rate('query_errors').add(true);
  r.counter('orphans').add(3);
  r.gauge('mystery').set(1);
  return serializeMetrics(r, 1);
}

const outcome = (metric: string, expression: string, actual: number | null, level: 'fail' | 'warn' = 'fail'): ThresholdOutcome =>
  ({ metric, expression, level, ok: false, actual, unit: '', source: 'default' });

describe('softenUnderSaturation', () => {
  const saturated: SaturationReport = { saturated: true, reasons: ['the host\'s 2 cores were 99% busy (limit 90%)'], figures: { ...calm, hostCpuPercent: 99 } };
  const outcomes = [
    outcome('query_duration{query:a}', 'p(95)<100', 500),
    outcome('query_errors', 'rate<0.01', 1),
    outcome('orphans', 'count==0', 3),
    outcome('mystery', 'value<0', 1),
    outcome('query_duration{query:never}', 'p(95)<100', null),
    { ...outcome('query_duration', 'avg<1', 500), ok: true },
  ];

  it('turns only failed latency/throughput/duration thresholds into warnings, and says why', () => {
    const v = softenUnderSaturation(outcomes, metricsOf(), saturated);
    expect(v.outcomes.map((o) => o.level)).toEqual(['warn', 'fail', 'fail', 'fail', 'fail', 'fail']);
    expect(v.softened.map((o) => o.metric)).toEqual(['query_duration{query:a}']);
    expect(v.note).toBe(`query_duration{query:a} p(95)<100: ${SATURATED} (the host's 2 cores were 99% busy (limit 90%)), so a miss is a warning, not a failure`);
  });

  it('changes nothing when not saturated, or when the config asks for failures anyway', () => {
    const calmReport: SaturationReport = { saturated: false, reasons: [], figures: calm };
    expect(softenUnderSaturation(outcomes, metricsOf(), calmReport)).toEqual({ outcomes, softened: [], note: undefined });
    expect(softenUnderSaturation(outcomes, metricsOf(), undefined).outcomes).toBe(outcomes);
    expect(softenUnderSaturation(outcomes, metricsOf(), saturated, { failWhenSaturated: true }).outcomes).toBe(outcomes);
  });
});
