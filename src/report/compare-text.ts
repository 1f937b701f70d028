// The comparison as plain text for `stackprobe compare`: a headline, an aligned table of changes, status changes.
import { palette } from './text.js';
import { formatMs, formatNumber } from './format.js';
import { comparisonHeadline, changeRows, formatChange, type ChangeRow } from '../compare/rows.js';
import { hasRegression } from '../compare/compare.js';
import type { Comparison } from '../compare/model.js';

export function renderComparisonText(cmp: Comparison, opts: { color: boolean; all?: boolean }): string {
  const p = palette(opts.color);
  const lines = [
    `Baseline ${cmp.baseline.startedAt} (${cmp.baseline.mode}, ${cmp.baseline.version}) → current ${cmp.current.startedAt} (${cmp.current.mode}, ${cmp.current.version})`,
    '',
  ];
  // Figures of two different servers are not a regression or an improvement of either: said first, in yellow.
  for (const d of cmp.targetDifferences) {
    lines.push(p.yellow(`Warning: the runs tested different ${d.service} targets: ${d.baseline} → ${d.current}; the changes below compare two systems.`));
  }
  if (cmp.targetDifferences.length) lines.push('');
  // Per category, p95 over every operation has no noise model of its own: context for --all, never the verdict.
  if (opts.all && cmp.categoryLatency.length) {
    lines.push(p.bold('p95 latency by category (each operation once)'));
    const w = Math.max(...cmp.categoryLatency.map((c) => c.category.length));
    for (const c of cmp.categoryLatency) {
      lines.push(`  ${c.category.padEnd(w)}  ${formatMs(c.baselineP95).padStart(10)} → ${formatMs(c.currentP95).padStart(10)}  ${formatChange(c.change).padStart(8)}  (${formatNumber(c.baselineCount)} → ${formatNumber(c.currentCount)} operations)`);
    }
    lines.push('');
  }
  const rows = changeRows(cmp, opts.all);
  if (cmp.changes.length === 0) lines.push('No metric is present in both runs.');
  else if (rows.length === 0) lines.push(`No figure moved beyond the noise of both runs (${cmp.changes.length} compared; --all lists them).`);
  // Under --all, figures of one run only are rows too (baseline or current "—"), even when no metric is in both.
  if (rows.length) lines.push(...table(rows, p, Boolean(opts.all)));
  if (cmp.statusChanges.length) {
    lines.push('', 'Check status changes:');
    for (const s of cmp.statusChanges) {
      const line = `  ${s.checkId}: ${s.baseline} → ${s.current}${s.worsened ? '  regression' : ''}`;
      lines.push(s.worsened ? p.red(line) : line);
    }
  }
  if (cmp.onlyInCurrent.length) lines.push('', `Only in the current run: ${cmp.onlyInCurrent.length} metric(s) (${cmp.onlyInCurrent.slice(0, 5).join(', ')}${cmp.onlyInCurrent.length > 5 ? ', …' : ''})`);
  if (cmp.onlyInBaseline.length) lines.push('', `Only in the baseline: ${cmp.onlyInBaseline.length} metric(s) (${cmp.onlyInBaseline.slice(0, 5).join(', ')}${cmp.onlyInBaseline.length > 5 ? ', …' : ''})`);
  const headline = comparisonHeadline(cmp);
  lines.push('', hasRegression(cmp) ? p.red(p.bold(headline)) : p.green(headline));
  return `${lines.join('\n')}\n`;
}

function verdictCell(r: ChangeRow, all: boolean): string {
  if (r.verdict === 'regression' || r.verdict === 'improved') return r.verdict;
  return all && r.source.unjudged ? `not judged: ${r.source.unjudged}` : '';
}

function table(rows: ChangeRow[], p: ReturnType<typeof palette>, all: boolean): string[] {
  const head = ['check', 'metric', 'stat', 'baseline', 'current', 'change', 'noise', ''];
  const cells = rows.map((r) => [r.check, r.metric, r.stat, r.baseline, r.current, r.change, r.noise, verdictCell(r, all)]);
  // A metric's tags are its identity (the task, the key pattern): its column is cut only past 96 characters.
  const widths = head.map((h, i) => Math.min(i === 1 ? 96 : 48, Math.max(h.length, ...cells.map((c) => c[i]!.length))));
  const right = new Set([3, 4, 5, 6]);
  const fmt = (c: string[]) => c.map((v, i) => {
    const cut = v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v;
    return right.has(i) ? cut.padStart(widths[i]!) : cut.padEnd(widths[i]!);
  }).join('  ').trimEnd();
  return [p.bold(fmt(head)), ...cells.map((c, i) => {
    const line = fmt(c);
    const v = rows[i]!.verdict;
    return v === 'regression' ? p.red(line) : v === 'improved' ? p.green(line) : line;
  })];
}
