// Hand-made inline SVG charts (no script, no network): line charts with markers and bands, and histograms. Two sizes:
// the large chart that answers a category's question, and the small ones in the collapsed details.
import { formatNumber } from '../format.js';
import type { Bin } from './buckets.js';
import { esc } from './escape.js';
import { earnsPlace } from '../../result/headline.js';
import { maxOf, minOf } from '../../util/append.js';

interface Frame { w: number; h: number; left: number; right: number; top: number; bottom: number }
const SMALL: Frame = { w: 640, h: 220, left: 58, right: 14, top: 12, bottom: 34 };
/** Drawn about 1:1 in the 1100 px column, so its 12-unit text reads as 12 px. */
const LARGE: Frame = { w: 1000, h: 330, left: 70, right: 20, top: 26, bottom: 44 };
/** Colours come from CSS variables (--c0 … --c7), so dark mode and print restyle them. */
export const MAX_LINES = 8;
/** No axis ever needs more; it bounds the loop whatever the data. */
const MAX_TICKS = 50;

export interface LineSeries {
  label: string;
  points: Array<[number, number]>;
  /**
   * Each point is the aggregate of the window that ends at its x (a per-second throughput): drawn as a step that holds
   * the value over that window, so a change shows where it happened, not as a slope into the next point.
   */
  step?: boolean;
}

/** A vertical (x) or horizontal (y) reference line with its label: a configured size, a limit, an expected rate. */
export interface Marker { at: number; label: string; kind?: 'limit' | 'good' | 'plain' }
/** A shaded x range: a load stage (`bad` for the one where the system saturated). */
export interface Band { from: number; to: number; label: string; bad?: boolean }

export interface LineOptions {
  title: string;
  xTitle: string;
  yTitle: string;
  large?: boolean;
  xMarkers?: Marker[];
  yMarkers?: Marker[];
  bands?: Band[];
  /** Where the y axis starts when not at zero: a hit rate between 88 and 99 % is unreadable on 0–100. */
  yMin?: number;
  /** Labels for the x ticks instead of numbers (a pool sweep's sizes drawn at even spacing). */
  xLabels?: Array<{ at: number; label: string }>;
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

const finite = (p: [number, number]) => Number.isFinite(p[0]) && Number.isFinite(p[1]);

export { earnsPlace };

const tick = (v: number) => esc(formatNumber(v));

function axes(f: Frame, xTicks: Array<{ at: number; label: string }>, yTicks: Array<{ at: number; label: string }>, xTitle: string, yTitle: string): string {
  const out = [`<g class="axis">`];
  for (const t of yTicks) {
    out.push(`<line class="grid" x1="${f.left}" x2="${f.w - f.right}" y1="${t.at.toFixed(1)}" y2="${t.at.toFixed(1)}"/>`);
    out.push(`<text x="${f.left - 6}" y="${(t.at + 4).toFixed(1)}" text-anchor="end">${t.label}</text>`);
  }
  for (const t of xTicks) out.push(`<text x="${t.at.toFixed(1)}" y="${f.h - f.bottom + 16}" text-anchor="middle">${t.label}</text>`);
  out.push(`<line class="base" x1="${f.left}" x2="${f.w - f.right}" y1="${f.h - f.bottom}" y2="${f.h - f.bottom}"/>`);
  out.push(`<text x="${f.left + (f.w - f.left - f.right) / 2}" y="${f.h - 5}" text-anchor="middle" class="title">${esc(xTitle)}</text>`);
  out.push(`<text transform="translate(14 ${f.top + (f.h - f.top - f.bottom) / 2}) rotate(-90)" text-anchor="middle" class="title">${esc(yTitle)}</text>`);
  out.push('</g>');
  return out.join('');
}

/**
 * A card-coloured box behind a marker's label, the size of the text: a series crossing the label would otherwise show
 * through the gaps between its words (the text's halo strokes glyphs only). Defined once per page (renderDocument), as
 * an id must be unique; a chart taken out of the page draws its labels with the halo alone.
 */
export const LABEL_BACKGROUND = '<svg class="defs" width="0" height="0" aria-hidden="true"><defs><filter id="label-bg" x="-0.03" y="-0.1" width="1.06" height="1.2"><feFlood class="label-bg"/><feComposite in="SourceGraphic" operator="over"/></filter></defs></svg>';

function frame(f: Frame, kind: string, title: string, points: number, body: string): string {
  const size = f === LARGE ? ' large' : '';
  return `<svg class="chart${size}" data-chart="${kind}" data-points="${points}" viewBox="0 0 ${f.w} ${f.h}" role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg"><title>${esc(title)}</title>${body}</svg>`;
}

/**
 * A line chart of one or more series sharing axes; the y axis starts at zero (a rate or latency is read against zero).
 * Empty ('') when the series do not earn a chart (see earnsPlace).
 */
export function lineChart(series: LineSeries[], opts: LineOptions): string {
  const shown = series.filter((s) => s.points.length > 0).slice(0, MAX_LINES);
  if (!earnsPlace(shown)) return '';
  const f = opts.large ? LARGE : SMALL;
  const plotW = f.w - f.left - f.right;
  const plotH = f.h - f.top - f.bottom;
  const all = shown.flatMap((s) => s.points).filter(finite);
  const xs = [...all.map((p) => p[0]), ...(opts.bands ?? []).flatMap((b) => [b.from, b.to]), ...(opts.xMarkers ?? []).map((m) => m.at)].filter(Number.isFinite);
  let x0 = minOf(xs);
  let x1 = maxOf(xs);
  if (!(x1 > x0)) { x0 -= 1; x1 = x0 + 2; }
  const yMin = opts.yMin ?? minOf(all.map((p) => p[1]), 0);
  const yMax = niceMax(maxOf([...all.map((p) => p[1]), ...(opts.yMarkers ?? []).map((m) => m.at)].filter(Number.isFinite)));
  const sx = (x: number) => f.left + ((x - x0) / (x1 - x0)) * plotW;
  const sy = (y: number) => f.top + plotH - ((y - yMin) / (yMax - yMin || 1)) * plotH;
  const xTicks = opts.xLabels ? opts.xLabels.map((l) => ({ at: sx(l.at), label: esc(l.label) })) : niceTicks(x0, x1).map((v) => ({ at: sx(v), label: tick(v) }));
  const yTicks = niceTicks(yMin, yMax).map((v) => ({ at: sy(v), label: tick(v) }));
  const bands = (opts.bands ?? []).map((b, i) => {
    const a = sx(b.from);
    const w = Math.max(0, sx(b.to) - a);
    const edge = i > 0 ? `<line x1="${a.toFixed(1)}" x2="${a.toFixed(1)}" y1="${f.top - 4}" y2="${f.top + plotH}"/>` : '';
    return `<g class="band${b.bad ? ' bad' : i % 2 ? ' odd' : ''}"><rect x="${a.toFixed(1)}" y="${f.top}" width="${w.toFixed(1)}" height="${plotH}"/>${edge}<text x="${(a + w / 2).toFixed(1)}" y="${f.top - 8}" text-anchor="middle">${esc(b.label)}</text></g>`;
  });
  const lines = shown.map((s, i) => {
    const pts = s.points.filter(finite);
    // A step's first window starts before its point: as long as the next one, at most a second (the series' windows).
    const lead = s.step && pts.length > 1 ? Math.min(1, pts[1]![0] - pts[0]![0]) : 0;
    const d = s.step
      ? pts.map(([x, y], j) => (j ? `V${sy(y).toFixed(1)}H${sx(x).toFixed(1)}` : `M${sx(Math.max(x0, x - lead)).toFixed(1)} ${sy(y).toFixed(1)}H${sx(x).toFixed(1)}`)).join('')
      : pts.map(([x, y], j) => `${j ? 'L' : 'M'}${sx(x).toFixed(1)} ${sy(y).toFixed(1)}`).join('');
    const dots = pts.length <= 40 ? pts.map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="${opts.large ? 3.5 : 2.5}"/>`).join('') : '';
    return `<g class="series s${i}"><title>${esc(s.label)}</title><path d="${d}"/>${dots}</g>`;
  });
  const xm = (opts.xMarkers ?? []).filter((m) => Number.isFinite(m.at)).map((m, i) => {
    const x = sx(m.at);
    // A label that would run past the plot's right edge is drawn to the left of its line (about 0.6 em per character).
    const anchor = x + 5 + m.label.length * (opts.large ? 8 : 6.3) > f.w - f.right ? 'end' : 'start';
    return `<g class="marker ${m.kind ?? 'plain'}"><line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${f.top}" y2="${f.top + plotH}"/><text x="${(x + (anchor === 'end' ? -5 : 5)).toFixed(1)}" y="${f.top + 14 + i * 15}" text-anchor="${anchor}">${esc(m.label)}</text></g>`;
  });
  const ym = (opts.yMarkers ?? []).filter((m) => Number.isFinite(m.at)).map((m) => {
    const y = sy(m.at);
    return `<g class="marker ${m.kind ?? 'plain'}"><line x1="${f.left}" x2="${f.w - f.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}"/><text x="${f.w - f.right - 4}" y="${(y - 5).toFixed(1)}" text-anchor="end">${esc(m.label)}</text></g>`;
  });
  return frame(f, 'line', opts.title, all.length, bands.join('') + axes(f, xTicks, yTicks, opts.xTitle, opts.yTitle) + lines.join('') + xm.join('') + ym.join(''));
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
  const f = SMALL;
  const plotW = f.w - f.left - f.right;
  const plotH = f.h - f.top - f.bottom;
  const total = bins.reduce((s, b) => s + b.count, 0);
  // One bin is one bar: the percentile table says the same.
  if (bins.length < 2 || total === 0) return '';
  const lo = bins[0]!.from;
  const hi = bins[bins.length - 1]!.to;
  const span = hi > lo ? hi - lo : 1;
  const pos = (v: number) => (log && lo > 0 ? Math.log(v / lo) / Math.log(hi / lo) : (v - lo) / span);
  const sx = (v: number) => f.left + Math.min(1, Math.max(0, pos(v))) * plotW;
  const yMax = niceMax(maxOf(bins.map((b) => b.count)));
  const sy = (c: number) => f.top + plotH - (c / yMax) * plotH;
  const barW = plotW / bins.length;
  const bars = bins.map((b, i) => {
    if (b.count === 0) return '';
    const x = f.left + i * barW;
    return `<rect class="bar" x="${(x + 0.5).toFixed(1)}" y="${sy(b.count).toFixed(1)}" width="${Math.max(1, barW - 1).toFixed(1)}" height="${(plotH + f.top - sy(b.count)).toFixed(1)}"><title>${esc(`${formatNumber(b.from)}–${formatNumber(b.to)} ${opts.unit}: ${formatNumber(b.count)}`)}</title></rect>`;
  });
  const xVals = log ? Array.from({ length: 6 }, (_, i) => lo * (hi / lo) ** (i / 5)) : niceTicks(lo, hi);
  const xTicks = xVals.map((v) => ({ at: sx(v), label: tick(Number(v.toPrecision(2))) }));
  const yTicks = niceTicks(0, yMax, 4).map((v) => ({ at: sy(v), label: tick(v) }));
  const markers = opts.markers.map((m, i) => {
    const at = sx(m.value);
    const x = at.toFixed(1);
    // Labels are staggered (p95 and p99 are often a pixel apart) and kept inside the plot at its edges.
    const anchor = at > f.left + plotW * 0.85 ? 'end' : at < f.left + plotW * 0.15 ? 'start' : 'middle';
    const tx = anchor === 'end' ? at - 3 : anchor === 'start' ? at + 3 : at;
    return `<g class="marker"><line x1="${x}" x2="${x}" y1="${f.top}" y2="${f.top + plotH}"/><text x="${tx.toFixed(1)}" y="${f.top + 9 + i * 12}" text-anchor="${anchor}">${esc(m.label)}</text></g>`;
  });
  const xTitle = `${opts.unit || 'value'}${log ? ' (log scale)' : ''}`;
  return frame(f, 'histogram', opts.title, total, axes(f, xTicks, yTicks, xTitle, 'count') + bars.join('') + markers.join(''));
}
