// Makes an "artificially slower" copy of a run: one trend's histogram re-recorded with every value shifted by `addMs`.
import { metricKey } from '../../src/metrics/registry.js';
import { Trend } from '../../src/metrics/trend.js';
import type { RunResult } from '../../src/result/model.js';
import { recordedValues } from '../../src/report/html/buckets.js';

export function slowerRun(result: RunResult, checkId: string, metric: string, addMs: number): RunResult {
  const copy = structuredClone(result);
  const check = copy.checks.find((c) => c.id === checkId);
  const m = check?.metrics.find((x) => x.type === 'trend' && metricKey(x.name, x.tags) === metric);
  if (!m || m.type !== 'trend') throw new Error(`no trend ${metric} in ${checkId}`);
  const shifted = new Trend();
  for (const [value, count] of recordedValues(m.histogram)) shifted.histogram.recordValueWithCount(Math.round((value + addMs) * 1000), count);
  m.histogram = shifted.encode();
  m.summary = shifted.summary();
  return copy;
}
