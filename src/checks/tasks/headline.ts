// tasks.throughput's headline chart: completions per second against the offered rate, the burst, the steady phase and
// the drain as bands; while no completion rate can be drawn yet, the broker's backlog (queue depth, tasks outstanding).
import type { HeadlineView } from '../types.js';
import type { ChartBand, ChartSeries, Headline, TimeSeries } from '../../result/model.js';
import { earnsPlace } from '../../result/headline.js';
import { formatNumber } from '../../util/number-format.js';
import { QUEUE_DEPTH_SERIES_THROUGHPUT, TASK_COMPLETIONS_SERIES_THROUGHPUT, TASK_OUTSTANDING_SERIES } from './metrics.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
/** The backlog drawn together: the series of the first one's unit, at most this many. */
const MAX_BACKLOG_LINES = 4;

/** The burst, the steady phase and the drain as bands, from when the check started each (absent in older runs). */
export function phaseBands(starts: Record<string, unknown>, points: Array<[number, number]>, offered: number | undefined): ChartBand[] {
  const burst = num(starts.burst);
  const steady = num(starts.steady);
  const drain = num(starts.drain);
  const end = Math.max(0, ...points.map((p) => p[0]));
  const bands: ChartBand[] = [];
  if (burst !== undefined && steady !== undefined) bands.push({ from: burst, to: steady, label: 'burst' });
  if (steady !== undefined && drain !== undefined) bands.push({ from: steady, to: drain, label: offered !== undefined ? `steady ${formatNumber(offered)}/s` : 'steady' });
  if (drain !== undefined && end > drain) bands.push({ from: drain, to: end, label: 'drain' });
  return bands;
}

function completionsChart(s: TimeSeries, info: Record<string, unknown>): Headline {
  const offered = num(obj(info.plan).rate_per_s);
  return {
    panels: [{
      kind: 'line', caption: 'Task completions against the offered rate: do the workers keep up?',
      title: 'Task completions per second', xTitle: 's since the check started', yTitle: 'tasks/s',
      series: [{ label: 'completed tasks/s', points: s.points, step: true }],
      bands: phaseBands(obj(info.phase_starts_s), s.points, offered),
      ...(offered !== undefined ? { yMarks: [{ at: offered, label: `offered ${formatNumber(offered)}/s`, kind: 'good' as const }] } : {}),
    }],
  };
}

function backlogChart(series: TimeSeries[]): Headline | undefined {
  const backlog = series.filter((s) => (s.name === QUEUE_DEPTH_SERIES_THROUGHPUT.name || s.name === TASK_OUTSTANDING_SERIES.name) && s.points.length > 0);
  const first = backlog[0];
  if (!first) return undefined;
  const same = backlog.filter((s) => s.unit === first.unit).slice(0, MAX_BACKLOG_LINES);
  const lines: ChartSeries[] = same.map((s) => ({ label: [s.name, ...Object.values(s.tags)].join(' · '), points: s.points }));
  const title = 'Celery backlog: tasks waiting on the broker';
  return {
    panels: [{
      kind: 'line', caption: `${title} (${formatNumber(Math.max(...same.map((s) => s.points.length)))} points so far)`,
      title, xTitle: 's since the check started', yTitle: first.unit, series: lines,
    }],
  };
}

export function throughputHeadline(view: HeadlineView): Headline | undefined {
  const completions = view.timeSeries.find((s) => s.name === TASK_COMPLETIONS_SERIES_THROUGHPUT.name && s.points.length > 0);
  if (completions && earnsPlace([completions])) return completionsChart(completions, view.info);
  return backlogChart(view.timeSeries);
}
