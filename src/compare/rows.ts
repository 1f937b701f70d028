// What a report shows of a comparison: the judged figures, regressions first, as rows of formatted cells.
import { formatNumber, formatValue } from '../report/format.js';
import { formatMargin } from './margin.js';
import type { Comparison, MetricChange } from './model.js';

export interface ChangeRow {
  check: string;
  metric: string;
  stat: string;
  baseline: string;
  current: string;
  change: string;
  verdict: 'regression' | 'improved' | 'ok' | 'info';
  source: MetricChange;
}

/** `+12.5%`, `-3.1%`, `new` when the baseline was zero. */
export function formatChange(change: number | null): string {
  if (change === null) return 'new';
  const pct = change * 100;
  if (pct === 0) return '0%';
  return `${pct > 0 ? '+' : ''}${formatNumber(Number(pct.toPrecision(3)))}%`;
}

function verdictOf(c: MetricChange, margin: number): ChangeRow['verdict'] {
  if (c.regression) return 'regression';
  if (!c.judged || c.better === 'none') return 'info';
  const gain = c.change === null ? 0 : c.better === 'lower' ? -c.change : c.change;
  return gain > margin ? 'improved' : 'ok';
}

/**
 * The rows a report shows: every judged figure (and the p50/p99 beside a judged p95), regressions first, then by how much
 * each got worse. `all` adds the figures that are never judged (counters, plain gauges).
 */
export function changeRows(cmp: Comparison, all = false): ChangeRow[] {
  const shown = cmp.changes.filter((c) => all || c.judged || c.stat.startsWith('p'));
  const worse = (c: MetricChange) => (c.change === null ? 0 : c.better === 'lower' ? c.change : c.better === 'higher' ? -c.change : 0);
  const byMetric = new Map<string, MetricChange[]>();
  for (const c of shown) {
    const key = `${c.checkId} ${c.metric}`;
    byMetric.set(key, [...(byMetric.get(key) ?? []), c]);
  }
  const groups = [...byMetric.values()].sort((a, b) => {
    const ra = a.some((c) => c.regression) ? 1 : 0;
    const rb = b.some((c) => c.regression) ? 1 : 0;
    const wa = Math.max(...a.filter((c) => c.judged).map(worse), -Infinity);
    const wb = Math.max(...b.filter((c) => c.judged).map(worse), -Infinity);
    return rb - ra || wb - wa;
  });
  return groups.flat().map((c) => ({
    check: c.checkId, metric: c.metric, stat: c.stat,
    baseline: formatValue(c.baseline, c.unit), current: formatValue(c.current, c.unit),
    change: formatChange(c.change), verdict: verdictOf(c, cmp.maxRegression), source: c,
  }));
}

/** One sentence: `2 regressions beyond 10% (p95 of judged latencies, rates, throughput)` or `no regression beyond 10%`. */
export function comparisonHeadline(cmp: Comparison): string {
  const n = cmp.regressions.length;
  const margin = formatMargin(cmp.maxRegression);
  if (n === 0) return `No regression beyond ${margin} (${cmp.changes.filter((c) => c.judged).length} figures compared).`;
  const list = cmp.regressions.map((r) => `${r.checkId} ${r.metric} ${r.stat} ${formatChange(r.change)}`).join('; ');
  return `${n} regression${n === 1 ? '' : 's'} beyond ${margin}: ${list}.`;
}
