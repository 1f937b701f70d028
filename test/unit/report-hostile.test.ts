// Hostile run.json and hostile strings: the one schema rejects crafted files naming the JSON path, every reporter renders
// what it accepts with bounded loops, and text from databases or files never reaches a terminal or report.md as markup.
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/model.js';
import { RUN_JSON_LIMITS, validateRunResult } from '../../src/result/validate.js';
import { renderConsoleSummary } from '../../src/report/console.js';
import { renderFormat, type ReportFormat } from '../../src/report/index.js';
import { MARKDOWN_LIMIT, renderMarkdownDetails } from '../../src/report/markdown.js';
import { niceTicks } from '../../src/report/html/svg.js';
import { renderJson } from '../../src/report/json.js';
import { terminalSafe } from '../../src/util/terminal-safe.js';
import { emptyRunResult, fullRunResult } from '../fixtures/run-result.js';

const FORMATS: ReportFormat[] = ['json', 'md', 'html', 'junit', 'prom'];
const ESC = '\u001b';

/** A result as a reader sees it: written to JSON and parsed back (NaN becomes null, undefined disappears). */
function asRead(r: RunResult): Record<string, unknown> {
  return JSON.parse(renderJson(r)) as Record<string, unknown>;
}

function problem(data: unknown): string {
  const v = validateRunResult(data);
  if (v.ok) throw new Error('accepted');
  return v.problem;
}

function renderAll(r: RunResult): void {
  for (const f of FORMATS) expect(renderFormat(r, f).length).toBeGreaterThan(0);
  expect(renderConsoleSummary(r, { color: false }).length).toBeGreaterThan(0);
}

describe('run.json schema', () => {
  it('accepts what stackprobe writes', () => {
    for (const r of [fullRunResult(), emptyRunResult()]) expect(validateRunResult(asRead(r)).ok).toBe(true);
  });

  it('names the JSON path of null or wrong-typed nested fields', () => {
    const a = asRead(fullRunResult()) as { environment: { tool: unknown }; checks: Array<{ metrics: Array<Record<string, unknown>>; findings: unknown[] }> };
    a.environment.tool = null;
    expect(problem(a)).toBe('environment.tool: expected an object, found null');
    const b = asRead(fullRunResult()) as typeof a;
    b.checks[1]!.metrics[0]!.summary = null;
    expect(problem(b)).toBe('checks[1].metrics[0].summary: expected an object, found null');
    const c = asRead(fullRunResult()) as typeof a;
    c.checks[1]!.metrics[0]!.histogram = 5;
    expect(problem(c)).toBe('checks[1].metrics[0].histogram: expected a string, found number');
    const d = asRead(fullRunResult()) as typeof a;
    d.checks[0]!.findings = [{ severity: 'warn', title: ['x'] }];
    expect(problem(d)).toBe('checks[0].findings[0].title: expected a string, found an array');
    // A histogram the decoder cannot read used to end `report` and `merge` with "unexpected error" (exit 1).
    const e = asRead(fullRunResult()) as typeof a;
    e.checks[1]!.metrics[0]!.histogram = 'AAAA';
    expect(problem(e)).toBe('checks[1].metrics[0].histogram: expected an HDR histogram as stackprobe writes it (V2, compressed, base64)');
  });

  it('rejects 200k recommendations and a time series at x = 1e20', () => {
    const many = asRead(emptyRunResult());
    many.recommendations = Array.from({ length: 200_000 }, (_, i) => ({ checkId: 'x', severity: 'warn', text: `r${i}` }));
    expect(problem(many)).toBe(`recommendations: expected at most ${RUN_JSON_LIMITS.recommendations} entries`);
    const far = asRead(fullRunResult()) as { checks: Array<{ timeSeries: Array<{ points: unknown[] }> }> };
    far.checks[0]!.timeSeries[0]!.points = [[1e20, 1], [1e20 + 32768, 2]];
    expect(problem(far)).toMatch(/^checks\[0\]\.timeSeries\[0\]\.points\[0\]\[0\]: expected seconds since the check started/);
  });

  it('rejects info nested deeper than any report shows (JSON.stringify would overflow the stack)', () => {
    const deep = asRead(fullRunResult()) as { checks: Array<{ info: Record<string, unknown> }> };
    let v: unknown = 1;
    for (let i = 0; i < 100_000; i++) v = [v];
    deep.checks[0]!.info = { v };
    expect(problem(deep)).toMatch(/^checks\[0\]\.info: nested deeper than \d+ levels$/);
  });
});

describe('bounded rendering', () => {
  it('renders the largest accepted file in every format', () => {
    const r = validateRunResult({ ...asRead(fullRunResult()), recommendations: Array.from({ length: RUN_JSON_LIMITS.recommendations }, (_, i) => ({ checkId: 'x', severity: 'warn', text: `r${i}` })) });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    renderAll(r.result);
    const text = renderConsoleSummary(r.result, { color: false, verbose: true });
    expect(text).toContain(`… and ${(RUN_JSON_LIMITS.recommendations - 30).toLocaleString('en-US')} more (all in report.md)`);
    // report.md lists 30 and points at report-details.md, which lists them all.
    const md = renderFormat(r.result, 'md');
    expect(md).toContain(`… and ${(RUN_JSON_LIMITS.recommendations - 30).toLocaleString('en-US')} more in [report-details.md]`);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    expect(renderMarkdownDetails(r.result)).toContain(`${RUN_JSON_LIMITS.recommendations}. **warn**`);
  });

  it('axis ticks stay few where doubles cannot step (x near 1e20) and for any span', () => {
    expect(niceTicks(1e20, 1e20 + 16384).length).toBeLessThanOrEqual(50);
    expect(niceTicks(0, 1e20)).toHaveLength(6);
    expect(niceTicks(1e8, 1e8 + 1e-8).length).toBeLessThanOrEqual(50);
    expect(niceTicks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it('charts a series with points only the old loop could not tick', () => {
    const r = fullRunResult();
    r.checks[0]!.timeSeries[0]!.points = [[1e8, 1], [1e8 + 1e-8, 2], [1e8 + 2e-8, 3]];
    expect(renderFormat(r, 'html')).toContain('data-chart="line"');
  });
});

describe('hostile strings', () => {
  const hostile = `evil${ESC}[2J${ESC}]0;owned\u0007${ESC}[32mPASS${ESC}[0m\u0008\u202e`;

  it('terminalSafe removes escape sequences, controls and bidi overrides, keeps text, tabs and newlines', () => {
    expect(terminalSafe(hostile)).toBe('evilPASS');
    expect(terminalSafe('a\tb\nc — ü 😀')).toBe('a\tb\nc — ü 😀');
    expect(terminalSafe('\u009b31mred')).toBe('red');
  });

  it('the console shows names, reasons and findings as text, with or without colour', () => {
    const r = fullRunResult();
    r.environment.tool.name = hostile;
    r.checks[0]!.title = hostile;
    r.checks[1]!.reason = hostile;
    r.checks[1]!.findings.push({ severity: 'error', title: hostile, subject: hostile });
    r.recommendations.push({ checkId: hostile, severity: 'warn', text: hostile });
    r.environment.unavailable.redis = hostile;
    const plain = renderConsoleSummary(r, { color: false });
    expect(plain).not.toContain(ESC);
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    expect(plain).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(plain).toContain('evilPASS');
    const colour = renderConsoleSummary(r, { color: true });
    // Only stackprobe's own SGR colour codes remain.
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    expect(colour.replace(/\u001b\[\d+m/g, '')).not.toContain(ESC);
  });

  it('report.md escapes environment.tool.name and every other string from run.json', () => {
    const r = fullRunResult();
    r.environment.tool.name = '<img src=x onerror=alert(1)>\n# injected';
    r.checks[0]!.title = `<script>x</script>\n- item ${hostile}`;
    r.checks[0]!.startedAt = '<b>now</b>';
    r.checks[0]!.findings.push({ severity: 'warn', title: '<iframe>', subject: 'a\nb', detail: '<svg onload=1>' });
    const md = renderFormat(r, 'md');
    expect(md.split('\n')[0]).toBe('# &lt;img src=x onerror=alert(1)> # injected report');
    expect(md).not.toMatch(/<(img|script|b|iframe|svg)\b/);
    expect(md).not.toContain(ESC);
    expect(md).not.toMatch(/^# injected/m);
  });
});
