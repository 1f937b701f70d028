// One category: its answer in a line, the one chart that shows it (headline.ts), and each check collapsed below with
// badges, reason, thresholds, findings, the charts that earn their place and tables of every metric.
import type { CheckResult, Finding, SerializedMetric, TimeSeries, TrendMetric } from '../../result/model.js';
import {
  categoryTitle, checkDuration, formatNumber, formatPercent, formatRatingValue, formatThresholdActual, formatValue, metricLabel,
} from '../format.js';
import { binValues, recordedValues } from './buckets.js';
import { curveFigures } from './curves.js';
import { anchor, esc } from './escape.js';
import { failureText, findingText } from './findings.js';
import { headline } from './headline.js';
import { infoCell } from './info.js';
import { infoLabel } from './info-labels.js';
import { histogramChart, legend, lineChart } from './svg.js';

const PERCENTILES = ['p50', 'p90', 'p95', 'p99', 'p99.9'];
/** A load test can produce hundreds of metrics: chart the first ones, tabulate all of them. */
const MAX_SERIES_CHARTS = 12;
const MAX_HISTOGRAMS = 6;

export function badge(status: string): string {
  return `<span class="badge ${esc(status)}">${esc(status.toUpperCase())}</span>`;
}

const ORDER = { fail: 0, untrusted: 1, warn: 2, pass: 3, skip: 4 } as const;

/** The category's answer in one line: its worst check's finding, or the most telling finding of a clean run. */
export function categoryLine(checks: CheckResult[]): string {
  const ran = checks.filter((c) => c.status !== 'skip');
  if (ran.length === 0) return `Not run: ${checks[0]?.reason ?? 'no check selected'}`;
  const worst = [...ran].sort((a, b) => ORDER[a.status] - ORDER[b.status])[0]!;
  if (worst.status === 'fail' || worst.status === 'untrusted' || worst.status === 'warn') return failureText(worst);
  const slow = slowest(ran);
  if (slow) return slow;
  const info = ran.flatMap((c) => c.findings).find((f) => f.severity === 'info');
  return info ? findingText(info) : `${ran.length} check${ran.length === 1 ? '' : 's'} passed`;
}

/** For the latency categories: the slowest operation, which is what a reader of a clean run wants to know. */
function slowest(checks: CheckResult[]): string | undefined {
  const trends = checks.flatMap((c) => c.metrics).filter((m): m is TrendMetric => m.type === 'trend' && m.headline === true && m.meaning === 'latency' && m.summary.count > 0);
  if (trends.length < 2) return undefined;
  const top = trends.reduce((a, b) => ((b.summary.percentiles.p95 ?? 0) > (a.summary.percentiles.p95 ?? 0) ? b : a));
  const name = Object.values(top.tags).join(' · ') || top.name;
  return `${trends.length} operations measured; the slowest, ${name}, has p95 ${formatValue(top.summary.percentiles.p95 ?? Number.NaN, top.unit)}`;
}

function worstStatus(checks: CheckResult[]): string {
  const ran = checks.filter((c) => c.status !== 'skip');
  return ran.length ? [...ran].sort((a, b) => ORDER[a.status] - ORDER[b.status])[0]!.status : 'skip';
}

export function categorySection(category: string, checks: CheckResult[]): string {
  const allSkipped = checks.every((c) => c.status === 'skip');
  const head = `<h2 id="cat-${anchor(category)}">${badge(worstStatus(checks))} ${esc(categoryTitle(category))} <code>${esc(category)}</code></h2>`;
  const line = `<p class="answer">${esc(categoryLine(checks))}</p>`;
  const list = `<div class="checks">${checks.map(checkSection).join('')}</div>`;
  return `<section class="category" data-category="${esc(category)}" data-skipped="${allSkipped}">${head}${line}${allSkipped ? '' : headline(checks)}${list}</section>`;
}

function checkSection(c: CheckResult): string {
  const took = checkDuration(c);
  const why = c.status === 'pass' ? '' : failureText(c);
  const summary = `<summary id="check-${anchor(c.id)}">${badge(c.status)} <code>${esc(c.id)}</code> ${esc(c.title)}${took ? ` <span class="muted">· ${esc(took)}</span>` : ''}${why ? `<span class="why">${esc(why)}</span>` : ''}</summary>`;
  const parts: string[] = [];
  if (took) parts.push(`<p class="muted">Took ${esc(took)}, started ${esc(c.startedAt)}.</p>`);
  if (c.reason) parts.push(`<p><b>${c.status === 'skip' ? 'Skipped' : 'Reason'}:</b> ${esc(c.reason)}</p>`);
  parts.push(thresholdTable(c), findingList(c.findings), charts(c), trendTable(c.metrics), otherTable(c.metrics), ratingTable(c), infoTable(c.info));
  return `<details class="check" data-check="${esc(c.id)}" data-status="${esc(c.status)}">${summary}<div class="body">${parts.join('')}</div></details>`;
}

function charts(c: CheckResult): string {
  const figures: string[] = [];
  for (const group of groupSeries(c.timeSeries).slice(0, MAX_SERIES_CHARTS)) {
    const series = group.series.map((s) => ({ label: tagLabel(s.tags), points: s.points }));
    const title = `${group.name} over time`;
    const svg = lineChart(series, { title, xTitle: 's since the check started', yTitle: group.unit || group.name });
    if (svg) figures.push(`<figure>${caption(title, group.unit)}${svg}${legend(series)}</figure>`);
  }
  figures.push(...curveFigures(c.info));
  const all = c.metrics.filter((m): m is TrendMetric => m.type === 'trend' && m.summary.count > 0);
  // Headline figures first: a load test's last stages are the ones under real load, so they come before the first.
  const trends = [...all.filter((m) => m.headline), ...all.filter((m) => !m.headline).reverse()];
  for (const m of trends.slice(0, MAX_HISTOGRAMS)) {
    const { bins, log } = binValues(recordedValues(m.histogram));
    const markers = ['p50', 'p95', 'p99'].filter((k) => m.summary.percentiles[k] !== undefined).map((k) => ({ label: k, value: m.summary.percentiles[k]! }));
    const title = `${metricLabel(m)} distribution`;
    const svg = histogramChart(bins, log, { title, unit: m.unit, markers });
    if (svg) figures.push(`<figure>${caption(title, '')}${svg}</figure>`);
  }
  const more = (c.timeSeries.length > 0 && groupSeries(c.timeSeries).length > MAX_SERIES_CHARTS) || trends.length > MAX_HISTOGRAMS
    ? '<p class="muted">Only the first charts are drawn; the tables below hold every metric.</p>' : '';
  return figures.length ? `<h4>Charts</h4><div class="charts">${figures.join('')}</div>${more}` : '';
}

function caption(title: string, unit: string): string {
  return `<figcaption>${esc(title)}${unit ? ` <span class="muted">(${esc(unit)})</span>` : ''}</figcaption>`;
}

function groupSeries(list: TimeSeries[]): Array<{ name: string; unit: string; series: TimeSeries[] }> {
  const groups = new Map<string, { name: string; unit: string; series: TimeSeries[] }>();
  for (const s of list) {
    if (s.points.length === 0) continue;
    const key = `${s.name}\u0000${s.unit}`;
    const g = groups.get(key) ?? { name: s.name, unit: s.unit, series: [] };
    g.series.push(s);
    groups.set(key, g);
  }
  return [...groups.values()];
}

function tagLabel(tags: Record<string, string>): string {
  const entries = Object.entries(tags);
  if (entries.length === 1) return entries[0]![1];
  return entries.map(([k, v]) => `${k}=${v}`).join(', ');
}

function table(head: string[], rows: string[][], numeric: number[] = []): string {
  if (rows.length === 0) return '';
  const cls = (i: number) => (numeric.includes(i) ? ' class="n"' : '');
  return `<div class="scroll"><table><thead><tr>${head.map((h, i) => `<th${cls(i)}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${c}</td>`).join('')}</tr>`).join('')}</tbody></table></div>`;
}

function thresholdTable(c: CheckResult): string {
  const rows = c.thresholds.map((t) => [
    `<code>${esc(t.metric)}</code>`, `<code>${esc(t.expression)}</code>`, esc(t.level), esc(formatThresholdActual(t)),
    t.ok ? badge('pass') : badge(t.level === 'fail' ? 'fail' : 'warn'), esc(t.source),
  ]);
  return rows.length ? `<h4>Thresholds</h4>${table(['Metric', 'Threshold', 'Level', 'Measured', 'Result', 'Source'], rows, [3])}` : '';
}

export function findingItem(f: Finding): string {
  const subject = f.subject ? ` <code>${esc(f.subject)}</code>` : '';
  const detail = f.detail ? `<div class="muted">${esc(f.detail).replace(/\r?\n/g, '<br>')}</div>` : '';
  const rec = f.recommendation ? `<span class="rec">Recommendation: ${esc(f.recommendation)}</span>` : '';
  return `<li><span class="sev ${esc(f.severity)}">${esc(f.severity)}</span> ${esc(f.title)}${subject}${detail}${rec}</li>`;
}

function findingList(findings: Finding[]): string {
  return findings.length ? `<h4>Findings</h4><ul class="findings">${findings.map(findingItem).join('')}</ul>` : '';
}

function trendTable(metrics: SerializedMetric[]): string {
  const rows = metrics.filter((m): m is TrendMetric => m.type === 'trend').map((m) => {
    const v = (x: number | undefined) => esc(formatValue(x ?? Number.NaN, m.unit));
    return [`<code>${esc(metricLabel(m))}</code>`, esc(formatNumber(m.summary.count)), ...PERCENTILES.map((k) => v(m.summary.percentiles[k])), v(m.summary.max)];
  });
  return rows.length ? `<h4>Distributions</h4>${table(['Metric', 'Count', ...PERCENTILES, 'max'], rows, [1, 2, 3, 4, 5, 6, 7])}` : '';
}

function otherTable(metrics: SerializedMetric[]): string {
  const rows: string[][] = [];
  for (const m of metrics) {
    const label = `<code>${esc(metricLabel(m))}</code>`;
    if (m.type === 'rate') rows.push([label, 'rate', esc(formatPercent(m.value)), esc(`${formatNumber(m.hits)} of ${formatNumber(m.total)}`)]);
    if (m.type === 'counter') rows.push([label, 'counter', esc(formatValue(m.count, m.unit)), m.perSecond === undefined ? '' : esc(`${formatNumber(m.perSecond)}/s`)]);
    if (m.type === 'gauge') rows.push([label, 'gauge', esc(formatValue(m.value, m.unit)), esc(`min ${formatValue(m.min, m.unit)}, max ${formatValue(m.max, m.unit)}`)]);
  }
  return rows.length ? `<h4>Rates, counters and gauges</h4>${table(['Metric', 'Type', 'Value', 'Detail'], rows, [2])}` : '';
}

function ratingTable(c: CheckResult): string {
  const rows = c.ratings.map((r) => [`<code>${esc(r.metric)}</code>`, esc(r.kind), esc(formatRatingValue(r)), `<b>${esc(r.band)}</b>`]);
  return rows.length ? `<h4>Ratings</h4>${table(['Metric', 'Kind', 'Value', 'Band'], rows, [2])}` : '';
}

function infoTable(info: Record<string, unknown>): string {
  const rows = Object.entries(info).map(([k, v]) => [esc(infoLabel(k)), infoCell(v)]);
  return rows.length ? `<h4>Details</h4>${table(['Figure', 'Value'], rows)}` : '';
}
