// A horizontal percentile chart: one row per operation with p50, p95 and p99 as nested bars and a limit line; log
// scale when the operations differ by more than 30× (a point lookup and a report query in one picture).
import { formatMs } from '../format.js';
import { esc } from './escape.js';
import { maxOf, minOf } from '../../util/append.js';

export interface PercentileRow { label: string; p50: number; p95: number; p99: number }

const W = 1000;
const LEFT = 230;
const RIGHT = 110;
const ROW = 26;
const TOP = 26;
const BOTTOM = 34;
const MAX_LABEL = 32;
/** Beyond this many rows the chart becomes a list; the table in the details holds them all. */
export const MAX_ROWS = 16;

function scale(lo: number, hi: number, log: boolean): (v: number) => number {
  const plot = W - LEFT - RIGHT;
  if (!log) return (v) => LEFT + (Math.max(0, v) / hi) * plot;
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  return (v) => LEFT + ((Math.log10(Math.max(v, lo)) - a) / (b - a)) * plot;
}

function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)) && out.length < 12; e++) out.push(10 ** e);
    return out.filter((v) => v >= lo && v <= hi);
  }
  const step = hi / 5;
  return Array.from({ length: 6 }, (_, i) => Number((i * step).toPrecision(2)));
}

/** '' for fewer than two rows: one operation's percentiles read better as the numbers in the line above the chart. */
export function percentileChart(rows: PercentileRow[], opts: { title: string; limitMs?: number; limitLabel?: string }): string {
  const shown = rows.filter((r) => [r.p50, r.p95, r.p99].every(Number.isFinite)).slice(0, MAX_ROWS);
  if (shown.length < 2) return '';
  const values = [...shown.flatMap((r) => [r.p50, r.p99]), ...(opts.limitMs !== undefined ? [opts.limitMs] : [])].filter((v) => v > 0);
  if (values.length === 0) return '';
  const min = minOf(values);
  const max = maxOf(values);
  const log = max / min > 30;
  const lo = log ? 10 ** Math.floor(Math.log10(min)) : 0;
  const hi = log ? 10 ** Math.ceil(Math.log10(max)) : max * 1.05;
  const sx = scale(lo, hi, log);
  const h = TOP + shown.length * ROW + BOTTOM;
  const grid = ticks(lo, hi, log).map((v) => `<line class="grid" x1="${sx(v).toFixed(1)}" x2="${sx(v).toFixed(1)}" y1="${TOP - 4}" y2="${h - BOTTOM}"/><text x="${sx(v).toFixed(1)}" y="${h - BOTTOM + 16}" text-anchor="middle">${esc(formatMs(v))}</text>`);
  const bars = shown.map((r, i) => {
    const y = TOP + i * ROW;
    const bar = (v: number, cls: string, pad: number) => `<rect class="${cls}" x="${LEFT}" y="${y + pad}" width="${Math.max(1, sx(v) - LEFT).toFixed(1)}" height="${ROW - 2 * pad}"/>`;
    const label = r.label.length > MAX_LABEL ? `${r.label.slice(0, MAX_LABEL - 1)}…` : r.label;
    return `<g class="prow"><title>${esc(`${r.label}: p50 ${formatMs(r.p50)}, p95 ${formatMs(r.p95)}, p99 ${formatMs(r.p99)}`)}</title>` +
      `<text class="label" x="${LEFT - 8}" y="${y + ROW / 2 + 4}" text-anchor="end">${esc(label)}</text>` +
      bar(r.p99, 'p99', 4) + bar(r.p95, 'p95', 7) + bar(r.p50, 'p50', 10) +
      `<text class="value" x="${(sx(r.p99) + 6).toFixed(1)}" y="${y + ROW / 2 + 4}">${esc(`p95 ${formatMs(r.p95)}`)}</text></g>`;
  });
  const limit = opts.limitMs !== undefined && opts.limitMs > 0
    ? `<g class="marker limit"><line x1="${sx(opts.limitMs).toFixed(1)}" x2="${sx(opts.limitMs).toFixed(1)}" y1="${TOP - 6}" y2="${h - BOTTOM}"/><text x="${(sx(opts.limitMs) - 4).toFixed(1)}" y="${TOP - 10}" text-anchor="end">${esc(opts.limitLabel ?? `limit ${formatMs(opts.limitMs)}`)}</text></g>` : '';
  const xTitle = `<text class="title" x="${LEFT + (W - LEFT - RIGHT) / 2}" y="${h - 4}" text-anchor="middle">${esc(`latency${log ? ' (log scale)' : ''}: bars p50 (dark), p95, p99 (light)`)}</text>`;
  return `<svg class="chart large" data-chart="percentiles" data-points="${shown.length}" viewBox="0 0 ${W} ${h}" role="img" aria-label="${esc(opts.title)}" xmlns="http://www.w3.org/2000/svg"><title>${esc(opts.title)}</title><g class="axis">${grid.join('')}${xTitle}</g>${bars.join('')}${limit}</svg>`;
}
