// Turns findings and unmet thresholds into one numbered list of recommendations, most severe first.
import { builtinChecks } from '../checks/index.js';
import type { CheckResult, Recommendation, Severity, Summary, ThresholdOutcome } from '../result/model.js';
import { parseSelector, type MetricSelector } from '../verdict/threshold-parser.js';

const ORDER: Record<Severity, number> = { error: 0, warn: 1, info: 2 };
/** A subject longer than this (a list of tables) is in the advice's own text, not repeated beside it. */
const MAX_ABOUT = 48;

function figure(t: ThresholdOutcome): string {
  if (t.actual === null) return 'nothing was recorded';
  const n = t.actual;
  if (t.unit === 'ratio') return `measured ${(n * 100).toFixed(n > 0 && n < 0.01 ? 2 : 1)}%`;
  const shown = Math.abs(n) >= 100 ? n.toFixed(0) : Number(n.toPrecision(3)).toString();
  const unit = t.unit === '' || t.unit === 'count' ? '' : t.unit === '/s' ? '/s' : ` ${t.unit}`;
  return `measured ${shown}${unit}`;
}

/** The service a built-in check is about (the first it needs); plugin checks say nothing of theirs. */
const TARGET_OF = new Map(builtinChecks.map((c) => [c.id, c.needs[0]]));

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
  // The severity of a subject's unmet thresholds lifts the advice about it: a failing query's fix is an error-level item.
  const missedBySubject = new Map<string, Severity>();
  for (const t of c.thresholds) {
    if (t.ok) continue;
    for (const s of selectorSubjects(t.metric, c)) missedBySubject.set(s, worse(missedBySubject.get(s) ?? 'info', t.level === 'fail' ? 'error' : 'warn'));
  }
  const target = TARGET_OF.get(c.id);
  for (const f of c.findings) {
    if (!f.recommendation) continue;
    const severity = f.subject ? worse(f.severity, missedBySubject.get(f.subject) ?? 'info') : f.severity;
    // The subject beside the advice when the advice does not name it ("Enable them with pg_checksums": data_checksums).
    const about = f.subject && f.subject.length <= MAX_ABOUT && !f.recommendation.includes(f.subject) ? f.subject : undefined;
    out.push({ checkId: c.id, severity, text: f.recommendation, ...(target ? { target } : {}), ...(about ? { about } : {}) });
  }
  // A missed threshold with no advice of its own gets none here: "x missed count==0 (measured 11)" only restates the
  // FAIL or WARN line that every report already shows with the threshold, the figure and the limit.
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
