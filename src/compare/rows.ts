// What a report shows of a comparison: the judged figures, regressions first, as rows of formatted cells.
import { formatNumber, formatValue } from '../util/number-format.js';
import { formatMargin } from './margin.js';
import { judgedChange } from './compare.js';
import type { Comparison, MetricChange, OneSidedFigure } from './model.js';

export interface ChangeRow {
  check: string;
  metric: string;
  stat: string;
  baseline: string;
  current: string;
  change: string;
  /** `±0.8 ms`: how far apart the two figures may be by chance; empty for figures not judged. */
  noise: string;
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
  const change = judgedChange(c);
  const gain = change === null ? 0 : c.better === 'lower' || c.share ? -change : change;
  // Improved means the mirror image of a regression: beyond the margin and beyond the noise.
  return gain > margin && Math.abs(c.current - c.baseline) > (c.noise ?? 0) ? 'improved' : 'ok';
}

/**
 * The rows a report shows: by default only the figures that moved beyond the noise (regressions first, then
 * improvements); `all` adds every other figure, judged or not, each with why it was not judged.
 */
export function changeRows(cmp: Comparison, all = false): ChangeRow[] {
  const rows = cmp.changes.map((c) => ({ c, verdict: verdictOf(c, cmp.maxRegression) }));
  const shown = rows.filter((r) => all || r.verdict === 'regression' || r.verdict === 'improved');
  const worse = (c: MetricChange) => {
    const ch = judgedChange(c);
    return ch === null ? 0 : c.better === 'lower' || c.share ? ch : c.better === 'higher' ? -ch : 0;
  };
  const order: Record<ChangeRow['verdict'], number> = { regression: 0, improved: 1, ok: 2, info: 3 };
  shown.sort((a, b) => order[a.verdict] - order[b.verdict] || worse(b.c) - worse(a.c));
  const both = shown.map(({ c, verdict }): ChangeRow => ({
    check: c.checkId, metric: c.metric, stat: c.stat,
    baseline: formatValue(c.baseline, c.unit), current: formatValue(c.current, c.unit),
    change: formatChange(c.change), noise: c.noise === undefined || !c.judged ? '' : `±${formatValue(c.noise, c.unit)}`,
    verdict, source: c,
  }));
  return all ? [...both, ...cmp.oneSided.map(oneSidedRow)] : both;
}

/** A figure of one run only (a new task, a gone key pattern): its value beside "—", shown and never judged. */
function oneSidedRow(f: OneSidedFigure): ChangeRow {
  const inCurrent = f.side === 'current';
  const source: MetricChange = {
    checkId: f.checkId, metric: f.metric, stat: f.stat, unit: f.unit,
    baseline: inCurrent ? Number.NaN : f.value, current: inCurrent ? f.value : Number.NaN, change: null,
    better: 'none', judged: false, regression: false, unjudged: inCurrent ? 'only in the current run' : 'only in the baseline',
  };
  const value = formatValue(f.value, f.unit);
  return {
    check: f.checkId, metric: f.metric, stat: f.stat,
    baseline: inCurrent ? '—' : value, current: inCurrent ? value : '—',
    change: inCurrent ? 'new' : 'gone', noise: '', verdict: 'info', source,
  };
}

/** `99.2% → 98.5% (+0.7 points missed, +89%)` for a share judged on its bad side; `20.3 ms → 60.4 ms (+197%)` otherwise. */
function regressionText(r: MetricChange): string {
  const values = `${formatValue(r.baseline, r.unit)} → ${formatValue(r.current, r.unit)}`;
  const noise = r.noise ? `, noise ±${formatValue(r.noise, r.unit)}` : '';
  if (r.share && r.better === 'higher') return `${values} (what it misses ${formatChange(judgedChange(r))}${noise})`;
  return `${values} (${formatChange(r.change)}${noise})`;
}

/**
 * One sentence naming every regression: checks that newly fail first, then figures worse beyond the noise and the
 * margin; or how much was judged when nothing regressed, and how much was shown without being judged.
 */
export function comparisonHeadline(cmp: Comparison): string {
  const margin = formatMargin(cmp.maxRegression);
  const named = [
    ...cmp.statusRegressions.map((s) => `${s.checkId} ${s.baseline} → ${s.current}`),
    ...cmp.regressions.map((r) => `${r.checkId} ${r.metric} ${r.stat} ${regressionText(r)}`),
  ];
  const n = named.length;
  const judged = cmp.changes.filter((c) => c.judged).length;
  const unjudged = cmp.changes.length - judged;
  const sat = new Set(cmp.changes.filter((c) => c.saturated).map((c) => c.checkId)).size;
  const satNote = sat ? ` ${sat} check${sat === 1 ? ' was' : 's were'} measured while stackprobe's own client was saturated: ${sat === 1 ? 'its' : 'their'} timing noise is that much wider.` : '';
  const shownNote = unjudged ? ` ${unjudged} other figure${unjudged === 1 ? ' is' : 's are'} shown, not judged (--all).` : '';
  if (n === 0) {
    return `No regression: no check newly fails, and none of ${judged} judged figures got worse beyond the noise of both runs and ${margin}.${shownNote}${satNote}`;
  }
  return `${n} regression${n === 1 ? '' : 's'} (a check newly failing, or worse beyond the noise of both runs and ${margin}): ${named.join('; ')}.${satNote}`;
}
