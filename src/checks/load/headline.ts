// The load checks' headline: p95 latency and throughput against the offered level over time, each stage a band labelled
// with its level, the stages beyond the limits in red and the saturation point marked; the stage table below, and what
// gave first (the bottleneck finding, where the load's PostgreSQL session time went per stage, the headroom).
import type { HeadlineView } from '../types.js';
import type { ChartBand, ChartMark, ChartSeries, Finding, Headline, HeadlinePanel, TablePanel } from '../../result/model.js';
import { formatMs, formatNumber } from '../../util/number-format.js';
import { SERIES as DECLARED } from './metrics.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const rows = (v: unknown): Array<Record<string, unknown>> => (Array.isArray(v) ? v.map(obj) : []);

/** The per-second series src/checks/load/per-second.ts writes. */
const SERIES = { p95: DECLARED.p95.name, throughput: DECLARED.throughput.name, level: DECLARED.level.name } as const;

/**
 * Runs of equal level in the level series: each point closes the window before it. The series writer closes a window at
 * every stage boundary, so a band's edge is the boundary itself and no window mixes two stages (runs written before it
 * did have a window straddling each boundary: their step shows one second late).
 */
export function stageBands(level: Array<[number, number]>, unit: string, beyond: Set<number>): ChartBand[] {
  const bands: ChartBand[] = [];
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

function stageTable(stages: Array<Record<string, unknown>>): TablePanel {
  return {
    kind: 'table', role: 'stages',
    columns: [{ title: 'Stage', unit: '' }, { title: 'Level', unit: '' }, { title: 'Offered/s', unit: '' }, { title: 'Succeeded/s', unit: '' }, { title: 'Dropped/s', unit: '' }, { title: 'p95', unit: 'ms' }, { title: 'Limits' }],
    rows: stages.map((r) => ({
      cells: [num(r.stage) ?? Number.NaN, num(r.level) ?? Number.NaN, num(r.offered_per_s) ?? Number.NaN, num(r.succeeded_per_s) ?? Number.NaN, num(r.dropped_per_s) ?? Number.NaN, num(r.p95_ms) ?? Number.NaN, r.within_limits === false ? 'beyond the limits' : 'within'],
      ...(r.within_limits === false ? { mark: 'bad' as const } : {}),
    })),
  };
}

/** The groups of busy session time the check records, in the order a reader scans them, with their column titles. */
const GROUPS: Array<[string, string]> = [['cpu', 'CPU'], ['lock', 'Lock'], ['wal', 'WAL'], ['io', 'I/O'], ['lwlock', 'LWLock'], ['client', 'Client'], ['other', 'Other']];

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** What gave first, where the session time went in each stage, and the headroom: from info.attribution and the findings. */
function attribution(info: Record<string, unknown>, findings: readonly Finding[]): HeadlinePanel[] {
  const shares = rows(info.attribution);
  const bottleneck = findings.find((f) => f.subject === 'bottleneck');
  const headroom = findings.find((f) => f.subject === 'headroom');
  const out: HeadlinePanel[] = [];
  if (bottleneck) {
    const [evidence = '', ruledOut = ''] = (bottleneck.detail ?? '').split('\nRuled out: ');
    out.push({ kind: 'text', heading: capitalised(bottleneck.title), paragraphs: [...(evidence ? [{ text: evidence }] : []), ...(ruledOut ? [{ text: `Ruled out: ${ruledOut}`, muted: true }] : [])] });
  }
  if (shares.length) {
    const judged = num(obj(info.bottleneck).stage);
    // Stages that drove Celery tasks: how busy the workers of the load's queue were, and how far the queue grew.
    const celery = shares.some((r) => r.celery_workers !== undefined);
    const celeryCells = (r: Record<string, unknown>) => {
      const queue = obj(r.task_queue);
      const first = num(queue.first);
      const last = num(queue.last);
      return [num(obj(r.celery_workers).utilisation) ?? Number.NaN, first !== undefined && last !== undefined ? last - first : Number.NaN];
    };
    out.push({ kind: 'text', paragraphs: [{ text: `Where the load's PostgreSQL session time went in each stage (share of busy session samples; pool wait: share of PostgreSQL step time spent waiting for a session)${celery ? '; Celery busy: tasks running over the pool processes of the workers consuming the load\'s task queue' : ''}.`, muted: true }] });
    out.push({
      kind: 'table', role: 'attribution',
      columns: [{ title: 'Stage', unit: '' }, { title: 'Level', unit: '' }, { title: 'Pool wait', unit: 'ratio' }, ...GROUPS.map(([, title]) => ({ title, unit: 'ratio' })), { title: 'Samples', unit: '' },
        ...(celery ? [{ title: 'Celery busy', unit: 'ratio' }, { title: 'Task queue growth', unit: '' }] : [])],
      rows: shares.map((r) => ({
        cells: [num(r.stage) ?? Number.NaN, `${formatNumber(num(r.level) ?? Number.NaN)} ${String(r.unit ?? '')}`, num(r.pool_wait_share) ?? Number.NaN, ...GROUPS.map(([k]) => num(obj(r.groups)[k]) ?? Number.NaN), num(r.session_samples) ?? 0,
          ...(celery ? celeryCells(r) : [])],
        ...(num(r.stage) === judged ? { mark: 'emphasis' as const } : {}),
      })),
    });
  }
  if (headroom) out.push({ kind: 'text', heading: capitalised(headroom.title), paragraphs: (headroom.detail ?? '').split('\n').filter(Boolean).map((text) => ({ text, muted: true })) });
  return out;
}

export function loadHeadline(view: HeadlineView): Headline | undefined {
  const { info } = view;
  const find = (name: string) => view.timeSeries.find((s) => s.name === name)?.points ?? [];
  const p95 = find(SERIES.p95);
  if (p95.length === 0) return undefined;
  const throughput = find(SERIES.throughput);
  const level = find(SERIES.level);
  const stages = rows(info.stage_table);
  // The stages' unit is written when the check ends; while it runs (the live view) the executor it announced says it.
  const executor = obj(info.scenario).executor;
  const announced = executor === 'arrival-rate' ? 'req/s' : executor === 'closed-loop' ? 'VUs' : '';
  const unit = String(obj(rows(info.stages)[0]).unit ?? announced);
  const beyond = new Set(stages.filter((r) => r.within_limits === false).map((r) => num(r.stage) ?? -1));
  const bands = stageBands(level, unit, beyond);
  const sat = obj(info.saturation);
  const limit = num(obj(info.limits).p95Ms);
  const xMarks: ChartMark[] = [];
  const firstBeyond = num(sat.firstBeyond);
  if (firstBeyond !== undefined && bands[firstBeyond - 1]) xMarks.push({ at: bands[firstBeyond - 1]!.from, label: num(sat.level) === undefined ? 'beyond the limits from the first stage' : `saturation point: ${formatNumber(num(sat.level)!)} ${unit}`, kind: 'limit' });
  const maxP95 = Math.max(0, ...p95.map((p) => p[1]).filter(Number.isFinite));
  const showLimit = limit !== undefined && limit <= maxP95 * 2;
  const limitNote = limit !== undefined && !showLimit ? ` (p95 limit ${formatMs(limit)}, far above)` : '';
  const tput: ChartSeries[] = [{ label: 'succeeded requests/s', points: throughput, step: true }, ...(unit === 'req/s' ? [{ label: 'offered (stage level)', points: level, step: true }] : [])];
  const panels: HeadlinePanel[] = [
    {
      kind: 'line', caption: `Latency over the stages${limitNote}: where does the system stop coping?`,
      title: 'p95 latency over the stages', xTitle: 's since the check started', yTitle: 'p95 (ms)',
      series: [{ label: 'p95 latency of each second', points: p95, step: true }], bands, xMarks,
      ...(showLimit ? { yMarks: [{ at: limit, label: `p95 limit ${formatMs(limit)}`, kind: 'limit' as const }] } : {}),
    },
    {
      kind: 'line', caption: 'Throughput against the offered load: does it keep up at every stage?',
      title: 'Throughput against the offered load', xTitle: 's since the check started', yTitle: 'requests/s', series: tput, bands, xMarks,
    },
  ];
  if (typeof sat.reason === 'string') panels.push({ kind: 'text', paragraphs: [{ text: sat.reason, muted: true }] });
  if (stages.length) panels.push(stageTable(stages));
  panels.push(...attribution(info, view.findings));
  return { panels };
}
