// The one large chart per category that answers its question: latency by operation, the pool sweep with the configured
// and recommended sizes, hit rate against what the key distribution allows, task completions against the offered rate,
// latency over the load stages; integrity, backup and health answer with their findings as a table.
import type { CheckResult, TimeSeries, TrendMetric } from '../../result/model.js';
import { formatMs, formatNumber } from '../format.js';
import { percentileChart, type PercentileRow } from './bars.js';
import { esc } from './escape.js';
import { findingsTable } from './findings.js';
import { loadChart } from './load-chart.js';
import { legend, lineChart, type Band, type LineSeries, type Marker } from './svg.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const rows = (v: unknown): Array<Record<string, unknown>> => (Array.isArray(v) ? v.map(obj) : []);

export function figure(caption: string, chart: string, extra = ''): string {
  return chart ? `<figure class="headline"><figcaption>${esc(caption)}</figcaption>${chart}${extra}</figure>` : '';
}

function ran(checks: CheckResult[], id: string): CheckResult | undefined {
  return checks.find((c) => c.id === id && c.status !== 'skip');
}

function series(c: CheckResult | undefined, name: string): TimeSeries | undefined {
  return c?.timeSeries.find((s) => s.name === name && s.points.length > 0);
}

/** The p95 limit a check's thresholds set on a metric (`p(95)<200`), for the limit line. */
function p95Limit(checks: CheckResult[], metric: string): number | undefined {
  for (const c of checks) {
    for (const t of c.thresholds) {
      const m = /^p\(95\)\s*<=?\s*([\d.]+)$/.exec(t.expression.trim());
      if (m && t.metric.startsWith(metric)) return Number(m[1]);
    }
  }
  return undefined;
}

function percentileRows(checks: CheckResult[], pick: (m: TrendMetric) => boolean): PercentileRow[] {
  const out: PercentileRow[] = [];
  for (const c of checks.filter((x) => x.status !== 'skip')) {
    for (const m of c.metrics) {
      if (m.type !== 'trend' || m.summary.count === 0 || !pick(m)) continue;
      const p = m.summary.percentiles;
      const tags = Object.values(m.tags);
      out.push({ label: tags.length ? tags.join(' · ') : m.name, p50: p.p50 ?? Number.NaN, p95: p.p95 ?? Number.NaN, p99: p.p99 ?? Number.NaN });
    }
  }
  return out;
}

function queriesChart(checks: CheckResult[]): string {
  const list = percentileRows(checks, (m) => m.name === 'query_duration');
  const limit = p95Limit(checks, 'query_duration');
  const chart = percentileChart(list, { title: 'Query latency by query', ...(limit !== undefined ? { limitMs: limit, limitLabel: `p95 limit ${formatMs(limit)}` } : {}) });
  return figure(`Latency of each query (${list.length} queries): is any slower than the limit?`, chart);
}

function poolChart(checks: CheckResult[]): string {
  const sizing = ran(checks, 'pool.sizing');
  const per = rows(sizing?.info.per_size).filter((r) => num(r.size) !== undefined && num(r.rps) !== undefined);
  if (per.length >= 3) {
    const v = obj(sizing!.info.sweep_verdict);
    const idx = (size: unknown) => per.findIndex((r) => r.size === size);
    const line = (key: string, label: string): LineSeries => ({ label, points: per.map((r, i) => [i, num(r[key]) ?? Number.NaN]) });
    const all = [line('rps', 'median of the rounds'), line('rps_min', 'slowest round'), line('rps_max', 'fastest round')];
    const chart = lineChart(all, {
      title: 'Throughput by pool size', xTitle: 'pool size (connections)', yTitle: 'requests/s', large: true,
      xLabels: per.map((r, i) => ({ at: i, label: String(r.size) })), xMarkers: sweepMarkers(v, idx),
    });
    return figure('Throughput by pool size: which size serves the most requests?', chart, legend(all));
  }
  const list = percentileRows(checks, (m) => m.meaning === 'latency' || m.headline === true);
  return figure('Connection and pool latencies', percentileChart(list, { title: 'Pool latencies' }));
}

/**
 * The sizes the sweep's verdict names, in the advice's own terms: the configured size, the size it recommends, and,
 * when no size did clearly better but a smaller one did as well within the noise, that smaller size (the advice says so;
 * a chart saying "configured = recommended" beside it would contradict it).
 */
export function sweepMarkers(v: Record<string, unknown>, idx: (size: unknown) => number): Marker[] {
  const configured = v.reference_is === 'configured' ? idx(v.reference) : -1;
  const recommended = idx(v.size);
  const smallest = idx(v.smallest_adequate);
  const out: Marker[] = [];
  if (v.kind === 'none' && configured >= 0) {
    out.push({ at: configured, label: `configured ${String(v.reference)}: no size measurably better`, kind: 'plain' });
    if (smallest >= 0 && smallest !== configured) out.push({ at: smallest, label: `size ${String(v.smallest_adequate)} did as well as ${String(v.reference)}, within the noise`, kind: 'good' });
    return out;
  }
  if (configured >= 0) out.push({ at: configured, label: `configured ${String(v.reference)}`, kind: 'plain' });
  if (recommended >= 0 && recommended !== configured) out.push({ at: recommended, label: `recommended ${String(v.size)}`, kind: 'good' });
  if (recommended >= 0 && recommended === configured) out[0] = { at: configured, label: `configured ${String(v.reference)} = recommended`, kind: 'good' };
  return out;
}


function cacheChart(checks: CheckResult[]): string {
  const hit = ran(checks, 'cache.hit_rate');
  const s = series(hit, 'cache_hit_rate');
  if (s) {
    const expected = num(obj(hit!.info.hit_rate).expected);
    const points = s.points.map(([x, y]) => [x, y * 100] as [number, number]);
    const low = Math.min(...points.map((p) => p[1]).filter(Number.isFinite), expected !== undefined ? expected * 100 : 100);
    const chart = lineChart([{ label: 'measured hit rate', points }], {
      title: 'Cache hit rate over time', xTitle: 's since the check started', yTitle: 'hit rate (%)', large: true,
      yMin: Math.max(0, Math.floor((low - 5) / 10) * 10),
      ...(expected !== undefined ? { yMarkers: [{ at: expected * 100, label: `expected ${formatNumber(expected * 100)} % for this key distribution`, kind: 'good' as const }] } : {}),
    });
    if (chart) return figure('Hit rate measured against expected: does the cache keep what it should?', chart);
  }
  const curve = rows(ran(checks, 'cache.concurrency')?.info.curve);
  if (curve.length >= 3) {
    const pts = curve.map((r) => [num(r.concurrency) ?? Number.NaN, num(r.ops_per_s) ?? Number.NaN] as [number, number]);
    const chart = lineChart([{ label: 'operations/s', points: pts }], { title: 'Cache throughput by concurrency', xTitle: 'requests in flight', yTitle: 'operations/s', large: true });
    if (chart) return figure('Cache throughput by concurrency: where does it stop growing?', chart);
  }
  return figure('Cache latency by operation', percentileChart(percentileRows(checks, (m) => m.headline === true || m.name === 'cache_op_duration'), { title: 'Cache latency' }));
}

function tasksChart(checks: CheckResult[]): string {
  const thr = ran(checks, 'tasks.throughput');
  const s = series(thr, 'task_completions');
  if (s) {
    const offered = num(obj(thr!.info.plan).rate_per_s);
    const chart = lineChart([{ label: 'completed tasks/s', points: s.points, step: true }], {
      title: 'Task completions per second', xTitle: 's since the check started', yTitle: 'tasks/s', large: true,
      bands: phaseBands(obj(thr!.info.phase_starts_s), s.points, offered),
      ...(offered !== undefined ? { yMarkers: [{ at: offered, label: `offered ${formatNumber(offered)}/s`, kind: 'good' as const }] } : {}),
    });
    if (chart) return figure('Task completions against the offered rate: do the workers keep up?', chart);
  }
  return figure('Task latencies', percentileChart(percentileRows(checks, (m) => m.meaning === 'latency'), { title: 'Task latencies' }));
}

/** The burst, the steady phase and the drain as bands, from when the check started each (absent in older runs). */
export function phaseBands(starts: Record<string, unknown>, points: Array<[number, number]>, offered: number | undefined): Band[] {
  const burst = num(starts.burst);
  const steady = num(starts.steady);
  const drain = num(starts.drain);
  const end = Math.max(0, ...points.map((p) => p[0]));
  const bands: Band[] = [];
  if (burst !== undefined && steady !== undefined) bands.push({ from: burst, to: steady, label: 'burst' });
  if (steady !== undefined && drain !== undefined) bands.push({ from: steady, to: drain, label: offered !== undefined ? `steady ${formatNumber(offered)}/s` : 'steady' });
  if (drain !== undefined && end > drain) bands.push({ from: drain, to: end, label: 'drain' });
  return bands;
}

/** The category's chart or table; '' when nothing it measured earns one. */
export function headline(category: string, checks: CheckResult[]): string {
  switch (category) {
    case 'queries': return queriesChart(checks);
    case 'pool': return poolChart(checks);
    case 'cache': return cacheChart(checks);
    case 'tasks': return tasksChart(checks);
    case 'load': return loadChart(checks.find((c) => c.status !== 'skip' && series(c, 'load_p95')));
    case 'integrity':
    case 'backup':
    case 'health': return findingsTable(checks);
    default: return figure('Latencies', percentileChart(percentileRows(checks, (m) => m.headline === true || m.meaning === 'latency'), { title: 'Latencies' }));
  }
}
