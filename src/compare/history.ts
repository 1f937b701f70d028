// `stackprobe history`: one row per run, oldest first, with the figures that move over time: the verdict, the counts and
// the p95 latency of each category (never one p95 over every operation, which the most numerous operations dominate).
import type { RunResult } from '../result/model.js';
import { formatDuration, formatMs, formatPercent } from '../report/format.js';
import { latencyByCategory } from './latency.js';
import { targetLabel } from './targets.js';

export interface HistoryRow {
  file: string;
  startedAt: string;
  mode: string;
  duration: string;
  checks: string;
  successRate: string;
  /** p95 of each category's operations, e.g. `{ queries: '3.1 ms' }`. */
  latency: Record<string, string>;
  /** The PostgreSQL target, credentials removed: runs of different databases must not be read as one series. */
  target: string;
  verdict: string;
}

export function historyRows(runs: Array<{ file: string; result: RunResult }>): HistoryRow[] {
  return [...runs]
    .sort((a, b) => a.result.startedAt.localeCompare(b.result.startedAt) || a.file.localeCompare(b.file))
    .map(({ file, result: r }) => {
      const s = r.summary;
      const latency = Object.fromEntries(latencyByCategory(r).map((c) => [c.category, formatMs(c.summary.percentiles.p95 ?? Number.NaN)]));
      const failed = s.failed > 0 || Object.keys(r.environment.unopened ?? {}).length > 0;
      return {
        file, startedAt: r.startedAt, mode: `${r.mode}${r.readOnly ? ' ro' : ''}`, duration: formatDuration(r.durationMs),
        checks: `${s.passed}/${s.warned}/${s.failed}/${s.skipped}`, successRate: formatPercent(s.successRate),
        latency, target: targetLabel(r, 'pg'),
        verdict: r.interrupted ? 'interrupted' : failed ? 'FAIL' : s.warned > 0 ? 'WARN' : 'PASS',
      };
    });
}

type Column = [head: string, right: boolean, cell: (r: HistoryRow) => string];

/** The fixed columns around one `<category> p95` column per category any run timed. */
function columns(rows: HistoryRow[]): Column[] {
  const categories: string[] = [];
  for (const r of rows) for (const c of Object.keys(r.latency)) if (!categories.includes(c)) categories.push(c);
  return [
    ['started', false, (r) => r.startedAt], ['result', false, (r) => r.verdict], ['mode', false, (r) => r.mode],
    ['duration', true, (r) => r.duration], ['pass/warn/fail/skip', true, (r) => r.checks], ['success', true, (r) => r.successRate],
    ...categories.map((c): Column => [`${c} p95`, true, (r) => r.latency[c] ?? '–']),
    ['target', false, (r) => r.target], ['file', false, (r) => r.file],
  ];
}

export function renderHistoryText(rows: HistoryRow[]): string {
  const cols = columns(rows);
  const widths = cols.map(([h, , cell]) => Math.max(h.length, ...rows.map((r) => cell(r).length)));
  const line = (cells: string[]) => cells.map((c, i) => (cols[i]![1] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[line(cols.map(([h]) => h)), ...rows.map((r) => line(cols.map(([, , cell]) => cell(r))))].join('\n')}\n`;
}

export function renderHistoryMarkdown(rows: HistoryRow[]): string {
  const cols = columns(rows);
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const out = [`| ${cols.map(([h]) => h).join(' | ')} |`, `| ${cols.map(([, right]) => (right ? '---:' : '---')).join(' | ')} |`];
  for (const r of rows) out.push(`| ${cols.map(([, , c]) => cell(c(r))).join(' | ')} |`);
  return `${out.join('\n')}\n`;
}
