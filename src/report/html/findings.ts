// Findings as the answer: integrity, backup and health answer with what they found, worst first, as one table.
import type { CheckResult, Finding, ThresholdOutcome } from '../../result/model.js';
import { formatThresholdActual } from '../format.js';
import { esc } from './escape.js';

const ORDER: Record<string, number> = { error: 0, warn: 1, info: 2 };
/** More than this goes to the checks' details: the table is the summary, not the inventory. */
const MAX_ROWS = 12;

/** A check's failure told as its finding ("3 orphan rows in orders.customer_id"), not as a threshold expression. */
export function failureText(c: CheckResult): string {
  if (c.reason) return c.reason;
  const level = c.status === 'fail' ? ['error', 'warn'] : ['warn', 'error'];
  const found = c.findings.filter((f) => level.includes(f.severity)).sort((a, b) => ORDER[a.severity]! - ORDER[b.severity]!);
  if (found.length) return `${findingText(found[0]!)}${found.length > 1 ? ` (+${found.length - 1} more)` : ''}`;
  const missed = c.thresholds.filter((t) => !t.ok);
  if (missed.length) return `${missedText(missed[0]!)}${missed.length > 1 ? ` (+${missed.length - 1} more)` : ''}`;
  return '';
}

/** A missed threshold without a finding: what was measured against what was allowed, in the metric's unit. */
function missedText(t: ThresholdOutcome): string {
  return t.actual === null ? `${t.metric} was never measured` : `${t.metric} measured ${formatThresholdActual(t)}, allowed ${t.expression}`;
}

export function findingText(f: Finding): string {
  return f.subject && !f.title.includes(f.subject) ? `${f.subject}: ${f.title}` : f.title;
}

export function findingsTable(checks: CheckResult[]): string {
  const all = checks.flatMap((c) => c.findings.map((f) => ({ c, f }))).sort((a, b) => ORDER[a.f.severity]! - ORDER[b.f.severity]!);
  // "No findings" only where every check that ran passed: a failure with a reason is told in the line above.
  if (all.length === 0) return checks.some((c) => c.status === 'pass') && checks.every((c) => c.status === 'pass' || c.status === 'skip') ? '<p class="muted">No findings.</p>' : '';
  const shown = all.slice(0, MAX_ROWS);
  // Two columns, so a narrow screen wraps the finding's words, never a check id letter by letter.
  const rows = shown.map(({ c, f }) => `<tr><td><span class="sev ${esc(f.severity)}">${esc(f.severity)}</span></td>` +
    `<td>${esc(f.title)}<span class="about"><code>${esc(c.id)}</code>${f.subject ? ` · <code>${esc(f.subject)}</code>` : ''}</span>${f.recommendation ? `<span class="rec">${esc(f.recommendation)}</span>` : ''}</td></tr>`);
  const more = all.length > MAX_ROWS ? `<p class="muted">${all.length - MAX_ROWS} more in the checks' details below.</p>` : '';
  return `<figure class="headline findings"><figcaption>Findings, worst first</figcaption><div class="scroll"><table><thead><tr><th>Severity</th><th>Finding</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>${more}</figure>`;
}
