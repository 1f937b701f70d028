// Each category's one chart answers its question and earns its place: the pool sweep marks the configured and recommended
// sizes, the load stages are bands with the saturation point marked, hit rate is drawn against the expected one, and a
// single point or a flat line draws nothing. Targets are named without credentials; an old run.json still renders; the
// live view's state shows progress and becomes the report.
import { describe, expect, it } from 'vitest';
import { renderBody, renderHtml } from '../../src/report/html/index.js';
import { hitRateHeadline } from '../../src/checks/cache/headline.js';
import { loadHeadline, stageBands } from '../../src/checks/load/headline.js';
import { sizingHeadline } from '../../src/checks/pool/headline.js';
import type { Check } from '../../src/checks/types.js';
import { headline } from '../../src/report/html/headline.js';
import { earnsPlace, lineChart } from '../../src/report/html/svg.js';
import { redactedLocation } from '../../src/report/html/targets.js';
import { finalBody, livePage, LIVE_SCRIPT } from '../../src/report/live/page.js';
import { parseDashboardPort } from '../../src/report/live/server.js';
import { LiveState } from '../../src/report/live/state.js';
import type { CheckResult, RunResult, SerializedMetric, TrendMetric } from '../../src/result/model.js';
import { validateRunResult } from '../../src/result/validate.js';
import { fullRunResult } from '../fixtures/run-result.js';

function check(id: string, category: string, over: Partial<CheckResult>): CheckResult {
  return {
    id, category, title: id, status: 'pass', startedAt: '2025-03-01T10:00:00.000Z', durationMs: 1000,
    metrics: [], timeSeries: [], thresholds: [], ratings: [], findings: [], info: {}, ...over,
  };
}

/** The result as the run writes it: with the headline the check's own hook draws from its figures. */
function drawn(c: CheckResult, hook: NonNullable<Check['headline']>): CheckResult {
  const h = hook(c);
  return h ? { ...c, headline: h } : c;
}

const sweep = check('pool.sizing', 'pool', {
  info: {
    per_size: [1, 2, 4, 8, 10, 16].map((size, i) => ({ size, rps: 400 + i * 300, rps_min: 350 + i * 280, rps_max: 450 + i * 320, p95_ms: 20, error_rate: 0 })),
    sweep_verdict: { kind: 'better', size: 16, reference: 10, reference_is: 'configured', best: 16 },
  },
});

const load = check('load.mixed', 'load', {
  status: 'fail',
  timeSeries: [
    { name: 'load_p95', tags: {}, unit: 'ms', points: [[1, 5], [2, 6], [3, 8], [4, 30], [5, 400], [6, 900]] },
    { name: 'load_throughput', tags: {}, unit: 'req/s', points: [[1, 10], [2, 10], [3, 100], [4, 100], [5, 300], [6, 310]] },
    { name: 'load_stage_level', tags: {}, unit: 'req/s', points: [[1, 10], [2, 10], [3, 100], [4, 100], [5, 1000], [6, 1000]] },
  ],
  info: {
    stages: [{ unit: 'req/s' }],
    stage_table: [
      { stage: 1, level: 10, offered_per_s: 10, succeeded_per_s: 10, dropped_per_s: 0, p95_ms: 6, within_limits: true },
      { stage: 2, level: 100, offered_per_s: 100, succeeded_per_s: 100, dropped_per_s: 0, p95_ms: 30, within_limits: true },
      { stage: 3, level: 1000, offered_per_s: 1000, succeeded_per_s: 305, dropped_per_s: 695, p95_ms: 900, within_limits: false },
    ],
    saturation: { level: 100, unit: 'req/s', stage: 2, firstBeyond: 3, reason: 'saturated between 100 and 1000 req/s' },
    limits: { p95Ms: 500 },
  },
  findings: [{ severity: 'error', title: 'saturated at 100 req/s: p95 900 ms > 500 ms at 1000 req/s' }],
  thresholds: [{ metric: 'load_saturation_level', expression: 'value>=500', level: 'fail', ok: false, actual: 100, unit: 'req/s', source: 'default' }],
});

describe('category charts', () => {
  it('draws no chart for one point or a flat line', () => {
    expect(earnsPlace([{ points: [[0, 1]] }])).toBe(false);
    expect(earnsPlace([{ points: [[0, 3], [1, 3], [2, 3]] }])).toBe(false);
    expect(earnsPlace([{ points: [[0, 3], [1, 4]] }])).toBe(false);
    expect(earnsPlace([{ points: [[0, 3], [1, 4], [2, 3]] }])).toBe(true);
    expect(lineChart([{ label: 'flat', points: [[0, 0], [1, 0], [2, 0]] }], { title: 't', xTitle: 'x', yTitle: 'y' })).toBe('');
  });

  it('marks the configured and the recommended pool size on the sweep', () => {
    const out = headline([drawn(sweep, sizingHeadline)]);
    expect(out).toContain('data-chart="line"');
    expect(out).toMatch(/<g class="marker plain">.*configured 10<\/text>/);
    expect(out).toMatch(/<g class="marker good">.*recommended 16<\/text>/);
    // The sizes are the x labels, evenly spaced.
    for (const size of ['1', '2', '4', '8', '10', '16']) expect(out).toContain(`text-anchor="middle">${size}</text>`);
    const same = structuredClone(sweep);
    (same.info.sweep_verdict as Record<string, unknown>).size = 10;
    expect(headline([drawn(same, sizingHeadline)])).toContain('configured 10 = recommended');
  });

  it('draws the load stages as labelled bands, the one beyond the limits in red, with the saturation point', () => {
    const bands = stageBands([[1, 10], [2, 10], [3, 100], [4, 100], [5, 1000], [6, 1000]], 'req/s', new Set([3]));
    expect(bands.map((b) => [b.from, b.to, b.label, Boolean(b.bad)])).toEqual([[0, 2, '10 req/s', false], [2, 4, '100 req/s', false], [4, 6, '1,000 req/s', true]]);
    const out = headline([drawn(load, loadHeadline)]);
    expect(out.match(/<g class="band/g)).toHaveLength(6);
    expect(out.match(/<g class="band bad">/g)).toHaveLength(2);
    expect(out).toContain('saturation point: 100 req/s');
    expect(out).toContain('<tr class="regression"><td class="n">3</td>');
    // The limit (500 ms) is within reach of the measured p95 (900 ms): drawn.
    expect(out).toContain('p95 limit 500 ms');
  });

  it('shows beside the load chart what gave first, where session time went per stage, and the headroom', () => {
    const attributed = structuredClone(load);
    attributed.info.attribution = [
      { stage: 2, level: 100, unit: 'req/s', pool_wait_share: 0.02, session_samples: 410, groups: { cpu: 0.3, lock: 0.05, wal: 0.61, io: 0, lwlock: 0.01, client: 0.03, other: 0 } },
      { stage: 3, level: 1000, unit: 'req/s', pool_wait_share: 0.01, session_samples: 1900, groups: { cpu: 0.2, lock: 0.02, wal: 0.75, io: 0, lwlock: 0.01, client: 0.02, other: 0 } },
    ];
    attributed.info.bottleneck = { stage: 3, level: 1000, unit: 'req/s', saturated: true, component: 'wal' };
    attributed.findings.push(
      { severity: 'warn', subject: 'bottleneck', title: 'first to give way: WAL flush (1000 req/s)', detail: '75 % of the load\'s session time waited on WAL.\nRuled out: the PostgreSQL session pool (pool wait): 1 % of step time' },
      { severity: 'info', subject: 'headroom', title: 'capacity ~180 req/s before p(95)<500', detail: 'p(95)<500 crossed between 100 and 1000 req/s' },
    );
    const out = headline([drawn(attributed, loadHeadline)]);
    expect(out).toContain('<h4>First to give way: WAL flush (1000 req/s)</h4><p>75 % of the load&#39;s session time waited on WAL.</p>');
    expect(out).toContain('<p class="muted">Ruled out: the PostgreSQL session pool (pool wait): 1 % of step time</p>');
    // One row per stage; the stage judged is marked; WAL's column carries its share.
    const table = out.split('<table class="attribution">')[1]!.split('</table>')[0]!;
    expect(table.match(/<tr( class="judged")?><td class="n">\d<\/td>/g)).toHaveLength(2);
    expect(table).toMatch(/<tr class="judged"><td class="n">3<\/td><td class="n">1,000 req\/s<\/td><td class="n">1\.0%<\/td><td class="n">20\.0%<\/td><td class="n">2\.0%<\/td><td class="n">75\.0%<\/td>/);
    expect(out).toContain('<h4>Capacity ~180 req/s before p(95)&lt;500</h4>');
    // A run without attribution shows none.
    expect(headline([drawn(load, loadHeadline)])).not.toContain('class="attribution"');
    // Without Celery in the load, no Celery columns.
    expect(table).not.toContain('Celery busy');
  });

  it('adds the Celery workers\' utilisation and the task queue\'s growth when the load drove tasks', () => {
    const attributed = structuredClone(load);
    const groups = { cpu: 0.1, lock: 0, wal: 0.05, io: 0, lwlock: 0, client: 0.01, other: 0 };
    attributed.info.attribution = [
      { stage: 1, level: 20, unit: 'req/s', pool_wait_share: 0, session_samples: 90, groups, task_queue: { first: 0, last: 2, submitted: 40 }, celery_workers: { queue: 'q', consumers: 1, concurrency: 2, samples: 8, meanActive: 0.9, peakActive: 2, utilisation: 0.45 } },
      { stage: 2, level: 200, unit: 'req/s', pool_wait_share: 0, session_samples: 300, groups, task_queue: { first: 2, last: 310, submitted: 400 }, celery_workers: { queue: 'q', consumers: 1, concurrency: 2, samples: 8, meanActive: 2, peakActive: 2, utilisation: 1 } },
    ];
    const out = headline([drawn(attributed, loadHeadline)]);
    const table = out.split('<table class="attribution">')[1]!.split('</table>')[0]!;
    expect(table).toContain('Celery busy');
    expect(table).toMatch(/<td class="n">45\.0%<\/td><td class="n">2<\/td><\/tr>/);
    expect(table).toMatch(/<td class="n">100%<\/td><td class="n">308<\/td><\/tr>/);
    expect(out).toContain('Celery busy: tasks running over the pool processes');
  });

  it('draws the measured hit rate against the expected one', () => {
    const hit = check('cache.hit_rate', 'cache', {
      timeSeries: [{ name: 'cache_hit_rate', tags: {}, unit: 'ratio', points: [[1, 0.5], [2, 0.8], [3, 0.9]] }],
      info: { hit_rate: { measured: 0.9, expected: 0.93 } },
    });
    const out = headline([drawn(hit, hitRateHeadline)]);
    expect(out).toContain('hit rate (%)');
    expect(out).toContain('expected 93 % for this key distribution');
  });

  it('tells a failure as its finding, in the category line and the check summary', () => {
    const html = renderBody({ ...fullRunResult(), checks: [drawn(load, loadHeadline)] });
    expect(html).toContain('<p class="answer">saturated at 100 req/s: p95 900 ms &gt; 500 ms at 1000 req/s</p>');
    expect(html).toMatch(/<span class="why">saturated at 100 req\/s/);
    expect(html).not.toMatch(/<span class="why">[^<]*value&gt;=500/);
  });
});

describe('targets and old files', () => {
  it('names each target by host and database, never with credentials', () => {
    expect(redactedLocation('postgres://app:s3cret@db.internal:6432/shop?sslmode=require&password=x')).toBe('postgres://db.internal:6432/shop');
    expect(redactedLocation('redis://:pw@cache:6379/2')).toBe('redis://cache:6379/2');
    expect(redactedLocation('not a url user:pw@host/x?password=y')).not.toMatch(/pw@|password=y/);
    const r = fullRunResult();
    r.environment.targets.redis = { kind: 'redis', url: 'redis://default:topsecret@cache.internal:6379/0', private: false, version: '7.2.4' };
    const html = renderHtml(r);
    expect(html).not.toContain('topsecret');
    expect(html).toContain('<b>Redis</b> <code>redis://cache.internal:6379/0</code>');
  });

  it('renders a run.json written before the newer fields (no meaning or headline, a load check without its stage table)', () => {
    // Written as a schema 1 file of that time would be, and read the way `report` reads one.
    const file = JSON.parse(JSON.stringify({ ...fullRunResult(), schemaVersion: 1, checks: [...fullRunResult().checks, load, sweep] })) as Record<string, unknown> & RunResult;
    delete (file.summary as Partial<RunResult['summary']>).untrusted;
    delete (file.environment as Partial<RunResult['environment']>).unopened;
    for (const c of file.checks) for (const m of c.metrics as Array<Partial<SerializedMetric>>) { delete m.meaning; delete m.headline; delete m.better; delete m.description; }
    const oldLoad = file.checks.find((c) => c.id === 'load.mixed')!;
    delete oldLoad.info.stage_table;
    delete oldLoad.info.saturation;
    delete file.checks.find((c) => c.id === 'pool.sizing')!.info.sweep_verdict;
    const read = validateRunResult(file);
    if (!read.ok) throw new Error(read.problem);
    const old = read.result;
    const html = renderHtml(old);
    expect(html).toContain('2 of 6 checks failed'); // the summary as the file says it
    expect(html.match(/<details class="check"/g)).toHaveLength(old.checks.length);
    // A file without headline charts shows none: nothing is derived from a check's id or a metric's name.
    expect(html).not.toMatch(/<g class="band/);
    expect(html).not.toContain('saturation point:');
    expect(html).not.toContain('recommended 16');
  });

  it('keeps the headline a check drew in run.json, and reads a file whose checks have none', () => {
    const r = { ...fullRunResult(), checks: [drawn(load, loadHeadline), drawn(sweep, sizingHeadline)] };
    const read = validateRunResult(JSON.parse(JSON.stringify(r)));
    if (!read.ok) throw new Error(read.problem);
    expect(read.result.checks.map((c) => c.headline?.panels.map((p) => p.kind))).toEqual([['line', 'line', 'text', 'table'], ['line']]);
    expect(renderBody(read.result)).toBe(renderBody(r));
    const bad = JSON.parse(JSON.stringify(r)) as { checks: Array<{ headline: { panels: unknown[] } }> };
    bad.checks[0]!.headline.panels.push({ kind: 'pie' });
    expect(validateRunResult(bad)).toMatchObject({ ok: false });
  });
});

describe('a category whose checks declare no headline', () => {
  const trend = (name: string, tags: Record<string, string>, p95: number): SerializedMetric => {
    const base = fullRunResult().checks.flatMap((c) => c.metrics).find((m): m is TrendMetric => m.type === 'trend')!;
    return { ...base, name, tags, meaning: 'latency', summary: { ...base.summary, count: 10, percentiles: { p50: p95 / 2, p95, p99: p95 * 1.5 } } };
  };

  it('draws each operation timed (trends declared latency) against the p95 limit, read with the threshold parser', () => {
    const c = check('ledger.balance', 'ledger', {
      metrics: [trend('balance_time', { query: 'a' }, 40), trend('balance_time', { query: 'b' }, 90), { ...trend('setup_time', {}, 900), meaning: 'duration' }],
      thresholds: [{ metric: 'balance_time{query:a}', expression: 'p(95) <= 120', level: 'fail', ok: true, actual: 40, unit: 'ms', source: 'default' }],
    });
    const out = headline([c]);
    expect(out).toContain('data-chart="percentiles" data-points="2"');
    expect(out).toContain('p95 limit 120 ms');
    expect(out).not.toContain('setup_time');
  });

  it('answers with its findings when it timed no operation', () => {
    const c = check('ledger.audit', 'ledger', { findings: [{ severity: 'error', title: '3 unbalanced journal entries' }], status: 'fail' });
    expect(headline([c])).toContain('<figure class="headline findings">');
  });

});

describe('live view', () => {
  it('shows progress while the run goes and the report of the checks ended so far', () => {
    let now = 0;
    const state = new LiveState('quick', () => now);
    const r = fullRunResult();
    state.onEvent({ type: 'plan', checks: r.checks.map((c) => ({ id: c.id, title: c.title, category: c.category })) });
    state.onEvent({ type: 'check-start', id: 'pool.connect' });
    state.onEvent({ type: 'check-progress', id: 'pool.connect', text: '<b>round</b> 2/3' });
    now = 65_000;
    const first = state.body();
    expect(first).toContain('data-done="0" data-total="6"');
    expect(first).toContain('&lt;b&gt;round&lt;/b&gt; 2/3');
    expect(first).toContain('1 min 05 s');
    expect(first).not.toContain('id="recommendations"');
    const v = state.version;
    state.onEvent({ type: 'check-end', result: r.checks[0]! });
    expect(state.version).toBe(v + 1);
    expect(state.body()).toContain(`<details class="check" data-check="${r.checks[0]!.id}"`);
    expect(state.body()).toContain('data-done="1"');
  });

  it('allows only its own script and connections back to its server; the final state is the report', () => {
    const page = livePage('<p>x</p>');
    expect(page).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'; connect-src 'self'/);
    expect(page).toContain(`<script>${LIVE_SCRIPT}</script>`);
    expect(renderHtml(fullRunResult())).not.toContain('<script');
    const r = fullRunResult();
    const body = renderBody(r);
    expect(finalBody(body, r, '/tmp/"x"/report.html')).toContain(`<code>/tmp/&quot;x&quot;/report.html</code>.</section>\n${body}`);
  });

  it('takes --dashboard alone (a free port) or a port number, nothing else', () => {
    expect(parseDashboardPort(true)).toBe(0);
    expect(parseDashboardPort('8080')).toBe(8080);
    for (const bad of ['http', '-1', '65536', '80.5', '']) expect(() => parseDashboardPort(bad)).toThrow(/--dashboard: expected a port number/);
  });
});
