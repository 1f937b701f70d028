// The load category's figure: p95 latency and throughput against the offered level over time, each stage a shaded
// band labelled with its level, the stages beyond the limits in red and the saturation point marked; the stage table below.
import type { CheckResult } from '../../result/model.js';
import { formatMs, formatNumber } from '../format.js';
import { esc } from './escape.js';
import { attributionBlock } from './load-attribution.js';
import { legend, lineChart, type Band, type Marker } from './svg.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/**
 * Runs of equal level in the level series: each point closes the window before it. The series writer closes a window at
 * every stage boundary, so a band's edge is the boundary itself and no window mixes two stages (runs written before it
 * did have a window straddling each boundary: their step shows one second late).
 */
export function stageBands(level: Array<[number, number]>, unit: string, beyond: Set<number>): Band[] {
  const bands: Band[] = [];
  // The first stage begins a second before its first point, not at 0: the check prepares its workload first, and a band
  // from 0 would draw the first stage over seconds of setup.
  let prevX = Math.max(0, (level[0]?.[0] ?? 1) - 1);
  let prevLevel: number | undefined;
  for (const [x, v] of level) {
    const last = bands[bands.length - 1];
    if (last && prevLevel === v) last.to = x;
    else bands.push({ from: prevX, to: x, label: `${formatNumber(v)} ${unit}` });
    prevX = x;
    prevLevel = v;
  }
  bands.forEach((b, i) => { if (beyond.has(i + 1)) b.bad = true; });
  return bands;
}

function stageTable(table: Array<Record<string, unknown>>): string {
  if (table.length === 0) return '';
  const row = (r: Record<string, unknown>) => `<tr class="${r.within_limits === false ? 'regression' : ''}"><td class="n">${esc(String(r.stage ?? ''))}</td>` +
    `<td class="n">${esc(formatNumber(num(r.level) ?? Number.NaN))}</td><td class="n">${esc(formatNumber(num(r.offered_per_s) ?? Number.NaN))}</td>` +
    `<td class="n">${esc(formatNumber(num(r.succeeded_per_s) ?? Number.NaN))}</td><td class="n">${esc(formatNumber(num(r.dropped_per_s) ?? Number.NaN))}</td>` +
    `<td class="n">${esc(formatMs(num(r.p95_ms) ?? Number.NaN))}</td><td>${r.within_limits === false ? 'beyond the limits' : 'within'}</td></tr>`;
  return `<div class="scroll"><table class="stages"><thead><tr><th class="n">Stage</th><th class="n">Level</th><th class="n">Offered/s</th><th class="n">Succeeded/s</th><th class="n">Dropped/s</th><th class="n">p95</th><th>Limits</th></tr></thead><tbody>${table.map(row).join('')}</tbody></table></div>`;
}

export function loadChart(c: CheckResult | undefined): string {
  if (!c) return '';
  const find = (name: string) => c.timeSeries.find((s) => s.name === name)?.points ?? [];
  const p95 = find('load_p95');
  const throughput = find('load_throughput');
  const level = find('load_stage_level');
  const stages = Array.isArray(c.info.stage_table) ? (c.info.stage_table as unknown[]).map(obj) : [];
  // The stages' unit is written when the check ends; while it runs (the live view) the executor it announced says it.
  const executor = obj(c.info.scenario).executor;
  const announced = executor === 'arrival-rate' ? 'req/s' : executor === 'closed-loop' ? 'VUs' : '';
  const unit = String(obj(Array.isArray(c.info.stages) ? (c.info.stages as unknown[])[0] : undefined).unit ?? announced);
  const beyond = new Set(stages.filter((r) => r.within_limits === false).map((r) => num(r.stage) ?? -1));
  const bands = stageBands(level, unit, beyond);
  const sat = obj(c.info.saturation);
  const limit = num(obj(c.info.limits).p95Ms);
  const xMarkers: Marker[] = [];
  const firstBeyond = num(sat.firstBeyond);
  if (firstBeyond !== undefined && bands[firstBeyond - 1]) xMarkers.push({ at: bands[firstBeyond - 1]!.from, label: num(sat.level) === undefined ? 'beyond the limits from the first stage' : `saturation point: ${formatNumber(num(sat.level)!)} ${unit}`, kind: 'limit' });
  const maxP95 = Math.max(0, ...p95.map((p) => p[1]).filter(Number.isFinite));
  const showLimit = limit !== undefined && limit <= maxP95 * 2;
  const latency = lineChart([{ label: 'p95 latency of each second', points: p95, step: true }], {
    title: 'p95 latency over the stages', xTitle: 's since the check started', yTitle: 'p95 (ms)', large: true, bands, xMarkers,
    ...(showLimit ? { yMarkers: [{ at: limit, label: `p95 limit ${formatMs(limit)}`, kind: 'limit' as const }] } : {}),
  });
  const tput = [{ label: 'succeeded requests/s', points: throughput, step: true }, ...(unit === 'req/s' ? [{ label: 'offered (stage level)', points: level, step: true }] : [])];
  const served = lineChart(tput, { title: 'Throughput against the offered load', xTitle: 's since the check started', yTitle: 'requests/s', large: true, bands, xMarkers });
  if (!latency && !served) return '';
  const limitNote = limit !== undefined && !showLimit ? ` (p95 limit ${formatMs(limit)}, far above)` : '';
  return `<figure class="headline"><figcaption>${esc(`Latency over the stages${limitNote}: where does the system stop coping?`)}</figcaption>${latency}` +
    `${served ? `<figcaption>${esc('Throughput against the offered load: does it keep up at every stage?')}</figcaption>${served}${legend(tput)}` : ''}` +
    `${typeof sat.reason === 'string' ? `<p class="muted">${esc(sat.reason)}</p>` : ''}${stageTable(stages)}${attributionBlock(c)}</figure>`;
}
