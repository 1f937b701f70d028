// Hand-made inline SVG charts (no script, no network): line charts for time series and bar charts for histograms.
import { formatNumber } from '../format.js';
import type { Bin } from './buckets.js';
import { esc } from './escape.js';
import { maxOf, minOf } from '../../util/append.js';

const W = 640;
const H = 220;
const PAD = { left: 58, right: 14, top: 12, bottom: 34 };
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;
/** Colours come from CSS variables (--c0 … --c7), so dark mode and print restyle them. */
export const MAX_LINES = 8;
/** No axis ever needs more; it bounds the loop whatever the data. */
const MAX_TICKS = 50;

export interface LineSeries {
  label: string;
  points: Array<[number, number]>;
}

/** About `count` round tick values covering [lo, hi]: steps of 1, 2 or 5 × 10^k. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  // Counted, not accumulated: where step is below the spacing of doubles (x near 1e20) `v += step` would never move.
  const first = Math.ceil(lo / step - 1e-9);
  const n = Math.min(MAX_TICKS, Math.floor(hi / step + 1e-9) - first + 1);
  const ticks: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = Number(((first + i) * step).toPrecision(12));
    if (ticks.length === 0 || v > ticks[ticks.length - 1]!) ticks.push(v);
  }
  return ticks.length ? ticks : [lo];
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const ticks = niceTicks(0, v);
  const last = ticks[ticks.length - 1]!;
  return last >= v ? last : last + (ticks[1]! - ticks[0]!);
}

const tick = (v: number) => esc(formatNumber(v));

function axes(xTicks: Array<{ at: number; label: string }>, yTicks: Array<{ at: number; label: string }>, xTitle: string, yTitle: string): string {
  const out = [`<g class="axis">`];
  for (const t of yTicks) {
    out.push(`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${t.at.toFixed(1)}" y2="${t.at.toFixed(1)}"/>`);
    out.push(`<text x="${PAD.left - 6}" y="${(t.at + 4).toFixed(1)}" text-anchor="end">${t.label}</text>`);
  }
  for (const t of xTicks) out.push(`<text x="${t.at.toFixed(1)}" y="${H - PAD.bottom + 15}" text-anchor="middle">${t.label}</text>`);
  out.push(`<line class="base" x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}"/>`);
  out.push(`<text x="${PAD.left + PLOT_W / 2}" y="${H - 4}" text-anchor="middle" class="title">${esc(xTitle)}</text>`);
  out.push(`<text transform="translate(12 ${PAD.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle" class="title">${esc(yTitle)}</text>`);
  out.push('</g>');
  return out.join('');
}

function frame(kind: string, title: string, points: number, body: string): string {
  return `<svg class="chart" data-chart="${kind}" data-points="${points}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg"><title>${esc(title)}</title>${body}</svg>`;
}

/** A line chart of one or more series sharing axes; the y axis starts at zero (a rate or latency is read against zero). */
export function lineChart(series: LineSeries[], opts: { title: string; xTitle: string; yTitle: string }): string {
  const shown = series.filter((s) => s.points.length > 0).slice(0, MAX_LINES);
  const all = shown.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (all.length === 0) return '';
  let x0 = minOf(all.map((p) => p[0]));
  let x1 = maxOf(all.map((p) => p[0]));
  if (!(x1 > x0)) { x0 -= 1; x1 = x0 + 2; }
  const yMin = minOf(all.map((p) => p[1]), 0);
  const yMax = niceMax(maxOf(all.map((p) => p[1])));
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * PLOT_W;
  const sy = (y: number) => PAD.top + PLOT_H - ((y - yMin) / (yMax - yMin || 1)) * PLOT_H;
  const xTicks = niceTicks(x0, x1).map((v) => ({ at: sx(v), label: tick(v) }));
  const yTicks = niceTicks(yMin, yMax).map((v) => ({ at: sy(v), label: tick(v) }));
  const lines = shown.map((s, i) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const d = pts.map(([x, y], j) => `${j ? 'L' : 'M'}${sx(x).toFixed(1)} ${sy(y).toFixed(1)}`).join('');
    const dots = pts.length <= 40 ? pts.map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5"/>`).join('') : '';
    return `<g class="series s${i}"><title>${esc(s.label)}</title><path d="${d}"/>${dots}</g>`;
  });
  return frame('line', opts.title, all.length, axes(xTicks, yTicks, opts.xTitle, opts.yTitle) + lines.join(''));
}

/** An HTML legend for a chart's series (HTML, so long labels wrap). */
export function legend(series: LineSeries[]): string {
  const shown = series.filter((s) => s.points.length > 0).slice(0, MAX_LINES);
  if (shown.length < 2 && !(shown.length === 1 && shown[0]!.label)) return '';
  const more = series.length > MAX_LINES ? `<li class="more">+${series.length - MAX_LINES} more (in the table)</li>` : '';
  return `<ul class="legend">${shown.map((s, i) => `<li><span class="key s${i}"></span>${esc(s.label)}</li>`).join('')}${more}</ul>`;
}

/** A histogram: bars per bin (heights are counts), with dashed markers at the given percentiles. */
export function histogramChart(bins: Bin[], log: boolean, opts: { title: string; unit: string; markers: Array<{ label: string; value: number }> }): string {
  const total = bins.reduce((s, b) => s + b.count, 0);
  if (bins.length === 0 || total === 0) return '';
  const lo = bins[0]!.from;
  const hi = bins[bins.length - 1]!.to;
  const span = hi > lo ? hi - lo : 1;
  const pos = (v: number) => (log && lo > 0 ? Math.log(v / lo) / Math.log(hi / lo) : (v - lo) / span);
  const sx = (v: number) => PAD.left + Math.min(1, Math.max(0, pos(v))) * PLOT_W;
  const yMax = niceMax(maxOf(bins.map((b) => b.count)));
  const sy = (c: number) => PAD.top + PLOT_H - (c / yMax) * PLOT_H;
  const barW = PLOT_W / bins.length;
  const bars = bins.map((b, i) => {
    if (b.count === 0) return '';
    const x = PAD.left + i * barW;
    return `<rect class="bar" x="${(x + 0.5).toFixed(1)}" y="${sy(b.count).toFixed(1)}" width="${Math.max(1, barW - 1).toFixed(1)}" height="${(PLOT_H + PAD.top - sy(b.count)).toFixed(1)}"><title>${esc(`${formatNumber(b.from)}–${formatNumber(b.to)} ${opts.unit}: ${formatNumber(b.count)}`)}</title></rect>`;
  });
  const xVals = log ? Array.from({ length: 6 }, (_, i) => lo * (hi / lo) ** (i / 5)) : niceTicks(lo, hi);
  const xTicks = xVals.map((v) => ({ at: sx(v), label: tick(Number(v.toPrecision(2))) }));
  const yTicks = niceTicks(0, yMax, 4).map((v) => ({ at: sy(v), label: tick(v) }));
  const markers = opts.markers.map((m, i) => {
    const at = sx(m.value);
    const x = at.toFixed(1);
    // Labels are staggered (p95 and p99 are often a pixel apart) and kept inside the plot at its edges.
    const anchor = at > PAD.left + PLOT_W * 0.85 ? 'end' : at < PAD.left + PLOT_W * 0.15 ? 'start' : 'middle';
    const tx = anchor === 'end' ? at - 3 : anchor === 'start' ? at + 3 : at;
    return `<g class="marker"><line x1="${x}" x2="${x}" y1="${PAD.top}" y2="${PAD.top + PLOT_H}"/><text x="${tx.toFixed(1)}" y="${PAD.top + 9 + i * 12}" text-anchor="${anchor}">${esc(m.label)}</text></g>`;
  });
  const xTitle = `${opts.unit || 'value'}${log ? ' (log scale)' : ''}`;
  return frame('histogram', opts.title, total, axes(xTicks, yTicks, xTitle, 'count') + bars.join('') + markers.join(''));
}
