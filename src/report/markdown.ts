// The Markdown reports: report.md (summary, checks, advice, environment; under a GitHub comment's size) and
// report-details.md (checks by category with metric, threshold, rating and finding tables, the servers' settings).
import { changeRows, comparisonHeadline } from '../compare/rows.js';
import { formatMargin } from '../compare/margin.js';
import type { Comparison } from '../compare/model.js';
import type { CheckResult, CheckStatus, Finding, RunResult, SerializedMetric, TrendMetric } from '../result/model.js';
import {
  categoryTitle, checkDuration, formatBytes, formatDuration, formatMs, formatNumber, formatPercent, formatRatingValue, formatThreshold,
  formatThresholdActual, formatValue, groupByCategory, metricLabel, shownPerSecond, statusWord, whyText,
} from './format.js';
import { checkGroups, provenance, rankRecommendations, targetName } from './provenance.js';
import { code, codeCell, escapeCell, escapeInline, escapeLine, table } from './md.js';
import { appendAll } from '../util/append.js';

const STATUS_ICON: Record<CheckStatus, string> = { pass: '✅', warn: '⚠️', fail: '❌', untrusted: '❓', skip: '⏭️' };
const PERCENTILES = ['p50', 'p90', 'p95', 'p99', 'p99.9'];

function status(s: CheckStatus): string {
  return `${STATUS_ICON[s]} ${statusWord(s)}`;
}

/** A GitHub comment holds 65,536 characters; report.md stays under this so it can be posted whole on a pull request. */
export const MARKDOWN_LIMIT = 60_000;
/** The second file, with every check's figures, thresholds, findings and the servers' settings. */
export const DETAILS_FILE = 'report-details.md';
const MAX_RECOMMENDATIONS = 30;
const MAX_REASON = 300;
/** Advice is clipped only past this: a statement that names every table (ANALYZE a, b, …) is kept whole. */
const MAX_ADVICE = 2000;

/**
 * report.md: the verdict, every check in one row, the recommendations, the comparison and the environment, under
 * MARKDOWN_LIMIT characters whatever the run holds; everything else is in report-details.md, linked from it.
 */
export function renderMarkdown(result: RunResult, opts: { comparison?: Comparison } = {}): string {
  const lines = [`# ${escapeLine(result.environment.tool.name)} report`, ''];
  if (result.interrupted) {
    lines.push('> **Interrupted:** the run was stopped early. Checks that had not finished are marked SKIP and the figures are partial.', '');
  }
  for (const [key, why] of Object.entries(result.environment.unopened ?? {})) lines.push(`> **${code(key)} could not be opened:** ${escapeLine(why)}. No check ran.`, '');
  appendAll(lines, summarySection(result), provenanceSection(result), [`Every check's figures, thresholds and findings: [${DETAILS_FILE}](${DETAILS_FILE}).`, ''], checksOverview(result), recommendationSection(result));
  if (opts.comparison) appendAll(lines, comparisonSection(opts.comparison));
  appendAll(lines, environmentSection(result, false));
  return fitLimit(`${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`);
}

/** report-details.md: each category's checks with all their tables, and the environment with the servers' settings. */
export function renderMarkdownDetails(result: RunResult, opts: { comparison?: Comparison } = {}): string {
  const lines = [`# ${escapeLine(result.environment.tool.name)} report: details`, '', `The summary, the recommendations and the verdict are in [report.md](report.md).`, ''];
  if (opts.comparison) appendAll(lines, comparisonSection(opts.comparison));
  if (result.recommendations.length > MAX_RECOMMENDATIONS) appendAll(lines, recommendationSection(result, Number.POSITIVE_INFINITY));
  for (const group of groupByCategory(result.checks)) {
    lines.push(`## ${escapeLine(categoryTitle(group.category))} (${code(group.category)})`, '');
    for (const check of group.checks) appendAll(lines, checkSection(check));
  }
  appendAll(lines, environmentSection(result, true));
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

/** The last resort for a crafted or enormous run: cut at a line break and say where the rest is. */
function fitLimit(md: string): string {
  if (md.length <= MARKDOWN_LIMIT) return md;
  const note = `\n\n*Cut here to stay under ${formatNumber(MARKDOWN_LIMIT)} characters (a GitHub comment's limit): the rest is in [${DETAILS_FILE}](${DETAILS_FILE}) and run.json.*\n`;
  const cut = md.lastIndexOf('\n', MARKDOWN_LIMIT - note.length);
  return `${md.slice(0, cut > 0 ? cut : MARKDOWN_LIMIT - note.length)}${note}`;
}

function summarySection(result: RunResult): string[] {
  const s = result.summary;
  const env = result.environment;
  const mode = `${result.mode}${result.readOnly ? ' (read-only)' : ''}`;
  const untrusted = s.untrusted ?? 0;
  const verdict = s.failed > 0 ? `❌ ${s.failed} of ${s.total} checks failed` : untrusted > 0 ? `❓ untrusted: ${untrusted} of ${s.total} checks missed a threshold while stackprobe's own client was saturated` : s.warned > 0 ? `⚠️ passed with ${s.warned} warning${s.warned === 1 ? '' : 's'}` : '✅ no check failed';
  const rt = s.responseTime;
  const pc = (k: string) => formatMs(rt?.percentiles[k] ?? Number.NaN);
  const rows: string[][] = [
    ['Result', verdict],
    ['Mode', mode],
    ['Started', result.startedAt],
    ['Duration', formatDuration(result.durationMs)],
    ['Checks', `${s.total} total: ${s.passed} passed, ${s.warned} ${s.warned === 1 ? 'warning' : 'warnings'}, ${s.failed} failed, ${untrusted ? `${untrusted} untrusted, ` : ''}${s.skipped} skipped`],
    ['Success rate', `${formatPercent(s.successRate)} (${s.passed + s.warned} of ${s.total - s.skipped} checks that ran passed or warned)`],
    ['Response time', rt && rt.count > 0 ? `p50 ${pc('p50')} · p95 ${pc('p95')} · p99 ${pc('p99')} · max ${formatMs(rt.max)} (${formatNumber(rt.count)} operations, all checks)` : 'no operations were timed'],
    ['Client CPU', `${formatNumber(s.process.cpuPercent)}% (user ${formatDuration(s.process.cpuUserMs)}, system ${formatDuration(s.process.cpuSystemMs)})`],
    ['Client memory', `max RSS ${formatNumber(s.process.maxRssMb)} MB`],
    ['Tool', `${env.tool.name} ${env.tool.version} on ${env.client.hostname}`],
  ];
  for (const t of s.thresholds) rows.push(['Run threshold', `${t.ok ? '✅' : '❌'} ${formatThreshold(t)}`]);
  return ['## Summary', '', ...table(['', ''], rows.map(([k, v]) => [`**${k}**`, escapeCell(v!)]))];
}

/** Whose figures these are (stackprobe's synthetic workload or the user's own SQL) and what the run wrote where. */
function provenanceSection(result: RunResult): string[] {
  const p = provenance(result);
  const items: string[] = [];
  if (p.synthetic.length) items.push(`- **stackprobe's synthetic workload**, not your tables: ${escapeInline(checkGroups(p.synthetic, result))} (the figures are of the schema stackprobe created, with its own rows and queries)`);
  if (p.yours.length) items.push(`- **Your own SQL**: ${escapeInline(checkGroups(p.yours, result))}`);
  for (const w of p.written) items.push(`- **Written**: ${escapeInline(w)}${w.includes('kept: --keep-data') ? '' : ' (removed at the end of the run)'}`);
  for (const w of p.sent) items.push(`- **Sent**: ${escapeInline(w)}`);
  if (items.length === 0) return [];
  return ['## Whose figures, and what this run wrote', '', ...items, ''];
}

function checksOverview(result: RunResult): string[] {
  if (result.checks.length === 0) return ['## Checks', '', 'No checks ran.', ''];
  const rows = groupByCategory(result.checks).flatMap((g) => g.checks).map((c) => [
    codeCell(c.id), escapeCell(c.title), status(c.status), checkDuration(c), escapeCell(clip(whyText(c), MAX_REASON)),
  ]);
  return ['## Checks', '', ...table(['Check', 'Title', 'Status', 'Duration', 'Reason'], rows, ['left', 'left', 'left', 'right'])];
}

function recommendationSection(result: RunResult, max = MAX_RECOMMENDATIONS): string[] {
  // The user's own servers first, stackprobe's throwaway ones after; each says which server or database it is about.
  const recs = rankRecommendations(result);
  if (recs.length === 0) return ['## Recommendations', '', 'None: nothing needs attention.', ''];
  const items = recs.slice(0, max).map((r, i) => {
    const prefix = `${i + 1}. `;
    const where = r.target ? ` (${escapeInline(targetName(result, r.target))})` : '';
    const about = r.about ? `${code(r.about)}: ` : '';
    return `${prefix}**${r.severity}** · ${code(r.checkId)}${where}: ${about}${escapeInline(max === MAX_RECOMMENDATIONS ? clip(r.text, MAX_ADVICE) : r.text, ' '.repeat(prefix.length))}`;
  });
  const more = recs.length > max ? [`… and ${formatNumber(recs.length - max)} more in [${DETAILS_FILE}](${DETAILS_FILE}).`, ''] : [];
  return ['## Recommendations', '', ...items, '', ...more];
}

function comparisonSection(cmp: Comparison): string[] {
  const verdict = cmp.regressions.length ? '❌' : '✅';
  const lines = [
    '## Compared with the baseline', '',
    `Baseline ${escapeInline(cmp.baseline.startedAt)} (${escapeInline(cmp.baseline.mode)}, ${escapeInline(cmp.baseline.version)}); allowed worsening ${formatMargin(cmp.maxRegression)}.`, '',
    `${verdict} ${escapeInline(comparisonHeadline(cmp))}`, '',
  ];
  const rows = changeRows(cmp).map((r) => [
    codeCell(r.check), codeCell(r.metric), r.stat, escapeCell(r.baseline), escapeCell(r.current), escapeCell(r.change),
    r.verdict === 'regression' ? '❌ regression' : r.verdict === 'improved' ? '✅ improved' : '',
  ]);
  appendAll(lines, table(['Check', 'Metric', 'Figure', 'Baseline', 'Current', 'Change', ''], rows, ['left', 'left', 'left', 'right', 'right', 'right']));
  const status = cmp.statusChanges.map((s) => `- ${code(s.checkId)}: ${status_(s.baseline)} → ${status_(s.current)}`);
  if (status.length) appendAll(lines, ['**Status changes**', ''], status, ['']);
  return lines;
}

function status_(s: string): string {
  return s === 'pass' || s === 'warn' || s === 'fail' || s === 'untrusted' || s === 'skip' ? status(s) : escapeInline(s);
}

function checkSection(c: CheckResult): string[] {
  const lines = [`### ${code(c.id)}: ${escapeLine(c.title)} ${status(c.status)}`, ''];
  const when = checkDuration(c) ? `Took ${checkDuration(c)}, started ${escapeLine(c.startedAt)}.` : '';
  if (when) lines.push(when, '');
  if (c.reason) lines.push(`**Reason:** ${escapeInline(c.reason)}`, '');
  appendAll(lines, trendTable(c.metrics), otherMetricTable(c.metrics));
  const thresholds = c.thresholds.map((t) => [
    codeCell(t.metric), codeCell(t.expression), t.level, escapeCell(formatThresholdActual(t)), t.ok ? '✅ met' : '❌ missed', escapeCell(t.source),
  ]);
  if (thresholds.length) appendAll(lines, ['**Thresholds**', ''], table(['Metric', 'Threshold', 'Level', 'Measured', 'Result', 'Source'], thresholds));
  const ratings = c.ratings.map((r) => [codeCell(r.metric), r.kind, escapeCell(formatRatingValue(r)), `**${r.band}**`]);
  if (ratings.length) appendAll(lines, ['**Ratings**', ''], table(['Metric', 'Kind', 'Value', 'Band'], ratings, ['left', 'left', 'right']));
  if (c.findings.length) appendAll(lines, ['**Findings**', ''], c.findings.map(findingItem), ['']);
  const listed = Object.entries(c.info).filter(([, v]) => isRecordList(v));
  for (const [k, v] of listed) appendAll(lines, recordTable(k, v as Array<Record<string, unknown>>));
  const info = Object.entries(c.info).filter(([, v]) => !isRecordList(v)).map(([k, v]) => [escapeCell(k), escapeCell(infoValue(v))]);
  if (info.length) appendAll(lines, ['**Details**', ''], table(['Figure', 'Value'], info));
  return lines;
}

/** Rows shown of a list of records (a top-statements list, a stage table); the rest is in run.json. */
const MAX_RECORD_ROWS = 25;
const MAX_RECORD_COLUMNS = 12;
const MAX_CELL = 160;

/** A non-empty list of flat records (values numbers, strings, booleans or null): worth a table of its own. */
function isRecordList(v: unknown): boolean {
  if (!Array.isArray(v) || v.length === 0) return false;
  return v.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r)
    && Object.values(r as Record<string, unknown>).every((x) => x === null || ['number', 'string', 'boolean'].includes(typeof x)));
}

function recordTable(name: string, rows: Array<Record<string, unknown>>): string[] {
  const columns: string[] = [];
  for (const r of rows.slice(0, MAX_RECORD_ROWS)) for (const k of Object.keys(r)) if (!columns.includes(k) && columns.length < MAX_RECORD_COLUMNS) columns.push(k);
  const cell = (x: unknown) => {
    const text = infoValue(x ?? '').replace(/\s+/g, ' ');
    return escapeCell(text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text);
  };
  const body = rows.slice(0, MAX_RECORD_ROWS).map((r) => columns.map((k) => cell(r[k])));
  const more = rows.length > MAX_RECORD_ROWS ? [`… and ${formatNumber(rows.length - MAX_RECORD_ROWS)} more rows (all in run.json)`, ''] : [];
  return [`**${escapeLine(name)}**`, '', ...table(columns.map(escapeCell), body), ...more];
}

function trendTable(metrics: SerializedMetric[]): string[] {
  const trends = metrics.filter((m): m is TrendMetric => m.type === 'trend');
  const rows = trends.map((m) => {
    const s = m.summary;
    const v = (x: number | undefined) => escapeCell(formatValue(x ?? Number.NaN, m.unit));
    return [codeCell(metricLabel(m)), formatNumber(s.count), ...PERCENTILES.map((k) => v(s.percentiles[k])), v(s.max)];
  });
  if (rows.length === 0) return [];
  return ['**Distributions**', '', ...table(['Metric', 'Count', ...PERCENTILES, 'max'], rows, ['left', ...Array<'right'>(7).fill('right')])];
}

function otherMetricTable(metrics: SerializedMetric[]): string[] {
  const rows: string[][] = [];
  for (const m of metrics) {
    if (m.type === 'rate') rows.push([codeCell(metricLabel(m)), 'rate', formatPercent(m.value), `${formatNumber(m.hits)} of ${formatNumber(m.total)}`]);
    if (m.type === 'counter') rows.push([codeCell(metricLabel(m)), 'counter', escapeCell(formatValue(m.count, m.unit)), shownPerSecond(m) === undefined ? '' : `${formatNumber(shownPerSecond(m)!)}/s`]);
    if (m.type === 'gauge') {
      rows.push([codeCell(metricLabel(m)), 'gauge', escapeCell(formatValue(m.value, m.unit)), escapeCell(`min ${formatValue(m.min, m.unit)}, max ${formatValue(m.max, m.unit)}`)]);
    }
  }
  if (rows.length === 0) return [];
  return ['**Rates, counters and gauges**', '', ...table(['Metric', 'Type', 'Value', 'Detail'], rows, ['left', 'left', 'right'])];
}

function findingItem(f: Finding): string {
  const indent = '  ';
  const parts = [`- **${f.severity}**: ${escapeInline(f.title, indent)}${f.subject ? ` (${code(f.subject.replace(/\r?\n/g, ' '))})` : ''}`];
  if (f.detail) appendAll(parts, f.detail.split(/\r?\n/).map((line) => `${indent}${escapeInline(line)}`));
  if (f.recommendation) parts.push(`${indent}*Recommendation:* ${escapeInline(f.recommendation, indent)}`);
  // Hard line breaks keep the detail's lines and the recommendation on lines of their own inside the item.
  return parts.join('<br>\n');
}

function infoValue(v: unknown): string {
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v;
  if (v === null || v === undefined || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? String(v);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function environmentSection(result: RunResult, settingsShown: boolean): string[] {
  const env = result.environment;
  const c = env.client;
  const client = [
    ['Host', c.hostname], ['Platform', `${c.platform} ${c.arch}`], ['CPUs', `${c.cpus} × ${c.cpuModel}`],
    ['Memory', formatBytes(c.memoryBytes)], ['Node.js', c.node], ['stackprobe', env.tool.version],
  ];
  const lines = ['## Environment', '', '### Client', '', ...table(['', ''], client.map(([k, v]) => [`**${k}**`, escapeCell(v!)]))];
  for (const [key, t] of Object.entries(env.targets)) {
    lines.push(`### Target ${code(key)}`, '');
    const facts = [['Kind', escapeCell(t.kind)], ['URL', codeCell(t.url)], ['Server version', escapeCell(t.version ?? 'unknown')]];
    if (t.private) facts.push(['Private', key === 'pg' ? 'yes: an embedded PostgreSQL stackprobe started for this run (no `DATABASE_URL` given); your own database was not tested' : 'yes: started by stackprobe for this run']);
    appendAll(lines, table(['', ''], facts.map(([k, v]) => [`**${k}**`, v!])));
    const settings = Object.entries(t.settings ?? {}).map(([k, v]) => [codeCell(k), escapeCell(v)]);
    if (settingsShown) appendAll(lines, table(['Setting', 'Value'], settings));
  }
  const unavailable = Object.entries(env.unavailable).map(([k, why]) => [codeCell(k), escapeCell(why)]);
  if (unavailable.length) appendAll(lines, ['### Not tested', ''], table(['Service', 'Why'], unavailable));
  return lines;
}
