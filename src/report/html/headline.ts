// The chart that answers a category's question: each check's own headline, as the check declared it in its result
// (kind, titles, axes, points, marks: src/checks/types.ts, `headline`), drawn here as it is. A category whose checks
// declare none answers with the latency of each operation it timed (its trends declared `latency`), against the p95
// limit its thresholds set, or else with its findings as a table. Nothing here reads a check's id or a metric's name.
import type { CheckResult, Headline, HeadlinePanel, LinePanel, TablePanel, ThresholdOutcome, TrendMetric } from '../../result/model.js';
import { parseSelector, parseThreshold } from '../../verdict/threshold-parser.js';
import { formatMs, formatValue } from '../format.js';
import { percentileChart, type PercentileRow } from './bars.js';
import { esc } from './escape.js';
import { findingsTable } from './findings.js';
import { legend, lineChart } from './svg.js';

const ROW_CLASS = { bad: 'regression', emphasis: 'judged' } as const;

function lineFigure(p: LinePanel): string {
  const svg = lineChart(p.series, {
    title: p.title, xTitle: p.xTitle, yTitle: p.yTitle, large: true,
    ...(p.xLabels ? { xLabels: p.xLabels } : {}), ...(p.xMarks ? { xMarkers: p.xMarks } : {}), ...(p.yMarks ? { yMarkers: p.yMarks } : {}),
    ...(p.bands ? { bands: p.bands } : {}), ...(p.yMin !== undefined ? { yMin: p.yMin } : {}),
  });
  return svg ? `<figcaption>${esc(p.caption)}</figcaption>${svg}${p.series.filter((s) => s.points.length > 0).length > 1 ? legend(p.series) : ''}` : '';
}

function tableHtml(p: TablePanel): string {
  if (p.rows.length === 0) return '';
  const numeric = (i: number) => (p.columns[i]?.unit !== undefined ? ' class="n"' : '');
  const cell = (v: string | number, i: number) => `<td${numeric(i)}>${esc(typeof v === 'number' ? formatValue(v, p.columns[i]?.unit ?? '') : v)}</td>`;
  const head = p.columns.map((c, i) => `<th${numeric(i)}>${esc(c.title)}</th>`).join('');
  const body = p.rows.map((r) => `<tr${r.mark ? ` class="${ROW_CLASS[r.mark]}"` : ''}>${r.cells.map(cell).join('')}</tr>`).join('');
  return `<div class="scroll"><table${p.role ? ` class="${esc(p.role)}"` : ''}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

/** One panel's HTML, and whether it draws something of its own (words alone make no figure). */
function panelHtml(p: HeadlinePanel): { html: string; drawn: boolean } {
  switch (p.kind) {
    case 'line': {
      const html = lineFigure(p);
      return { html, drawn: html !== '' };
    }
    case 'percentiles': {
      const svg = percentileChart(p.rows, { title: p.title, ...(p.limit ? { limitMs: p.limit.at, limitLabel: p.limit.label } : {}) });
      return { html: svg ? `<figcaption>${esc(p.caption)}</figcaption>${svg}` : '', drawn: svg !== '' };
    }
    case 'table': {
      const html = tableHtml(p);
      return { html, drawn: html !== '' };
    }
    case 'text': {
      const html = `${p.heading ? `<h4>${esc(p.heading)}</h4>` : ''}${p.paragraphs.map((x) => `<p${x.muted ? ' class="muted"' : ''}>${esc(x.text)}</p>`).join('')}`;
      return { html, drawn: false };
    }
  }
}

/** A declared headline as one figure; '' when none of its charts or tables has anything to draw. `attrs` go on the figure. */
export function drawHeadline(h: Headline, attrs: { live?: string } = {}): string {
  const parts = h.panels.map(panelHtml);
  if (!parts.some((p) => p.drawn)) return '';
  const open = attrs.live === undefined ? '<figure class="headline">' : `<figure class="headline live" data-live-check="${esc(attrs.live)}">`;
  return `${open}${parts.map((p) => p.html).join('')}</figure>`;
}

/** The p95 limit the checks' thresholds set on one of `names` (`p(95)<200`), read with the threshold parser. */
function p95Limit(thresholds: ThresholdOutcome[], names: Set<string>): number | undefined {
  for (const t of thresholds) {
    try {
      const expr = parseThreshold(t.expression, 'threshold');
      if (names.has(parseSelector(t.metric, 'threshold').name) && expr.aggregate.kind === 'percentile' && expr.aggregate.p === 95 && (expr.op === '<' || expr.op === '<=')) return expr.value;
    } catch (err) {
      void err; // a hand-edited run.json may hold anything: no limit line from it
    }
  }
  return undefined;
}

/** Each operation the checks timed (trends declared `latency`), by p50, p95 and p99, against the p95 limit set on them. */
function latencyHeadline(checks: CheckResult[]): Headline {
  const trends = checks.flatMap((c) => c.metrics).filter((m): m is TrendMetric => m.type === 'trend' && m.meaning === 'latency' && m.summary.count > 0);
  const rows: PercentileRow[] = trends.map((m) => {
    const p = m.summary.percentiles;
    const tags = Object.values(m.tags);
    return { label: tags.length ? tags.join(' · ') : m.name, p50: p.p50 ?? Number.NaN, p95: p.p95 ?? Number.NaN, p99: p.p99 ?? Number.NaN };
  });
  const limit = p95Limit(checks.flatMap((c) => c.thresholds), new Set(trends.map((m) => m.name)));
  const caption = limit === undefined ? `Latency of each operation (${rows.length})` : `Latency of each operation (${rows.length}): is any slower than the limit?`;
  return { panels: [{ kind: 'percentiles', caption, title: 'Latency by operation', rows, ...(limit !== undefined ? { limit: { at: limit, label: `p95 limit ${formatMs(limit)}`, kind: 'limit' } } : {}) }] };
}

/** The category's charts or table; '' when nothing it measured earns one. */
export function headline(checks: CheckResult[]): string {
  const ran = checks.filter((c) => c.status !== 'skip');
  const declared = ran.flatMap((c) => (c.headline ? [drawHeadline(c.headline)] : [])).filter(Boolean);
  if (declared.length) return declared.join('');
  return drawHeadline(latencyHeadline(ran)) || findingsTable(checks);
}
