// The chart of the running check in the live view, redrawn on every tick from what the check has recorded so far: the
// headline the check itself declares from it (its `headline` hook: load stages, hit rate, the pool sweep round by round,
// the Celery backlog), drawn as report.html draws it at the end; else the series that move while the check runs.
import type { CheckSnapshot } from '../../result/events.js';
import type { TimeSeries } from '../../result/model.js';
import { formatNumber } from '../format.js';
import { esc } from '../html/escape.js';
import { drawHeadline } from '../html/headline.js';
import { legend, lineChart } from '../html/svg.js';

/** The series drawn together: those of the first one's unit, at most this many. */
const MAX_LINES = 4;

/** Every series the check has recorded, drawn together when they share a unit. */
function seriesChart(id: string, title: string, series: TimeSeries[]): string {
  const first = series.find((s) => s.points.length > 0);
  if (!first) return '';
  const same = series.filter((s) => s.unit === first.unit && s.points.length > 0).slice(0, MAX_LINES);
  const lines = same.map((s) => ({ label: [s.name, ...Object.values(s.tags)].join(' · '), points: s.points }));
  const chart = lineChart(lines, { title, xTitle: 's since the check started', yTitle: first.unit || first.name, large: true });
  if (!chart) return '';
  const caption = `${title} (${formatNumber(Math.max(...same.map((s) => s.points.length)))} points so far)`;
  return `<figure class="headline live" data-live-check="${esc(id)}"><figcaption>${esc(caption)}</figcaption>${chart}${legend(lines)}</figure>`;
}

/** '' until the check has recorded enough to draw (a chart needs three points that move). */
export function liveChart(check: { id: string; title: string }, snap: CheckSnapshot | undefined): string {
  if (!snap) return '';
  const own = snap.headline ? drawHeadline(snap.headline, { live: check.id }) : '';
  return own || seriesChart(check.id, `${check.title}: recorded so far`, snap.timeSeries);
}
