// The chart of the running check in the live view, redrawn on every tick from what the check has recorded so far: the
// category's own chart once its data are there (load stages, cache hit rate), else the series that move while the check
// runs (the Celery backlog during the burst and the drain, the pool sweep round by round, any other time series).
import type { CheckSnapshot } from '../../result/events.js';
import type { CheckResult, TimeSeries } from '../../result/model.js';
import { formatNumber } from '../format.js';
import { esc } from '../html/escape.js';
import { headline } from '../html/headline.js';
import { legend, lineChart, type LineSeries } from '../html/svg.js';

const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

function figure(id: string, caption: string, chart: string, extra = ''): string {
  return chart ? `<figure class="headline live" data-live-check="${esc(id)}"><figcaption>${esc(caption)}</figcaption>${chart}${extra}</figure>` : '';
}

/** The sweep so far: throughput by pool size, one line per round, growing as each size is measured. */
function sweepChart(id: string, series: TimeSeries[], info: Record<string, unknown>): string {
  const rounds = series.filter((s) => s.name === 'sweep_round_throughput' && s.points.length > 0);
  if (rounds.length === 0) return '';
  const sizes = (Array.isArray(obj(info.sweep).sizes) ? (obj(info.sweep).sizes as unknown[]) : rounds.map((s) => Number(s.tags.size))).map(Number).sort((a, b) => a - b);
  const most = Math.max(...rounds.map((s) => s.points.length));
  const lines: LineSeries[] = Array.from({ length: most }, (_, r) => ({
    label: `round ${r + 1}`,
    points: rounds.filter((s) => s.points[r]).map((s) => [sizes.indexOf(Number(s.tags.size)), s.points[r]![1]] as [number, number]).sort((a, b) => a[0] - b[0]),
  }));
  const chart = lineChart(lines, {
    title: 'Throughput by pool size, round by round', xTitle: 'pool size (connections)', yTitle: 'requests/s', large: true,
    xLabels: sizes.map((s, i) => ({ at: i, label: String(s) })),
  });
  return figure(id, 'Pool sweep so far: throughput of each size measured', chart, legend(lines));
}

/** Every series the check has recorded, drawn together when they share a unit (the Celery backlog: depth and outstanding). */
function seriesChart(id: string, title: string, series: TimeSeries[]): string {
  const first = series.find((s) => s.points.length > 0);
  if (!first) return '';
  const same = series.filter((s) => s.unit === first.unit && s.points.length > 0).slice(0, 4);
  const lines = same.map((s) => ({ label: [s.name, ...Object.values(s.tags)].join(' · '), points: s.points }));
  const chart = lineChart(lines, { title, xTitle: 's since the check started', yTitle: first.unit || first.name, large: true });
  return figure(id, `${title} (${formatNumber(Math.max(...same.map((s) => s.points.length)))} points so far)`, chart, legend(lines));
}

/** '' until the check has recorded enough to draw (a chart needs three points that move). */
export function liveChart(check: { id: string; title: string; category: string }, snap: CheckSnapshot | undefined): string {
  if (!snap) return '';
  const c: CheckResult = {
    id: check.id, category: check.category, title: check.title, status: 'pass', startedAt: '', durationMs: 0,
    metrics: [], timeSeries: snap.timeSeries, thresholds: [], ratings: [], findings: [], info: snap.info,
  };
  const own = headline(check.category, [c]);
  if (own.includes('<svg')) return own.replace('<figure class="headline">', `<figure class="headline live" data-live-check="${esc(check.id)}">`);
  const sweep = sweepChart(check.id, snap.timeSeries, snap.info);
  if (sweep) return sweep;
  const backlog = snap.timeSeries.filter((s) => s.name === 'queue_depth' || s.name === 'task_outstanding');
  if (backlog.length) return seriesChart(check.id, 'Celery backlog: tasks waiting on the broker', backlog);
  return seriesChart(check.id, `${check.title}: recorded so far`, snap.timeSeries);
}
