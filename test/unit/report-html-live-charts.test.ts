// The HTML report's answers that must agree with the rest of the run: info keys in words, the pool chart saying what the
// advice says, the Celery phases marked, per-second lines that step where a stage starts; and the live view's chart
// of the running check, which grows with what the check has recorded.
import { describe, expect, it } from 'vitest';
import { hitRateHeadline } from '../../src/checks/cache/headline.js';
import { loadHeadline } from '../../src/checks/load/headline.js';
import { sizingHeadline, sweepMarks } from '../../src/checks/pool/headline.js';
import { phaseBands, throughputHeadline } from '../../src/checks/tasks/headline.js';
import type { Check } from '../../src/checks/types.js';
import { infoCell } from '../../src/report/html/info.js';
import { infoLabel } from '../../src/report/html/info-labels.js';
import { lineChart } from '../../src/report/html/svg.js';
import { liveChart } from '../../src/report/live/charts.js';
import { LiveState } from '../../src/report/live/state.js';
import type { CheckSnapshot } from '../../src/result/events.js';
import type { TimeSeries } from '../../src/result/model.js';

describe('info keys', () => {
  it('are shown in words, declared ones and spelled-out ones, never as the raw key', () => {
    expect(infoLabel('setupMs')).toBe('setup time (ms)');
    expect(infoLabel('replacedLeftover')).toContain('leftover');
    expect(infoLabel('p95_ms')).toBe('p95 (ms)');
    expect(infoLabel('offered_per_s')).toBe('offered/s');
    expect(infoLabel('eventLoopDelayP99Ms')).not.toMatch(/[A-Z_]/);
    const html = infoCell({ setupMs: 1200, replacedLeftover: false, rows: { accounts: 10 } });
    expect(html).not.toContain('setupMs');
    expect(html).not.toContain('replacedLeftover');
    expect(html).toContain('setup time (ms)');
  });
});

describe('pool sweep markers agree with the advice', () => {
  const sizes = [1, 2, 4, 8, 10];
  const idx = (s: unknown) => sizes.indexOf(Number(s));
  it('no size did clearly better and a smaller one did as well: the chart names both, never "= recommended"', () => {
    const m = sweepMarks({ kind: 'none', size: 10, reference: 10, reference_is: 'configured', smallest_adequate: 2 }, idx);
    expect(m.map((x) => x.label).join(' | ')).not.toContain('recommended');
    expect(m).toContainEqual(expect.objectContaining({ at: 1, label: 'size 2 did as well as 10, within the noise' }));
    expect(m).toContainEqual(expect.objectContaining({ at: 4, label: 'configured 10: no size measurably better' }));
  });
  it('a better size: configured and recommended both drawn', () => {
    const m = sweepMarks({ kind: 'better', size: 4, reference: 10, reference_is: 'configured', smallest_adequate: 4 }, idx);
    expect(m.map((x) => x.label)).toEqual(['configured 10', 'recommended 4']);
  });
});

describe('Celery phases and per-second steps', () => {
  it('bands the burst, the steady phase and the drain from when each began', () => {
    const bands = phaseBands({ burst: 0.5, steady: 1.2, drain: 6.3 }, [[1, 5], [2, 9], [7, 8], [9, 1]], 10);
    expect(bands.map((b) => [b.label, b.from, b.to])).toEqual([['burst', 0.5, 1.2], ['steady 10/s', 1.2, 6.3], ['drain', 6.3, 9]]);
    expect(phaseBands({}, [[1, 1]], undefined)).toEqual([]);
  });
  it('a step series holds each value over the window before its point', () => {
    const svg = lineChart([{ label: 'x', points: [[0, 1], [1, 1], [2, 5], [3, 5]], step: true }], { title: 't', xTitle: 'x', yTitle: 'y' });
    const d = /<path d="([^"]+)"/.exec(svg)![1]!;
    // A vertical move at the previous point's x, then a horizontal one: no slope anywhere.
    expect(d).not.toContain('L');
    expect(d).toMatch(/^M[\d.]+ [\d.]+H[\d.]+(V[\d.]+H[\d.]+){3}$/);
  });
});

describe('live chart of the running check', () => {
  const series = (name: string, tags: Record<string, string>, unit: string, points: Array<[number, number]>): TimeSeries => ({ name, tags, unit, points });
  /** What the runner hands the live view: the check's figures so far and the headline its hook draws from them. */
  const seen = (hook: NonNullable<Check['headline']>, snap: CheckSnapshot): CheckSnapshot => {
    const h = hook({ ...snap, metrics: [], findings: [] });
    return h ? { ...snap, headline: h } : snap;
  };

  it('grows with the load series while a load test runs', () => {
    const points: Array<[number, number]> = [];
    const level: Array<[number, number]> = [];
    const snap = (): CheckSnapshot => seen(loadHeadline, { timeSeries: [series('load_p95', {}, 'ms', points), series('load_throughput', {}, 'req/s', points.map(([x, y]) => [x, y * 10])), series('load_stage_level', {}, '', level)], info: {} });
    const check = { id: 'load.mixed', title: 'Mixed load', category: 'load' };
    expect(liveChart(check, snap())).toBe('');
    const counts: number[] = [];
    for (let t = 1; t <= 6; t++) {
      points.push([t, 5 + t]);
      level.push([t, t < 4 ? 30 : 300]);
      const html = liveChart(check, snap());
      counts.push(Number(/data-points="(\d+)"/.exec(html)?.[1] ?? 0));
    }
    expect(counts.slice(2).every((n, i, a) => i === 0 || n > a[i - 1]!)).toBe(true);
    expect(liveChart(check, snap())).toContain('data-live-check="load.mixed"');
    // Mid-run the stages' unit comes from the executor the check announced: bands labelled, the offered line drawn.
    const announced = liveChart(check, seen(loadHeadline, { ...snap(), info: { scenario: { executor: 'arrival-rate' } } }));
    expect(announced).toContain('300 req/s');
    expect(announced).toContain('offered (stage level)');
  });

  it('draws the pool sweep round by round, and the Celery backlog', () => {
    const sweep = ['1', '2', '4'].map((size, i) => series('sweep_round_throughput', { size }, 'req/s', [[i + 1, 100 * (i + 1)]]));
    const html = liveChart({ id: 'pool.sizing', title: 'Pool sizing' }, seen(sizingHeadline, { timeSeries: sweep, info: { sweep: { sizes: [1, 2, 4] } } }));
    expect(html).toContain('round by round');
    expect(html).toMatch(/data-points="3"/);
    const backlog = liveChart({ id: 'tasks.throughput', title: 'Celery' }, seen(throughputHeadline, { timeSeries: [series('queue_depth', { queue: 'q' }, 'messages', [[0.2, 0], [0.5, 150], [0.8, 90], [1.1, 40]])], info: {} }));
    expect(backlog).toContain('Celery backlog');
    // A check without a headline of its own: the series it records, whatever their names.
    const other = liveChart({ id: 'ledger.x', title: 'Ledger' }, { timeSeries: [series('anything', {}, 'rows', [[1, 1], [2, 5], [3, 2]])], info: {} });
    expect(other).toContain('Ledger: recorded so far');
  });

  it('the progress section carries the running check\'s chart, and no "took" beside the live clock', () => {
    let now = 0;
    const state = new LiveState('quick', () => now);
    const points: Array<[number, number]> = [];
    state.onEvent({ type: 'plan', checks: [{ id: 'cache.hit_rate', title: 'Hit rate', category: 'cache' }] });
    state.onEvent({ type: 'check-start', id: 'cache.hit_rate', peek: () => seen(hitRateHeadline, { timeSeries: [series('cache_hit_rate', {}, '', points)], info: {} }) });
    const sizes: number[] = [];
    for (let t = 1; t <= 5; t++) {
      points.push([t, 0.5 + t / 20]);
      now = t * 1000;
      sizes.push(Number(/svg class="chart large"[^>]*data-points="(\d+)"/.exec(state.progressHtml())?.[1] ?? 0));
    }
    expect(sizes).toEqual([0, 0, 3, 4, 5]);
    expect(state.body()).not.toContain('took ');
    // The one length on the page is the live clock: the header names none either.
    expect(state.body()).not.toMatch(/on [^<]* · \d+(\.\d+)? s</);
  });
});
