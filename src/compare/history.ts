// `stackprobe history`: one row per run, oldest first, with the figures that move over time: the verdict, the counts and
// the p95 latency of each category (never one p95 over every operation, which the most numerous operations dominate).
import type { RunResult } from '../result/model.js';
import { formatDuration, formatMs, formatPercent } from '../util/number-format.js';
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

function categoriesOf(rows: HistoryRow[]): string[] {
  const categories: string[] = [];
  for (const r of rows) for (const c of Object.keys(r.latency)) if (!categories.includes(c)) categories.push(c);
  return categories;
}

/** The fixed columns around one `<category> p95` column per category any run timed. */
function columns(rows: HistoryRow[]): Column[] {
  return [
    ['started', false, (r) => r.startedAt], ['result', false, (r) => r.verdict], ['mode', false, (r) => r.mode],
    ['duration', true, (r) => r.duration], ['pass/warn/fail/skip', true, (r) => r.checks], ['success', true, (r) => r.successRate],
    ...categoriesOf(rows).map((c): Column => [`${c} p95`, true, (r) => r.latency[c] ?? '–']),
    ['target', false, (r) => r.target], ['file', false, (r) => r.file],
  ];
}

/** `2026-12-06T04:18:50.618Z` -> `2026-12-06 04:18:50`: the time to the second, in the width of a terminal column. */
const shortTime = (iso: string) => (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : iso);

/**
 * The text table in `width` columns (a terminal's, else 80): the target once above it when every run tested the same
 * one, short headers, and the least needed columns left out (named on the last line) when it is still too wide.
 */
export function renderHistoryText(rows: HistoryRow[], width = 80): string {
  const targets = [...new Set(rows.map((r) => r.target))];
  const categories = categoriesOf(rows);
  let cols: Column[] = [
    ['started', false, (r) => shortTime(r.startedAt)], ['result', false, (r) => r.verdict], ['mode', false, (r) => r.mode],
    ['duration', true, (r) => r.duration], ['p/w/f/s', true, (r) => r.checks], ['success', true, (r) => r.successRate],
    ...categories.map((c): Column => [c, true, (r) => r.latency[c] ?? '–']),
    ...(targets.length > 1 ? [['target', false, (r: HistoryRow) => r.target] as Column] : []),
    ['file', false, (r) => r.file],
  ];
  const widthOf = (cs: Column[]) => cs.reduce((n, [h, , cell]) => n + Math.max(h.length, ...rows.map((r) => cell(r).length)), 0) + 2 * (cs.length - 1);
  // Left out first: the file and target (in --format json and md), then the success share, mode, duration, and the
  // categories from the last; started, result and the counts always stay.
  const dropOrder = ['file', 'target', 'success', 'mode', 'duration', ...[...categories].reverse()];
  const dropped: string[] = [];
  for (const name of dropOrder) {
    if (widthOf(cols) <= width) break;
    if (!cols.some(([h]) => h === name)) continue;
    cols = cols.filter(([h]) => h !== name);
    dropped.push(name);
  }
  const widths = cols.map(([h, , cell]) => Math.max(h.length, ...rows.map((r) => cell(r).length)));
  const line = (cells: string[]) => cells.map((c, i) => (cols[i]![1] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const notes: string[] = [];
  if (categories.some((c) => cols.some(([h]) => h === c))) notes.push('latency columns: p95 of each category\'s operations');
  if (targets.length === 1) notes.push(`target ${targets[0]} (every run)`);
  if (dropped.length) notes.push(`left out for ${width} columns: ${dropped.join(', ')} (--format md or json has them)`);
  const table = [line(cols.map(([h]) => h)), ...rows.map((r) => line(cols.map(([, , cell]) => cell(r))))];
  return `${[...table, ...wrapNotes(notes, width)].join('\n')}\n`;
}

/** The notes under the table, each wrapped at word boundaries to `width`. */
function wrapNotes(notes: string[], width: number): string[] {
  const out: string[] = [];
  for (const note of notes) {
    let line = '';
    for (const word of note.split(' ')) {
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = '  ';
      }
      line = line.trim() === '' ? `${line}${word}` : `${line} ${word}`;
    }
    out.push(line);
  }
  return out;
}

export function renderHistoryMarkdown(rows: HistoryRow[]): string {
  const cols = columns(rows);
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const out = [`| ${cols.map(([h]) => h).join(' | ')} |`, `| ${cols.map(([, right]) => (right ? '---:' : '---')).join(' | ')} |`];
  for (const r of rows) out.push(`| ${cols.map(([, , c]) => cell(c(r))).join(' | ')} |`);
  return `${out.join('\n')}\n`;
}
