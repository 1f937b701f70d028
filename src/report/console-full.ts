// The end-of-run console report with --verbose: header, every check by category with its figures, totals, all recommendations.
import type { CheckResult, RunResult, SerializedMetric } from '../result/model.js';
import {
  categoryTitle, checkDuration, formatDuration, formatMs, formatNumber, formatPercent, formatRatingValue, formatThreshold, formatValue,
  groupByCategory, metricLabel, shownPerSecond, statusWord,
} from './format.js';
import { seriesTables, type SeriesTable } from './series-table.js';
import { palette, truncate, wrap, type Palette } from './text.js';
import { appendAll, maxOf, minOf } from '../util/append.js';
import { terminalSafeDeep } from '../util/terminal-safe.js';

import type { ConsoleOptions } from './console.js';

const INDENT = ' '.repeat(8);
const LABEL_WIDTH = 34;
/** A load test can tag hundreds of metrics; the console shows the first few, the Markdown report all of them. */
const MAX_METRIC_LINES = 12;
/** A terminal summary stays readable (and bounded) whatever the result holds; report.md lists everything. */
const MAX_FINDINGS = 20;
const MAX_RECOMMENDATIONS = 30;

interface Ctx {
  p: Palette;
  width: number;
  idWidth: number;
}

export function renderConsoleFull(raw: RunResult, opts: ConsoleOptions): string {
  // Names, reasons and findings come from databases and files: shown as text, never as terminal commands.
  const result = terminalSafeDeep(raw);
  const ctx: Ctx = {
    p: palette(opts.color),
    width: Math.min(100, Math.max(60, opts.width ?? 100)),
    idWidth: Math.min(28, maxOf(result.checks.map((c) => c.id.length), 12)),
  };
  const lines = header(result, ctx);
  for (const group of groupByCategory(result.checks)) {
    lines.push('', ctx.p.bold(`${categoryTitle(group.category)} (${group.category})`));
    for (const check of group.checks) appendAll(lines, checkBlock(check, ctx));
  }
  if (result.checks.length === 0) lines.push('', 'No checks ran.');
  appendAll(lines, [''], totals(result, ctx), [''], recommendationLines(result, ctx));
  return `${lines.join('\n')}\n`;
}

function modeLabel(result: RunResult): string {
  const mode = result.mode === 'load-test' ? 'load test' : `${result.mode} run`;
  return result.readOnly ? `${mode} (read-only)` : mode;
}

function header(result: RunResult, { p, width }: Ctx): string[] {
  const env = result.environment;
  const lines = [
    `${p.bold(`${env.tool.name} ${env.tool.version}`)} · ${modeLabel(result)} · ${formatDuration(result.durationMs)} · started ${result.startedAt}`,
  ];
  if (result.interrupted) {
    appendAll(lines, wrap('INTERRUPTED: the run was stopped early; checks that had not finished are marked SKIP and the figures are partial.', width).map((l) => p.yellow(p.bold(l))));
  }
  const keys = [...Object.keys(env.targets), ...Object.keys(env.unavailable).filter((k) => !(k in env.targets))];
  const keyWidth = Math.max(6, ...keys.map((k) => k.length)) + 2;
  for (const [key, t] of Object.entries(env.targets)) {
    lines.push(truncate(`  ${key.padEnd(keyWidth)}${t.url} · ${t.version ?? t.kind}`, width));
    if (t.private) {
      const note = key === 'pg'
        ? 'private embedded PostgreSQL: stackprobe started it for this run because no DATABASE_URL was given, so your own database was not tested'
        : `private ${t.kind} started by stackprobe for this run`;
      appendAll(lines, wrap(note, width, ' '.repeat(keyWidth + 2)).map(p.cyan));
    }
  }
  for (const [key, why] of Object.entries(env.unavailable)) {
    appendAll(lines, wrap(`not tested: ${why}`, width, `  ${key.padEnd(keyWidth)}`, ' '.repeat(keyWidth + 2)).map(p.dim));
  }
  return lines;
}

function checkBlock(c: CheckResult, ctx: Ctx): string[] {
  const { p, width } = ctx;
  const word = statusWord(c.status).padEnd(4);
  const badge = p.status(c.status, word);
  const duration = checkDuration(c);
  const room = width - 2 - word.length - 2 - ctx.idWidth - 2 - duration.length - 1;
  const title = truncate(c.title, room);
  const lines = [`  ${badge}  ${truncate(c.id, ctx.idWidth).padEnd(ctx.idWidth)}  ${title.padEnd(room)} ${p.dim(duration)}`.trimEnd()];
  if (c.reason) {
    const style = c.status === 'fail' ? p.red : p.dim;
    appendAll(lines, wrap(c.reason, width, `${INDENT}reason: `, `${INDENT}        `).map(style));
  }
  const tables = seriesTables(c);
  for (const table of tables) appendAll(lines, tableLines(table, ctx));
  const consumed = new Set(tables.flatMap((t) => [...t.consumed]));
  const rest = c.metrics.filter((m) => !consumed.has(m) && m.operation?.role !== 'errorKinds');
  const entries = groupSeries(rest);
  const shown = entries.slice(0, MAX_METRIC_LINES);
  for (const e of shown) appendAll(lines, (Array.isArray(e) ? groupLines(e, width) : metricLines(e, width)));
  if (entries.length > shown.length) lines.push(p.dim(`${INDENT}… ${entries.length - shown.length} more metrics in the Markdown report`));
  for (const t of c.thresholds) {
    if (t.ok) continue;
    const text = `✗ ${formatThreshold(t)}${t.level === 'warn' ? ' (warning)' : ''}`;
    appendAll(lines, wrap(text, width, INDENT, `${INDENT}  `).map(t.level === 'fail' ? p.red : p.yellow));
  }
  // Response-time bands are in the tables; other ratings (hit rate, throughput of untabled metrics) are listed here.
  const shownBands = new Set(tables.flatMap((t) => t.rows.filter((r) => r.band).map((r) => metricLabel(r.duration))));
  const otherRatings = c.ratings.filter((r) => !shownBands.has(r.metric) && !(r.kind === 'throughput_rps' && tables.length > 0));
  if (otherRatings.length > 0) {
    const ratings = otherRatings.map((r) => `${r.metric} ${formatRatingValue(r)} ${r.band}`).join(' · ');
    appendAll(lines, wrap(`rating: ${ratings}`, width, INDENT, `${INDENT}        `));
  }
  // Which data a figure describes is never left to report.md: a scope line is shown even though it is only information.
  for (const f of c.findings.filter((x) => x.severity === 'info' && x.subject === 'scope')) appendAll(lines, wrap(f.title, width, INDENT, `${INDENT}  `).map(p.dim));
  const shownFindings = c.findings.filter((f) => f.severity !== 'info');
  for (const f of shownFindings.slice(0, MAX_FINDINGS)) {
    const text = `${f.severity === 'error' ? '✗' : '!'} ${f.title}${f.subject ? ` (${f.subject})` : ''}`;
    appendAll(lines, wrap(text, width, INDENT, `${INDENT}  `).map((l) => p.severity(f.severity, l)));
  }
  if (shownFindings.length > MAX_FINDINGS) lines.push(p.dim(`${INDENT}… and ${formatNumber(shownFindings.length - MAX_FINDINGS)} more findings (all in report.md)`));
  return lines;
}

interface Column {
  head: string;
  width: number;
  cell(r: SeriesTable['rows'][number]): string;
}

/** Columns in the order they are dropped when the terminal is too narrow: band first, then throughput, then p50. */
function tableColumns(p: Palette): Column[] {
  const pct = (k: string) => (r: SeriesTable['rows'][number]) => {
    const s = r.duration.summary;
    // A series with no successful samples has no percentiles: show a dash, not a fake 0 ms.
    return s.count === 0 ? '–' : formatValue(s.percentiles[k] ?? Number.NaN, r.duration.unit);
  };
  return [
    { head: 'n', width: 8, cell: (r) => formatNumber(r.duration.summary.count) },
    { head: 'p50', width: 9, cell: pct('p50') },
    { head: 'p95', width: 9, cell: pct('p95') },
    { head: 'p99', width: 9, cell: pct('p99') },
    { head: 'errors', width: 7, cell: (r) => (r.errors ? formatPercent(r.errors.value) : '') },
    { head: 'req/s', width: 8, cell: (r) => (r.throughput ? formatNumber(r.throughput.value) : '') },
    { head: 'band', width: -10, cell: (r) => (r.band ? p.dim(r.band) : '') },
  ];
}

/** One row per operation: n, p50/p95/p99, error share, throughput, and the response-time band. */
function tableLines(table: SeriesTable, { p, width }: Ctx): string[] {
  const title = table.tagKey || 'operation';
  const labelWidth = Math.min(26, maxOf(table.rows.map((r) => r.label.length), Math.max(8, title.length)));
  const columns = tableColumns(p);
  const span = (cols: Column[]) => INDENT.length + labelWidth + cols.reduce((n, c) => n + 1 + Math.abs(c.width), 0);
  for (const name of ['band', 'req/s', 'p50']) {
    if (span(columns) <= width) break;
    columns.splice(columns.findIndex((c) => c.head === name), 1);
  }
  const pad = (c: Column, text: string) => (c.width < 0 ? text : text.padStart(c.width));
  const head = `${INDENT}${title.padEnd(labelWidth)} ${columns.map((c) => pad(c, c.head)).join(' ')}`;
  const lines = [p.dim(head.trimEnd())];
  for (const r of table.rows) {
    const cells = columns.map((c) => {
      const text = pad(c, c.cell(r));
      return c.head === 'errors' && r.errors && r.errors.value > 0 ? p.red(text) : text;
    });
    lines.push(`${INDENT}${truncate(r.label, labelWidth).padEnd(labelWidth)} ${cells.join(' ')}`.trimEnd());
  }
  return lines;
}

/** Metrics in order, with the many series of one name (per stage, per step, …) folded into one group. */
function groupSeries(metrics: SerializedMetric[]): Array<SerializedMetric | SerializedMetric[]> {
  const byName = new Map<string, SerializedMetric[]>();
  for (const m of metrics) byName.set(`${m.type}:${m.name}`, [...(byName.get(`${m.type}:${m.name}`) ?? []), m]);
  const out: Array<SerializedMetric | SerializedMetric[]> = [];
  const done = new Set<string>();
  for (const m of metrics) {
    const key = `${m.type}:${m.name}`;
    if (done.has(key)) continue;
    done.add(key);
    const group = byName.get(key)!;
    if (group.length > 3) out.push(group);
    else appendAll(out, group);
  }
  return out;
}

/** One line for a metric with many series: how many, and the range (the worst series named), never a wall of lines. */
function groupLines(group: SerializedMetric[], width: number): string[] {
  const first = group[0]!;
  const values = group.map((m) => {
    switch (m.type) {
      case 'rate': return m.value;
      case 'counter': return m.count;
      case 'gauge': return m.value;
      case 'trend': return m.summary.percentiles.p95 ?? 0;
    }
  });
  const lo = minOf(values);
  const hi = maxOf(values);
  const unit = first.type === 'rate' ? 'ratio' : first.unit;
  const worstIndex = first.type === 'rate' && /success/.test(first.name) ? values.indexOf(lo) : values.indexOf(hi);
  const worst = group[worstIndex]!;
  const range = lo === hi ? `all ${formatValue(lo, unit)}` : `${formatValue(lo, unit)} – ${formatValue(hi, unit)} (extreme: ${metricLabel(worst)})`;
  const total = first.type === 'counter' ? ` · total ${formatValue(values.reduce((a, b) => a + b, 0), unit)}` : '';
  return wrap(`${first.name} (${group.length} series${first.type === 'trend' ? ', p95' : ''}): ${range}${total}`, width, INDENT, `${INDENT}  `);
}

function metricFigures(m: SerializedMetric): string {
  switch (m.type) {
    case 'trend': {
      const s = m.summary;
      const v = (key: string) => formatValue(s.percentiles[key] ?? Number.NaN, m.unit).padStart(9);
      return `${`n=${formatNumber(s.count)}`.padEnd(11)} p50 ${v('p50')}  p95 ${v('p95')}  p99 ${v('p99')}`;
    }
    case 'rate': return `${formatPercent(m.value)} (${formatNumber(m.hits)} of ${formatNumber(m.total)})`;
    case 'counter': {
      const unit = m.unit === 'count' || m.unit === '' ? '' : ` ${m.unit}`;
      const rate = shownPerSecond(m);
      return `${formatNumber(m.count)}${unit}${rate ? ` (${formatNumber(rate)}/s)` : ''}`;
    }
    case 'gauge': {
      const range = m.min !== m.max ? ` (min ${formatValue(m.min, m.unit)}, max ${formatValue(m.max, m.unit)})` : '';
      return `${formatValue(m.value, m.unit)}${range}`;
    }
  }
}

/**
 * One line per metric. A label too long for its column gets a line of its own so the figures stay aligned;
 * on a narrow terminal the figures go under the label instead of being cut.
 */
function metricLines(m: SerializedMetric, width: number): string[] {
  const label = metricLabel(m);
  const figures = metricFigures(m);
  const column = `${INDENT}${' '.repeat(LABEL_WIDTH)} `;
  if (column.length + figures.length > width) return [truncate(`${INDENT}${label}`, width), truncate(`${INDENT}  ${figures}`, width)];
  if (label.length <= LABEL_WIDTH) return [`${INDENT}${label.padEnd(LABEL_WIDTH)} ${figures}`];
  return [truncate(`${INDENT}${label}`, width), `${column}${figures}`];
}

function totals(result: RunResult, { p, width }: Ctx): string[] {
  const s = result.summary;
  const ran = s.total - s.skipped;
  const row = (label: string, text: string) => wrap(text, width, `  ${label.padEnd(15)}`, ' '.repeat(17));
  const counts = [
    `${formatNumber(s.total)} total`,
    p.green(`${formatNumber(s.passed)} passed`),
    p.red(`${formatNumber(s.failed)} failed`),
    p.yellow(`${formatNumber(s.warned)} ${s.warned === 1 ? 'warning' : 'warnings'}`),
    p.dim(`${formatNumber(s.skipped)} skipped`),
  ].join(' · ');
  const lines = [p.bold('Totals'), `  ${'checks'.padEnd(15)}${counts}`];
  appendAll(lines, row('success rate', `${formatPercent(s.successRate)} (${formatNumber(s.passed + s.warned)} of ${formatNumber(ran)} checks that ran passed or warned)`));
  const rt = s.responseTime;
  if (rt && rt.count > 0) {
    const pc = (k: string) => formatMs(rt.percentiles[k] ?? Number.NaN);
    appendAll(lines, row('response time', `p50 ${pc('p50')} · p95 ${pc('p95')} · p99 ${pc('p99')} (${formatNumber(rt.count)} operations, all checks)`));
  } else {
    appendAll(lines, row('response time', 'no operations were timed'));
  }
  const proc = s.process;
  appendAll(lines, row('client', `CPU ${formatNumber(proc.cpuPercent)}% (user ${formatDuration(proc.cpuUserMs)}, system ${formatDuration(proc.cpuSystemMs)}) · max memory ${formatNumber(proc.maxRssMb)} MB`));
  for (const t of s.thresholds) {
    if (!t.ok) appendAll(lines, wrap(`✗ ${formatThreshold(t)}`, width, '  ', '    ').map(t.level === 'fail' ? p.red : p.yellow));
  }
  return lines;
}

function recommendationLines(result: RunResult, { p, width }: Ctx): string[] {
  const recs = result.recommendations;
  if (recs.length === 0) return [`${p.bold('Recommendations')}: none, nothing needs attention.`];
  const numWidth = String(Math.min(recs.length, MAX_RECOMMENDATIONS)).length;
  const lines = [p.bold('Recommendations')];
  recs.slice(0, MAX_RECOMMENDATIONS).forEach((r, i) => {
    const first = `  ${String(i + 1).padStart(numWidth)}. `;
    const wrapped = wrap(`[${r.severity}] ${r.checkId}: ${r.text}`, width, first, ' '.repeat(first.length));
    const tag = `[${r.severity}]`;
    wrapped[0] = wrapped[0]!.replace(tag, p.severity(r.severity, tag));
    appendAll(lines, wrapped);
  });
  if (recs.length > MAX_RECOMMENDATIONS) lines.push(p.dim(`  … and ${formatNumber(recs.length - MAX_RECOMMENDATIONS)} more (all in report.md)`));
  return lines;
}
