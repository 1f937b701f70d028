// What the load check says about capacity: the rate at which each limit is crossed, the headroom over the app's
// current rate (load.current_rate), and the finer stage plan that would pin a coarse crossing down.
import type { CheckContext } from '../types.js';
import type { Limits, StageFigures } from './analyse.js';
import { asDecl, declare, type MetricDeclaration } from './attribution-pool.js';
import { crossings, finerPlan, type Crossing } from './headroom.js';

export const HEADROOM_METRICS = {
  crossing: { name: 'load_capacity_rate', kind: 'gauge', unit: 'req/s', meaning: 'throughput', better: 'higher', basis: 'derived', description: 'offered rate at which the limit (tag threshold: p95, completion, errors) is crossed, estimated between the stages around it' },
  headroom: { name: 'load_headroom', kind: 'gauge', unit: 'ratio', meaning: 'state', better: 'higher', basis: 'derived', description: 'load_capacity_rate / load.current_rate: how many times the app\'s current rate the stack carries before the limit' },
} as const satisfies Record<string, MetricDeclaration>;

const r1 = (v: number) => Math.round(v * 10) / 10;

function words(c: Crossing): string {
  if (c.where === 'above') return `${c.limit}: not crossed up to ${r1(c.rate)} req/s`;
  if (c.where === 'below') return `${c.limit}: crossed already at the first stage (${r1(c.rate)} req/s)`;
  return `${c.limit} at ~${r1(c.rate)} req/s (between ${r1(c.low)} and ${r1(c.high)} req/s, ±${Math.round(c.uncertainty * 100)} %, ${c.method === 'capacity' ? 'from the completions past capacity' : 'interpolated'})`;
}

/** `measured`: the app's rate read from the server, used when load.current_rate is not given. */
export function reportHeadroom(ctx: CheckContext, stages: StageFigures[], limits: Limits, measured?: { rate: number; source: string }): Crossing[] {
  const configured = ctx.config.load.current_rate;
  const current = configured ?? (measured && measured.rate > 0 ? measured.rate : null);
  const source = configured !== undefined ? 'load.current_rate' : current !== null ? measured!.source : null;
  const all = crossings(stages, limits, current);
  if (all.length === 0) return all;
  declare(ctx.metrics, HEADROOM_METRICS);
  for (const c of all) {
    if (c.where !== 'between') continue;
    ctx.metrics.gauge(asDecl(HEADROOM_METRICS.crossing), { threshold: c.threshold }).set(c.rate);
    if (c.headroom !== null) ctx.metrics.gauge(asDecl(HEADROOM_METRICS.headroom), { threshold: c.threshold }).set(c.headroom);
  }
  const durationS = stages.reduce((m, s) => Math.max(m, s.durationS), 0);
  const first = all.filter((c) => c.where !== 'above').sort((a, b) => a.rate - b.rate)[0];
  const plan = first ? finerPlan(first, durationS) : finerPlan(all[0]!, durationS);
  ctx.info('headroom', { current_rate: current, current_rate_from: source, crossings: all.map((c) => ({ ...c, high: Number.isFinite(c.high) ? c.high : null, uncertainty: Number.isFinite(c.uncertainty) ? c.uncertainty : null })), finer_plan: plan });
  const lead = first ?? all[0]!;
  const head = lead.headroom !== null && lead.where === 'between'
    ? `headroom ${lead.headroom.toFixed(1)}× over ${r1(current!)} req/s before ${lead.limit}`
    : lead.where === 'between' ? `capacity ~${r1(lead.rate)} req/s before ${lead.limit}` : words(lead);
  ctx.finding({
    severity: lead.headroom !== null && lead.headroom < 1.5 && lead.where !== 'above' ? 'warn' : 'info', subject: 'headroom', title: head,
    detail: all.map(words).join('\n') + (current === null ? '\nSet load.current_rate (your application\'s real request rate) for the headroom over it.' : `\nCurrent rate from ${source}.`),
    ...(plan ? { recommendation: `The stages were too coarse to pin the crossing down: run load.stages ${JSON.stringify(plan)}.` } : {}),
    data: { crossings: all.map((c) => ({ threshold: c.threshold, rate: c.rate, low: c.low, where: c.where })), finer_plan: plan },
  });
  return all;
}
