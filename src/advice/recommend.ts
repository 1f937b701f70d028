// Turns findings and unmet thresholds into one numbered list of recommendations, most severe first.
import type { CheckResult, Recommendation, Severity, Summary, ThresholdOutcome } from '../result/model.js';
import { parseSelector, type MetricSelector } from '../verdict/threshold-parser.js';

const ORDER: Record<Severity, number> = { error: 0, warn: 1, info: 2 };

function figure(t: ThresholdOutcome): string {
  if (t.actual === null) return 'nothing was recorded';
  const n = t.actual;
  if (t.unit === 'ratio') return `measured ${(n * 100).toFixed(n > 0 && n < 0.01 ? 2 : 1)}%`;
  const shown = Math.abs(n) >= 100 ? n.toFixed(0) : Number(n.toPrecision(3)).toString();
  const unit = t.unit === '' || t.unit === 'count' ? '' : t.unit === '/s' ? '/s' : ` ${t.unit}`;
  return `measured ${shown}${unit}`;
}

/**
 * What a threshold is about, to match findings about the same subject: the tag values in its selector
 * (`query_duration{query:bad}` -> ['bad']), or for a bare name the tag values of that metric's series
 * (`cache_server_problems` -> ['no_maxmemory'] when `cache_server_problems{problem:no_maxmemory}` was recorded).
 */
function selectorSubjects(metric: string, c: CheckResult): string[] {
  let sel: MetricSelector;
  try {
    sel = parseSelector(metric, 'threshold');
  } catch {
    return []; // a run.json written by hand: no subject to match
  }
  const tagged = Object.values(sel.tags).filter(Boolean);
  if (tagged.length > 0) return tagged;
  return c.metrics.filter((m) => m.name === sel.name).flatMap((m) => Object.values(m.tags));
}

const worse = (a: Severity, b: Severity): Severity => (ORDER[a] <= ORDER[b] ? a : b);

function checkRecommendations(c: CheckResult): Recommendation[] {
  const out: Recommendation[] = [];
  const advised = new Set<string>();
  // The severity of a subject's unmet thresholds lifts the advice about it: a failing query's fix is an error-level item.
  const missedBySubject = new Map<string, Severity>();
  for (const t of c.thresholds) {
    if (t.ok) continue;
    for (const s of selectorSubjects(t.metric, c)) missedBySubject.set(s, worse(missedBySubject.get(s) ?? 'info', t.level === 'fail' ? 'error' : 'warn'));
  }
  for (const f of c.findings) {
    if (!f.recommendation) continue;
    const severity = f.subject ? worse(f.severity, missedBySubject.get(f.subject) ?? 'info') : f.severity;
    out.push({ checkId: c.id, severity, text: f.recommendation });
    if (f.subject) advised.add(f.subject);
  }
  for (const t of c.thresholds) {
    // A finding with advice about the same subject already says what to do; its thresholds need no second line.
    if (t.ok || selectorSubjects(t.metric, c).some((s) => advised.has(s))) continue;
    const sev: Severity = t.level === 'fail' ? 'error' : 'warn';
    out.push({ checkId: c.id, severity: sev, text: `${t.metric} missed ${t.expression} (${figure(t)}).` });
  }
  if (c.status === 'fail' && c.reason) out.push({ checkId: c.id, severity: 'error', text: `${c.title} could not complete: ${c.reason}` });
  return out;
}

export function recommendations(checks: CheckResult[], summary: Summary): Recommendation[] {
  const out = checks.flatMap(checkRecommendations);
  for (const t of summary.thresholds) {
    if (!t.ok) out.push({ checkId: 'run', severity: 'warn', text: `stackprobe itself used ${figure(t).replace('measured ', '')} of memory (${t.expression}); run fewer checks at once or lower the scale.` });
  }
  // Stable sort keeps each check's own order within a severity.
  return out.sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
}
