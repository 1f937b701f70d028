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
  /** `±0.8 ms`: how far apart the two figures may be by chance; empty for figures not judged. */
  noise: string;
  verdict: 'regression' | 'improved' | 'ok' | 'info' | 'saturated';
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
  if (c.saturated) return 'saturated';
  if (!c.judged || c.better === 'none') return 'info';
  const gain = c.change === null ? 0 : c.better === 'lower' ? -c.change : c.change;
  // Improved means the mirror image of a regression: beyond the margin and beyond the noise.
  return gain > margin && Math.abs(c.current - c.baseline) > (c.noise ?? 0) ? 'improved' : 'ok';
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
    change: formatChange(c.change), noise: c.noise === undefined ? '' : `±${formatValue(c.noise, c.unit)}`,
    verdict: verdictOf(c, cmp.maxRegression), source: c,
  }));
}

/**
 * One sentence naming every regression: checks whose status worsened first, then figures worse beyond the noise and the
 * margin; or how much was compared when nothing regressed.
 */
export function comparisonHeadline(cmp: Comparison): string {
  const margin = formatMargin(cmp.maxRegression);
  const named = [
    ...cmp.statusRegressions.map((s) => `${s.checkId} ${s.baseline} → ${s.current}`),
    ...cmp.regressions.map((r) => `${r.checkId} ${r.metric} ${r.stat} ${formatChange(r.change)}${r.noise ? ` (noise ±${formatValue(r.noise, r.unit)})` : ''}`),
  ];
  const n = named.length;
  const sat = cmp.changes.filter((c) => c.saturated).length;
  const satNote = sat ? ` ${sat} timing figure${sat === 1 ? ' was' : 's were'} not judged: measured while the client/host was saturated.` : '';
  if (n === 0) {
    const judged = cmp.changes.filter((c) => c.judged && !c.saturated).length;
    return `No regression: no check status got worse, and none of ${judged} figures compared got worse beyond the noise of both runs and ${margin}.${satNote}`;
  }
  return `${n} regression${n === 1 ? '' : 's'} (beyond the noise of both runs and ${margin}): ${named.join('; ')}.${satNote}`;
}
