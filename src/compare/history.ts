// `stackprobe history`: one row per run found in a directory, oldest first, with the figures that move over time.
import type { RunResult } from '../result/model.js';
import { formatDuration, formatMs, formatPercent } from '../report/format.js';

export interface HistoryRow {
  file: string;
  startedAt: string;
  mode: string;
  duration: string;
  checks: string;
  successRate: string;
  p50: string;
  p95: string;
  p99: string;
  verdict: string;
}

export function historyRows(runs: Array<{ file: string; result: RunResult }>): HistoryRow[] {
  return [...runs]
    .sort((a, b) => a.result.startedAt.localeCompare(b.result.startedAt) || a.file.localeCompare(b.file))
    .map(({ file, result: r }) => {
      const s = r.summary;
      const rt = s.responseTime;
      const pc = (k: string) => (rt && rt.count > 0 ? formatMs(rt.percentiles[k] ?? Number.NaN) : '–');
      return {
        file, startedAt: r.startedAt, mode: `${r.mode}${r.readOnly ? ' ro' : ''}`, duration: formatDuration(r.durationMs),
        checks: `${s.passed}/${s.warned}/${s.failed}/${s.skipped}`, successRate: formatPercent(s.successRate),
        p50: pc('p50'), p95: pc('p95'), p99: pc('p99'),
        verdict: r.interrupted ? 'interrupted' : s.failed > 0 ? 'FAIL' : s.warned > 0 ? 'WARN' : 'PASS',
      };
    });
}

const HEAD: Array<[keyof HistoryRow, string, boolean]> = [
  ['startedAt', 'started', false], ['verdict', 'result', false], ['mode', 'mode', false], ['duration', 'duration', true],
  ['checks', 'pass/warn/fail/skip', true], ['successRate', 'success', true], ['p50', 'p50', true], ['p95', 'p95', true], ['p99', 'p99', true],
  ['file', 'file', false],
];

export function renderHistoryText(rows: HistoryRow[]): string {
  const widths = HEAD.map(([k, h]) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells: string[]) => cells.map((c, i) => (HEAD[i]![2] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[line(HEAD.map(([, h]) => h)), ...rows.map((r) => line(HEAD.map(([k]) => r[k])))].join('\n')}\n`;
}

export function renderHistoryMarkdown(rows: HistoryRow[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const out = [`| ${HEAD.map(([, h]) => h).join(' | ')} |`, `| ${HEAD.map(([, , right]) => (right ? '---:' : '---')).join(' | ')} |`];
  for (const r of rows) out.push(`| ${HEAD.map(([k]) => cell(r[k])).join(' | ')} |`);
  return `${out.join('\n')}\n`;
}
