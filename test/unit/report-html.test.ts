// The HTML report: self-contained, escaped, verdict and targets first, one answer per category (a chart that earns its
// place, or the findings), each check collapsed below; and the live view's state.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/compare/compare.js';
import { binValues, recordedValues } from '../../src/report/html/buckets.js';
import { renderBody, renderHtml } from '../../src/report/html/index.js';
import { niceTicks } from '../../src/report/html/svg.js';
import { parseRunJson } from '../../src/report/json.js';
import type { RunResult } from '../../src/result/model.js';
import { emptyRunResult, fullRunResult, interruptedRunResult } from '../fixtures/run-result.js';
import { slowerRun } from '../helpers/slower-run.js';

/** The markup of one `<details data-check="id">` (up to the next check). */
function checkHtml(html: string, id: string): string {
  const start = html.indexOf(`<details class="check" data-check="${id}"`);
  const end = html.indexOf('<details class="check"', start + 1);
  return html.slice(start, end === -1 ? undefined : end);
}

describe('renderHtml', () => {
  const result = fullRunResult();
  const html = renderHtml(result);

  it('is one file that loads nothing: no script, no external URL, a CSP forbidding loads', () => {
    // url(#id) names an element of the same document (the charts' label filter): it loads nothing; any other url( would.
    expect(html).not.toMatch(/<script|<link|<img|@import|url\((?!#)/i);
    for (const ref of html.match(/url\([^)]*\)/g) ?? []) expect(ref).toMatch(/^url\(#[\w-]+\)$/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('prefers-color-scheme:dark');
    expect(html).toContain('@media print');
  });

  it('opens with the verdict, the failed checks and the ranked to-do list, then the targets and one answer per category', () => {
    const summary = html.indexOf('id="summary"');
    expect(summary).toBeGreaterThan(0);
    expect(summary).toBeLessThan(html.indexOf('<section class="category"'));
    expect(html.indexOf('id="verdict"')).toBeLessThan(html.indexOf('id="targets"'));
    expect(html).toContain('2 of 6 checks failed');
    expect(html).toMatch(/<ul class="targets" id="targets"><li><b>PostgreSQL<\/b> <code>postgres:\/\/127\.0\.0\.1:54329\/stackprobe<\/code>/);
    // The first screen: verdict, then what failed (worst first, linked), then what to do, all before any target or chart.
    expect(html.indexOf('id="verdict"')).toBeLessThan(html.indexOf('id="problems"'));
    expect(html.indexOf('id="problems"')).toBeLessThan(html.indexOf('id="recommendations"'));
    expect(html.indexOf('id="recommendations"')).toBeLessThan(html.indexOf('id="targets"'));
    const problems = html.slice(html.indexOf('id="problems"'), html.indexOf('</ul>', html.indexOf('id="problems"')));
    const failed = result.checks.filter((c) => c.status === 'fail').map((c) => c.id);
    for (const id of failed) expect(problems).toContain(`<code>${id}</code>`);
    expect(problems.indexOf('FAIL')).toBeLessThan(problems.indexOf('WARN') === -1 ? Infinity : problems.indexOf('WARN'));
    // Every check is collapsed: details without `open`.
    expect(html.match(/<details class="check"/g)).toHaveLength(result.checks.length);
    expect(html).not.toMatch(/<details[^>]* open/);
    for (const s of ['PASS', 'WARN', 'FAIL', 'SKIP']) expect(html).toContain(`>${s}</span>`);
    expect(html).toContain('Create an index on transactions(account_id).');
  });

  it('draws a histogram per trend with every recorded value, and a line chart per time series', () => {
    const queries = checkHtml(html, 'queries.basic');
    const histograms = [...queries.matchAll(/data-chart="histogram" data-points="(\d+)"/g)].map((m) => Number(m[1]));
    expect(histograms.sort((a, b) => a - b)).toEqual([250, 1000]);
    const pool = checkHtml(html, 'pool.connect');
    expect(pool).toMatch(/data-chart="line" data-points="3"/);
    expect(pool).toContain('pool_waiting over time');
  });

  it('tabulates percentiles and shows the skipped categories as skipped with their reasons', () => {
    expect(checkHtml(html, 'queries.basic')).toMatch(/<th class="n">p99\.9<\/th>/);
    expect(html).toMatch(/data-category="cache" data-skipped="true"/);
    expect(checkHtml(html, 'cache.basic')).toContain('<b>Skipped:</b> REDIS_URL not set');
    expect(html).toMatch(/<p class="answer">Not run: REDIS_URL not set<\/p>/);
  });

  it('escapes every string from the result', () => {
    const evil: RunResult = structuredClone(result);
    const c = evil.checks.find((x) => x.id === 'queries.basic')!;
    c.title = '<script>alert(1)</script>';
    c.findings[0]!.title = '<img src=x onerror=alert(2)>';
    c.info['"><svg onload=alert(3)>'] = '<b>bold</b>';
    c.timeSeries.push({ name: 'x<y', tags: { query: '</svg><script>alert(4)</script>' }, unit: '"ms"', points: [[0, 1], [1, 2], [2, 5]] });
    c.findings[0]!.subject = '"><script>alert(5)</script>';
    evil.environment.targets.pg!.url = 'postgres://<b>x</b>@h/"><script>alert(6)</script>';
    evil.recommendations.push({ checkId: 'q', severity: 'warn', text: '<iframe src=//evil>' });
    const out = renderHtml(evil);
    expect(out).not.toMatch(/<script|<img|<iframe|<svg onload|<b>bold|<b>x/);
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('&lt;/svg&gt;&lt;script&gt;alert(4)&lt;/script&gt;');
  });

  it('renders an empty and an interrupted result', () => {
    const empty = renderHtml(emptyRunResult());
    expect(empty).toContain('No checks ran.');
    expect(empty).not.toContain('<svg');
    const cut = renderHtml(interruptedRunResult());
    expect(cut).toContain('Interrupted: the run was stopped early');
  });

  it('shows a comparison with the regression marked', () => {
    const slow = slowerRun(result, 'queries.basic', 'query_duration{query:insert}', 50);
    const out = renderHtml(slow, { comparison: compareRuns(result, slow, { maxRegression: 0.1, minDeltaMs: 0.5 }) });
    expect(out).toContain('id="comparison" data-regressions="1"');
    expect(out).toMatch(/<tr class="regression"><td><code>queries\.basic<\/code><\/td><td><code>query_duration\{query:insert\}<\/code><\/td><td>p50<\/td>/);
  });
});

describe('chart helpers', () => {
  it('bins every recorded count exactly once, log-spaced for wide ranges', () => {
    const m = fullRunResult().checks.find((c) => c.id === 'queries.basic')!.metrics.find((x) => x.type === 'trend')!;
    if (m.type !== 'trend') throw new Error('fixture');
    const values = recordedValues(m.histogram);
    expect(values.reduce((s, [, c]) => s + c, 0)).toBe(1000);
    const { bins, log } = binValues(values, 30);
    expect(log).toBe(true);
    expect(bins.reduce((s, b) => s + b.count, 0)).toBe(1000);
    expect(binValues([[5, 3]]).bins).toEqual([{ from: 5, to: 5, count: 3 }]);
  });

  it('chooses round ticks', () => {
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 0.7, 5)).toEqual([0, 0.2, 0.4, 0.6]);
  });
});

describe('the banner of the live view', () => {
  it('tells the checks ended so far while the run goes, and the verdict only at the end', () => {
    const result = fullRunResult();
    const verdict = (html: string) => /<div class="banner [a-z]+" id="verdict">([^<]*)<\/div>/.exec(html)?.[1];
    expect(verdict(renderBody(result, { partial: true }))).toMatch(/^So far: /);
    expect(verdict(renderBody(result))).not.toMatch(/So far/);
  });
});

describe('the first screen of a run on the user\'s database', () => {
  const real = parseRunJson(gunzipSync(readFileSync(path.join(import.meta.dirname, '../fixtures/runs/quick-run.json.gz'))).toString('utf8'), 'quick-run.json');

  it('says whose figures these are and what the run wrote, before the overview', () => {
    const html = renderHtml(real);
    const block = /<p class="provenance" id="provenance">(.*?)<\/p>/.exec(html)?.[1];
    expect(block).toMatch(/<b>Figures<\/b> .*queries.* measured stackprobe&#39;s synthetic workload, not your tables/);
    expect(block).toMatch(/<b>Wrote<\/b> schema stackprobe in database test \(158,495 rows\), scratch database stackprobe_restore_[0-9a-f]+/);
    expect(html.indexOf('id="provenance"')).toBeLessThan(html.indexOf('<table'));
    expect(renderHtml(emptyRunResult())).not.toContain('id="provenance"');
  });

  it('lists advice about the user\'s servers before advice about stackprobe\'s throwaway ones, each labelled with its server', () => {
    const r = structuredClone(real);
    r.environment.targets.redis = { ...r.environment.targets.pg!, url: 'redis://127.0.0.1:1', private: true };
    r.recommendations = [
      { checkId: 'cache.server', severity: 'error', text: 'about the throwaway Redis', target: 'redis' },
      { checkId: 'integrity.catalog', severity: 'warn', text: 'about your database', target: 'pg', about: 'public.ledger' },
    ];
    const todo = renderHtml(r).split('<section id="recommendations">')[1]!.split('</section>')[0]!;
    expect(todo.indexOf('about your database')).toBeLessThan(todo.indexOf('about the throwaway Redis'));
    expect(todo).toContain('<code>integrity.catalog (database test)</code> <span class="muted">public.ledger</span>');
    expect(todo).toContain('<code>cache.server (stackprobe&#39;s private redis server)</code>');
  });
});
