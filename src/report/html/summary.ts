// The top of the HTML report, what a reader sees before scrolling: the verdict, the checks that failed or warned (each
// with its reason), the ranked to-do list; then the targets, the figures and the status of every check. The baseline
// comparison, and the environment at the end.
import { changeRows, comparisonHeadline, type Comparison } from '../../compare/index.js';
import { formatMargin } from '../../compare/margin.js';
import type { RunResult } from '../../result/model.js';
import {
  categoryTitle, formatBytes, formatDuration, formatMs, formatNumber, formatThreshold, groupByCategory,
} from '../format.js';
import { badge, categoryLine } from './check.js';
import { provenanceSentences, rankRecommendations, recommendationLabel } from '../provenance.js';
import { failureText } from './findings.js';
import { redactedLocation, targetsBlock } from './targets.js';
import { anchor, esc } from './escape.js';

/** Recommendations shown before the fold; the rest sit in a collapsed list below them. */
const TOP_RECOMMENDATIONS = 5;
/** Failed and warned checks listed by the verdict; more go behind a "more" line (each category's line tells them too). */
const TOP_PROBLEMS = 6;

export function verdictText(result: RunResult): [string, string] {
  const s = result.summary;
  const tail = [s.warned && `${s.warned} warned`, s.passed && `${s.passed} passed`, s.skipped && `${s.skipped} skipped`].filter(Boolean).join(', ');
  if (s.failed > 0) return ['fail', `${s.failed} of ${s.total} checks failed${tail ? ` · ${tail}` : ''}`];
  const untrusted = s.untrusted ?? 0;
  if (untrusted > 0) return ['untrusted', `Untrusted: ${untrusted} of ${s.total} checks missed a threshold while stackprobe's own client was saturated${tail ? ` · ${tail}` : ''}`];
  if (s.warned > 0) return ['warn', `Passed with ${s.warned} warning${s.warned === 1 ? '' : 's'}${s.passed ? ` · ${s.passed} passed` : ''}${s.skipped ? `, ${s.skipped} skipped` : ''}`];
  return ['pass', s.total ? `No check failed${tail ? ` · ${tail}` : ''}` : 'No checks ran'];
}

/** `partial`: the live view while the run goes; the banner tells the checks ended so far, not the run's verdict. */
export function summarySection(result: RunResult, partial = false): string {
  const s = result.summary;
  const [verdictClass, verdict] = verdictText(result);
  const cls = partial && verdictClass !== 'fail' ? 'pending' : verdictClass;
  const text = partial ? `So far: ${verdict}` : verdict;
  const parts: string[] = [];
  if (result.interrupted) parts.push('<div class="banner warn">Interrupted: the run was stopped early. Checks that had not finished are marked SKIP and the figures are partial.</div>');
  parts.push(`<div class="banner ${cls}" id="verdict">${esc(text)}</div>`, problems(result));
  // The to-do list exists only at a run's end: the live view of a run still going has none yet.
  if (!partial && result.checks.length) parts.push(recommendationsSection(result));
  parts.push(targetsBlock(result));
  // Whose figures these are (stackprobe's synthetic workload or the user's own SQL) and what the run wrote where.
  const { figures: whose, written } = provenanceSentences(result);
  if (whose || written) parts.push(`<p class="provenance" id="provenance">${[whose && `<b>Figures</b> ${esc(whose)}`, written && `<b>Wrote</b> ${esc(written)}`].filter(Boolean).join('<br>')}</p>`);
  const rt = s.responseTime;
  const figures = [
    rt && rt.count > 0 ? `${formatNumber(rt.count)} operations, p95 ${formatMs(rt.percentiles.p95 ?? Number.NaN)} over all of them` : '',
    // While a run goes its length is the live clock above, which moves every second; a second, stale figure beside it
    // would contradict it.
    partial ? '' : `took ${formatDuration(result.durationMs)}`,
    // Zero while the live view shows a run in progress: the process figures are measured at its end.
    ...(s.process.maxRssMb > 0 ? [`client CPU ${formatNumber(s.process.cpuPercent)} %`, `max RSS ${formatNumber(s.process.maxRssMb)} MB`] : []),
  ].filter(Boolean);
  parts.push(`<p class="muted figures">${esc(figures.join(' · '))}</p>`);
  for (const t of s.thresholds) parts.push(`<p>${badge(t.ok ? 'pass' : t.level === 'fail' ? 'fail' : 'warn')} Run threshold <code>${esc(formatThreshold(t))}</code></p>`);
  return `<section id="summary">${parts.join('')}${overview(result)}</section>`;
}

function overview(result: RunResult): string {
  if (result.checks.length === 0) return '<p>No checks ran.</p>';
  const rows = groupByCategory(result.checks).map((g) => {
    const badges = g.checks.map((c) => `<a href="#check-${anchor(c.id)}" title="${esc(`${c.id}: ${c.status}`)}">${badge(c.status)}</a>`).join(' ');
    return `<tr data-category="${esc(g.category)}"><td><a href="#cat-${anchor(g.category)}">${esc(categoryTitle(g.category))}</a></td><td class="badges">${badges}</td><td>${esc(categoryLine(g.checks))}</td></tr>`;
  });
  return `<div class="scroll"><table class="overview"><thead><tr><th>Category</th><th>Checks</th><th>Answer</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

/** The checks that failed, were untrusted or warned, worst first, each with its reason and a link to its details. */
function problems(result: RunResult): string {
  const rank = { fail: 0, untrusted: 1, warn: 2 } as Record<string, number>;
  const bad = result.checks.filter((c) => rank[c.status] !== undefined).sort((a, b) => rank[a.status]! - rank[b.status]!);
  if (bad.length === 0) return '';
  const item = (c: RunResult['checks'][number]) => `<li>${badge(c.status)} <a href="#check-${anchor(c.id)}"><code>${esc(c.id)}</code></a> ${esc(failureText(c) || c.title)}</li>`;
  const more = bad.length > TOP_PROBLEMS ? `<details><summary>${bad.length - TOP_PROBLEMS} more</summary><ul class="problems">${bad.slice(TOP_PROBLEMS).map(item).join('')}</ul></details>` : '';
  return `<ul class="problems" id="problems">${bad.slice(0, TOP_PROBLEMS).map(item).join('')}</ul>${more}`;
}

/** Under the verdict and its failures: the ranked to-do list is what a reader acts on, so it comes before any chart. */
export function recommendationsSection(result: RunResult): string {
  return `<section id="recommendations">${recommendations(result)}</section>`;
}

function recommendations(result: RunResult): string {
  if (result.recommendations.length === 0) return '<h2>What to do</h2><p>Nothing: no recommendation came out of this run.</p>';
  // Advice about the user's own servers first; advice about stackprobe's throwaway servers after it, each labelled.
  const item = (r: RunResult['recommendations'][number]) => `<li><span class="sev ${esc(r.severity)}">${esc(r.severity)}</span> <code>${esc(recommendationLabel(r, result))}</code>${r.about ? ` <span class="muted">${esc(r.about)}</span>` : ''}: ${esc(r.text)}</li>`;
  const ranked = rankRecommendations(result);
  const top = ranked.slice(0, TOP_RECOMMENDATIONS).map(item);
  const rest = ranked.slice(TOP_RECOMMENDATIONS).map(item);
  const more = rest.length ? `<details><summary>${rest.length} more recommendation${rest.length === 1 ? '' : 's'}</summary><ol class="recs" start="${TOP_RECOMMENDATIONS + 1}">${rest.join('')}</ol></details>` : '';
  return `<h2>What to do, most important first</h2><ol class="recs">${top.join('')}</ol>${more}`;
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
      ['Kind', esc(t.kind)], ['URL', `<code>${esc(redactedLocation(t.url))}</code>`], ['Server version', esc(t.version ?? 'unknown')],
      ...(t.private ? [['Private', 'yes: started by stackprobe for this run; your own server was not tested'] as [string, string]] : []),
    ]));
    const settings = Object.entries(t.settings ?? {});
    if (settings.length) parts.push(`<details><summary>${settings.length} server settings</summary>${kv(settings.map(([k, v]) => [k, `<code>${esc(v)}</code>`]))}</details>`);
  }
  const unavailable = Object.entries(env.unavailable);
  if (unavailable.length) parts.push('<h3>Not tested</h3>', kv(unavailable.map(([k, why]) => [k, esc(why)])));
  return `<section id="environment"><details><summary><h2>Environment</h2></summary>${parts.join('')}</details></section>`;
}
