// Latency per category: the trends each check declared `latency` (each operation recorded once), merged from their
// histograms per category. One p95 over every operation is dominated by the most numerous (cache GETs); per category it
// answers "are the queries slower" on its own.
import { mergeTrends } from '../metrics/serialize.js';
import type { RunResult, TrendMetric } from '../result/model.js';
import type { TrendSummary } from '../metrics/trend.js';
import { groupByCategory } from '../checks/categories.js';

export interface CategoryLatency {
  category: string;
  summary: TrendSummary;
}

/** Categories in report order with the merged latency of their operations; categories that timed nothing are left out. */
export function latencyByCategory(result: RunResult): CategoryLatency[] {
  const out: CategoryLatency[] = [];
  for (const group of groupByCategory(result.checks)) {
    const trends = group.checks.flatMap((c) => c.metrics.filter((m): m is TrendMetric => m.type === 'trend' && m.meaning === 'latency' && m.summary.count > 0));
    if (trends.length === 0) continue;
    out.push({ category: group.category, summary: mergeTrends(trends).summary() });
  }
  return out;
}
