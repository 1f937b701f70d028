// pool.sizing's headline chart: throughput by pool size with the configured and the recommended sizes marked, drawn
// from the sweep's figures at the end; while the sweep runs, each size's rounds so far.
import type { HeadlineView } from '../types.js';
import type { ChartMark, ChartSeries, Headline, TimeSeries } from '../../result/model.js';
import { SWEEP_ROUND_THROUGHPUT_SERIES } from './metrics.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const rows = (v: unknown): Array<Record<string, unknown>> => (Array.isArray(v) ? v.map(obj) : []);

/**
 * The sizes the sweep's verdict names, in the advice's own terms: the configured size, the size it recommends, and,
 * when no size did clearly better but a smaller one did as well within the noise, that smaller size (the advice says so;
 * a chart saying "configured = recommended" beside it would contradict it).
 */
export function sweepMarks(v: Record<string, unknown>, idx: (size: unknown) => number): ChartMark[] {
  const configured = v.reference_is === 'configured' ? idx(v.reference) : -1;
  const recommended = idx(v.size);
  const smallest = idx(v.smallest_adequate);
  const out: ChartMark[] = [];
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

function sweepChart(info: Record<string, unknown>): Headline | undefined {
  const per = rows(info.per_size).filter((r) => num(r.size) !== undefined && num(r.rps) !== undefined);
  if (per.length < 3) return undefined;
  const idx = (size: unknown) => per.findIndex((r) => r.size === size);
  const line = (key: string, label: string): ChartSeries => ({ label, points: per.map((r, i) => [i, num(r[key]) ?? Number.NaN]) });
  return {
    panels: [{
      kind: 'line', caption: 'Throughput by pool size: which size serves the most requests?',
      title: 'Throughput by pool size', xTitle: 'pool size (connections)', yTitle: 'requests/s',
      series: [line('rps', 'median of the rounds'), line('rps_min', 'slowest round'), line('rps_max', 'fastest round')],
      xLabels: per.map((r, i) => ({ at: i, label: String(r.size) })), xMarks: sweepMarks(obj(info.sweep_verdict), idx),
    }],
  };
}

/** The sweep so far: one line per round, growing as each size is measured. */
function roundsChart(series: TimeSeries[], info: Record<string, unknown>): Headline | undefined {
  const rounds = series.filter((s) => s.name === SWEEP_ROUND_THROUGHPUT_SERIES.name && s.points.length > 0);
  if (rounds.length === 0) return undefined;
  const planned = obj(info.sweep).sizes;
  const sizes = (Array.isArray(planned) ? planned : rounds.map((s) => s.tags.size)).map(Number).sort((a, b) => a - b);
  const most = Math.max(...rounds.map((s) => s.points.length));
  const lines: ChartSeries[] = Array.from({ length: most }, (_, r) => ({
    label: `round ${r + 1}`,
    points: rounds.filter((s) => s.points[r]).map((s) => [sizes.indexOf(Number(s.tags.size)), s.points[r]![1]] as [number, number]).sort((a, b) => a[0] - b[0]),
  }));
  return {
    panels: [{
      kind: 'line', caption: 'Pool sweep so far: throughput of each size measured',
      title: 'Throughput by pool size, round by round', xTitle: 'pool size (connections)', yTitle: 'requests/s',
      series: lines, xLabels: sizes.map((s, i) => ({ at: i, label: String(s) })),
    }],
  };
}

export function sizingHeadline(view: HeadlineView): Headline | undefined {
  return sweepChart(view.info) ?? roundsChart(view.timeSeries, view.info);
}
