// The untrusted outcome end to end over the result model: its exit code, and every reporter saying it (never a pass),
// each missed threshold with the measured value and the limit.
import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.js';
import type { RunResult } from '../../src/result/model.js';
import { parseRunJson, renderJson } from '../../src/report/json.js';
import { renderConsoleSummary } from '../../src/report/console.js';
import { renderJunit } from '../../src/report/junit.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderProm } from '../../src/report/prom.js';
import { fullRunResult } from '../fixtures/run-result.js';

/** The fixture with every failure removed and queries.basic's fail-level miss measured on a saturated client. */
function untrustedRun(): RunResult {
  const r = fullRunResult();
  for (const c of r.checks) if (c.status === 'fail') c.status = 'pass';
  const basic = r.checks.find((c) => c.id === 'queries.basic')!;
  basic.status = 'untrusted';
  basic.thresholds = basic.thresholds.map((t) => (t.ok ? t : { ...t, untrusted: true as const }));
  const backup = r.checks.find((c) => c.id === 'backup.restore')!;
  delete backup.reason;
  backup.thresholds = [];
  r.summary = { ...r.summary, passed: r.summary.passed + r.summary.failed - 1, failed: 0, untrusted: 1 };
  return r;
}

describe('untrusted', () => {
  it('exits 3 when the only fail-level misses are untrusted; a real failure beside them exits 1', () => {
    const r = untrustedRun();
    expect(exitCodeFor(r)).toBe(EXIT.untrusted);
    expect(EXIT.untrusted).toBe(3);
    const failing = structuredClone(r);
    failing.checks.find((c) => c.id === 'integrity.fk')!.status = 'fail';
    expect(exitCodeFor(failing)).toBe(EXIT.checkFailed);
    const calm = structuredClone(r);
    calm.checks.find((c) => c.id === 'queries.basic')!.status = 'pass';
    expect(exitCodeFor(calm)).toBe(EXIT.ok);
  });

  it('is said by every reporter, never as a pass, with the threshold, the measured value and the limit', () => {
    const r = untrustedRun();
    const line = 'query_duration{query:point_lookup} p(95)<100 → measured 950 ms, limit 100 ms (untrusted: stackprobe\'s own client was saturated while it measured)';
    const text = renderConsoleSummary(r, { color: false, width: 200 });
    expect(text).toMatch(/^UNTRUSTED · 6 checks: \d+ passed, \d+ warned, 0 failed, 1 untrusted, \d+ skipped$/m);
    expect(text).not.toMatch(/^PASS/m);
    expect(text).toMatch(/^ {2}UNTRUSTED {2}queries\.basic {2}query_duration\{query:point_lookup\} p\(95\)<100 → measured 950 ms, limit\s+100 ms \(untrusted/m);
    expect(text).toMatch(/^ {2}WARN {2}integrity\.fk {2}orphan_rows count==0 → measured 3, limit 0/m);
    const md = renderMarkdown(r);
    expect(md).toContain('❓ untrusted: 1 of 6 checks missed a threshold while stackprobe\'s own client was saturated');
    expect(md).toContain(`❓ UNTRUSTED | 2.1 s | ${line}`);
    const xml = renderJunit(r);
    expect(xml).toMatch(/<error message="query_duration\{query:point_lookup\} p\(95\)&lt;100 → measured 950 ms, limit 100 ms \(untrusted: [^"]+" type="untrusted">/);
    expect(xml).toMatch(/<testsuites [^>]*errors="1"/);
    expect(renderProm(r)).toContain('stackprobe_checks{status="untrusted"} 1');
    // run.json keeps the status and the mark through a round trip.
    const back = parseRunJson(renderJson(r), 'run.json');
    expect(back.checks.find((c) => c.id === 'queries.basic')).toMatchObject({ status: 'untrusted', thresholds: [{ untrusted: true }, { ok: true }, { ok: true }] });
  });
});
