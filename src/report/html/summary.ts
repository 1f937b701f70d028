// The top of the HTML report (verdict, figures, status of every check, recommendations), the baseline comparison,
// and the environment at the end.
import { changeRows, comparisonHeadline, type Comparison } from '../../compare/index.js';
import { formatMargin } from '../../compare/margin.js';
import type { RunResult } from '../../result/model.js';
import {
  categoryTitle, checkDuration, formatBytes, formatDuration, formatMs, formatNumber, formatPercent, formatThreshold, groupByCategory, whyText,
} from '../format.js';
import { badge } from './check.js';
import { anchor, esc } from './escape.js';

export function summarySection(result: RunResult): string {
  const s = result.summary;
  const verdict = s.failed > 0 ? ['fail', `${s.failed} of ${s.total} checks failed`] : s.warned > 0 ? ['warn', `Passed with ${s.warned} warning${s.warned === 1 ? '' : 's'}`] : ['pass', s.total ? 'No check failed' : 'No checks ran'];
  const parts: string[] = [];
  if (result.interrupted) parts.push('<div class="banner warn">Interrupted: the run was stopped early. Checks that had not finished are marked SKIP and the figures are partial.</div>');
  parts.push(`<div class="banner ${verdict[0]}" id="verdict">${esc(verdict[1])}</div>`);
  const rt = s.responseTime;
  const tile = (value: string, label: string) => `<div class="tile"><b>${esc(value)}</b><span>${esc(label)}</span></div>`;
  parts.push('<div class="tiles">',
    tile(`${s.passed}`, 'passed'), tile(`${s.warned}`, 'warned'), tile(`${s.failed}`, 'failed'), tile(`${s.skipped}`, 'skipped'),
    tile(formatPercent(s.successRate), 'success rate (checks that ran)'),
    tile(rt && rt.count > 0 ? formatMs(rt.percentiles.p95 ?? Number.NaN) : '–', 'p95 response time, all operations'),
    tile(`${formatNumber(s.process.cpuPercent)}%`, 'client CPU'), tile(`${formatNumber(s.process.maxRssMb)} MB`, 'client max RSS'),
    '</div>');
  if (rt && rt.count > 0) {
    parts.push(`<p class="muted">Response time over ${esc(formatNumber(rt.count))} operations: p50 ${esc(formatMs(rt.percentiles.p50 ?? Number.NaN))} · p95 ${esc(formatMs(rt.percentiles.p95 ?? Number.NaN))} · p99 ${esc(formatMs(rt.percentiles.p99 ?? Number.NaN))} · max ${esc(formatMs(rt.max))}.</p>`);
  }
  for (const t of s.thresholds) parts.push(`<p>${badge(t.ok ? 'pass' : t.level === 'fail' ? 'fail' : 'warn')} Run threshold <code>${esc(formatThreshold(t))}</code></p>`);
  return `<section id="summary"><h2>Summary</h2>${parts.join('')}${overview(result)}${recommendations(result)}</section>`;
}

function overview(result: RunResult): string {
  if (result.checks.length === 0) return '<p>No checks ran.</p>';
  const rows = groupByCategory(result.checks).flatMap((g) => g.checks.map((c, i) => `<tr>${i === 0 ? `<td rowspan="${g.checks.length}"><a href="#cat-${anchor(g.category)}">${esc(categoryTitle(g.category))}</a></td>` : ''}` +
    `<td>${badge(c.status)}</td><td><a href="#check-${anchor(c.id)}"><code>${esc(c.id)}</code></a> ${esc(c.title)}</td><td class="n">${esc(checkDuration(c))}</td><td>${esc(whyText(c, 3))}</td></tr>`));
  return `<table class="overview"><thead><tr><th>Category</th><th>Status</th><th>Check</th><th class="n">Duration</th><th>Reason</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function recommendations(result: RunResult): string {
  if (result.recommendations.length === 0) return '<h3>Recommendations</h3><p>None: nothing needs attention.</p>';
  const items = result.recommendations.map((r) => `<li><span class="sev ${esc(r.severity)}">${esc(r.severity)}</span> <code>${esc(r.checkId)}</code>: ${esc(r.text)}</li>`);
  return `<h3>Recommendations</h3><ol class="recs">${items.join('')}</ol>`;
}

export function comparisonSection(cmp: Comparison): string {
  const rows = changeRows(cmp).map((r) => `<tr class="${r.verdict}"><td><code>${esc(r.check)}</code></td><td><code>${esc(r.metric)}</code></td><td>${esc(r.stat)}</td>` +
    `<td class="n">${esc(r.baseline)}</td><td class="n">${esc(r.current)}</td><td class="n">${esc(r.change)}</td><td>${r.verdict === 'regression' ? badge('fail') : r.verdict === 'improved' ? 'improved' : ''}</td></tr>`);
  const status = cmp.statusChanges.map((s) => `<li><code>${esc(s.checkId)}</code>: ${badge(s.baseline)} → ${badge(s.current)}</li>`);
  const cls = cmp.regressions.length ? 'fail' : 'pass';
  return `<section id="comparison" data-regressions="${cmp.regressions.length}"><h2>Compared with the baseline</h2>` +
    `<p class="muted">Baseline ${esc(cmp.baseline.startedAt)} (${esc(cmp.baseline.mode)}, ${esc(cmp.baseline.version)}); allowed worsening ${esc(formatMargin(cmp.maxRegression))}; p95 of latencies (from the histograms), error and hit rates, and throughput are judged.</p>` +
    `<div class="banner ${cls}">${esc(comparisonHeadline(cmp))}</div>` +
    (rows.length ? `<table><thead><tr><th>Check</th><th>Metric</th><th>Figure</th><th class="n">Baseline</th><th class="n">Current</th><th class="n">Change</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>` : '<p>No metric is present in both runs.</p>') +
    (status.length ? `<h4>Status changes</h4><ul>${status.join('')}</ul>` : '') + '</section>';
}

export function environmentSection(result: RunResult): string {
  const env = result.environment;
  const c = env.client;
  const kv = (rows: Array<[string, string]>) => `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('')}</table>`;
  const parts = [`<h3>Client</h3>`, kv([
    ['Host', esc(c.hostname)], ['Platform', esc(`${c.platform} ${c.arch}`)], ['CPUs', esc(`${c.cpus} × ${c.cpuModel}`)],
    ['Memory', esc(formatBytes(c.memoryBytes))], ['Node.js', esc(c.node)], [env.tool.name, esc(env.tool.version)],
    ['Mode', esc(`${result.mode}${result.readOnly ? ' (read-only)' : ''}`)], ['Started', esc(result.startedAt)], ['Duration', esc(formatDuration(result.durationMs))],
  ])];
  for (const [key, t] of Object.entries(env.targets)) {
    parts.push(`<h3>Target <code>${esc(key)}</code></h3>`, kv([
      ['Kind', esc(t.kind)], ['URL', `<code>${esc(t.url)}</code>`], ['Server version', esc(t.version ?? 'unknown')],
      ...(t.private ? [['Private', 'yes: started by stackprobe for this run; your own server was not tested'] as [string, string]] : []),
    ]));
    const settings = Object.entries(t.settings ?? {});
    if (settings.length) parts.push(`<details><summary>${settings.length} server settings</summary>${kv(settings.map(([k, v]) => [k, `<code>${esc(v)}</code>`]))}</details>`);
  }
  const unavailable = Object.entries(env.unavailable);
  if (unavailable.length) parts.push('<h3>Not tested</h3>', kv(unavailable.map(([k, why]) => [k, esc(why)])));
  return `<section id="environment"><h2>Environment</h2>${parts.join('')}</section>`;
}
