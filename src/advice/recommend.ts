// Turns findings and unmet thresholds into one numbered list of recommendations, most severe first.
import type { CheckResult, Recommendation, Severity, Summary } from '../result/model.js';

const ORDER: Record<Severity, number> = { error: 0, warn: 1, info: 2 };

function fmt(n: number | null): string {
  if (n === null) return 'not recorded';
  return Math.abs(n) >= 100 ? n.toFixed(0) : Number(n.toPrecision(3)).toString();
}

export function recommendations(checks: CheckResult[], summary: Summary): Recommendation[] {
  const out: Recommendation[] = [];
  for (const c of checks) {
    for (const f of c.findings) {
      if (f.recommendation) out.push({ checkId: c.id, severity: f.severity, text: f.recommendation });
    }
    for (const t of c.thresholds) {
      if (t.ok) continue;
      const sev: Severity = t.level === 'fail' ? 'error' : 'warn';
      out.push({ checkId: c.id, severity: sev, text: `${t.metric} missed ${t.expression} (measured ${fmt(t.actual)}); see the findings of ${c.id} for the likely cause.` });
    }
    if (c.status === 'fail' && c.reason) out.push({ checkId: c.id, severity: 'error', text: `${c.title} could not complete: ${c.reason}` });
  }
  for (const t of summary.thresholds) {
    if (!t.ok) out.push({ checkId: 'run', severity: 'warn', text: `stackprobe itself used ${fmt(t.actual)} MB of memory (limit ${t.expression}); run fewer checks at once or lower the scale.` });
  }
  // Stable sort keeps each check's own order within a severity.
  return out.sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
}
