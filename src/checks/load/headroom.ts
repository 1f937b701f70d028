// Pure: the offered rate at which each limit is crossed (between two stages, with its bracket), the headroom over the
// application's current rate, and a finer stage plan when the stages were too coarse to pin the crossing down.
import type { Limits, StageFigures } from './analyse.js';

export type Threshold = 'p95' | 'errors' | 'completion';

export interface Crossing {
  threshold: Threshold;
  /** What the threshold is, in words ("p95 > 300 ms"). */
  limit: string;
  /** 'between': crossed between two stages; 'below': already at the first; 'above': not within the stages. */
  where: 'between' | 'below' | 'above';
  /** The estimated offered rate at the crossing (req/s); for 'below'/'above' the first/highest stage's rate. */
  rate: number;
  /** The bracket the crossing lies in (req/s): [last stage within, the estimate's upper bound]. */
  low: number;
  high: number;
  /** How the estimate was made. */
  method: 'capacity' | 'interpolated' | 'bound';
  /** (high − low) / 2 / rate: the estimate's relative uncertainty. */
  uncertainty: number;
  /** rate / the app's current rate; null without a current rate. */
  headroom: number | null;
}

/** Brackets wider than this (relative half-width) are worth a finer plan. */
export const COARSE = 0.125;

/** The offered rate at which `value` crosses `limit`, linear between two stages. */
function lerp(x0: number, y0: number, x1: number, y1: number, limit: number): number {
  if (y1 === y0) return x1;
  return x0 + ((limit - y0) / (y1 - y0)) * (x1 - x0);
}

interface Rule {
  threshold: Threshold;
  limit: string;
  crossed(s: StageFigures): boolean;
  /** The estimate between a stage within and the first past it. */
  estimate(a: StageFigures, b: StageFigures): { rate: number; high: number; method: Crossing['method'] };
}

function rules(limits: Limits): Rule[] {
  const minRatio = limits.minCompletionRatio ?? 0.9;
  // Past its capacity an open loop completes at that capacity, whatever it is offered: the beyond stage's completions
  // (per second of its wall time, the drain of its backlog included) bound the crossing from above far more tightly
  // than a straight line through a hockey-stick latency curve would.
  const capacity = (b: StageFigures): number | null => (b.completedRate < 0.95 * b.level && b.completedRate > 0 ? b.completedRate : null);
  return [
    {
      threshold: 'p95', limit: `p95 > ${limits.p95Ms} ms`, crossed: (s) => s.p95 > limits.p95Ms,
      estimate(a, b) {
        const cap = capacity(b);
        if (cap !== null) return { rate: cap, high: Math.min(b.level, cap * 1.1), method: 'capacity' };
        return { rate: lerp(a.level, a.p95, b.level, b.p95, limits.p95Ms), high: b.level, method: 'interpolated' };
      },
    },
    {
      threshold: 'completion', limit: `completed / offered < ${minRatio}`, crossed: (s) => s.completionRatio < minRatio,
      estimate(a, b) {
        const cap = capacity(b);
        if (cap !== null) return { rate: cap / minRatio, high: Math.min(b.level, (cap * 1.1) / minRatio), method: 'capacity' };
        return { rate: lerp(a.level, a.completionRatio, b.level, b.completionRatio, minRatio), high: b.level, method: 'interpolated' };
      },
    },
    {
      // 1 − 0.95 is 0.050000000000000044 in floating point: the limit is written as configured.
      threshold: 'errors', limit: `error rate > ${Number(limits.maxErrorRate.toFixed(6))}`, crossed: (s) => s.errorRate > limits.maxErrorRate,
      estimate(a, b) {
        // Past capacity the requests that could not be served (dropped, timed out) are the errors: the error rate
        // reaches its limit where the capacity is that share short of the offered rate.
        const cap = capacity(b);
        const ok = 1 - limits.maxErrorRate;
        if (cap !== null && ok > 0) return { rate: cap / ok, high: Math.min(b.level, (cap * 1.1) / ok), method: 'capacity' };
        return { rate: lerp(a.level, a.errorRate, b.level, b.errorRate, limits.maxErrorRate), high: b.level, method: 'interpolated' };
      },
    },
  ];
}

/**
 * Crossings of every limit over arrival-rate stages (lowest first), on the stages' scheduled rates (a stage's offered
 * rate per second of its wall time shrinks when its backlog drains); `current` is the app's real rate, when known.
 */
export function crossings(stages: StageFigures[], limits: Limits, current: number | null): Crossing[] {
  if (stages.length === 0 || stages[0]!.unit !== 'req/s') return [];
  const out: Crossing[] = [];
  for (const rule of rules(limits)) {
    const i = stages.findIndex((s) => rule.crossed(s));
    let c: Omit<Crossing, 'uncertainty' | 'headroom'>;
    if (i === -1) {
      const top = stages[stages.length - 1]!;
      c = { threshold: rule.threshold, limit: rule.limit, where: 'above', rate: top.level, low: top.level, high: Number.POSITIVE_INFINITY, method: 'bound' };
    } else if (i === 0) {
      const first = stages[0]!;
      c = { threshold: rule.threshold, limit: rule.limit, where: 'below', rate: first.level, low: 0, high: first.level, method: 'bound' };
    } else {
      const a = stages[i - 1]!;
      const b = stages[i]!;
      const e = rule.estimate(a, b);
      // The stage within the limit carried its level: the crossing is not below it.
      const rate = Math.min(Math.max(e.rate, a.level), b.level);
      c = { threshold: rule.threshold, limit: rule.limit, where: 'between', rate, low: a.level, high: Math.max(rate, Math.min(e.high, b.level)), method: e.method };
    }
    const uncertainty = c.where === 'between' && c.rate > 0 ? (c.high - c.low) / 2 / c.rate : Number.POSITIVE_INFINITY;
    out.push({ ...c, uncertainty, headroom: current && current > 0 ? c.rate / current : null });
  }
  return out;
}

/**
 * A finer plan around a crossing whose bracket is wide: five stages from just below the last stage within to just
 * above the estimate's upper bound, each as long as the stages ran. Null when the bracket is already narrow.
 */
export function finerPlan(c: Crossing, durationS: number): Array<{ rate: number; duration: string }> | null {
  if (c.where === 'between' && c.uncertainty <= COARSE) return null;
  const low = c.where === 'below' ? c.rate / 4 : c.low;
  const high = c.where === 'above' ? c.rate * 4 : c.where === 'below' ? c.rate : c.high * 1.1;
  const n = 5;
  const step = (high - low) / (n - 1);
  const round = (v: number) => (v >= 10 ? Math.round(v) : Math.round(v * 10) / 10);
  const rates = [...new Set(Array.from({ length: n }, (_, k) => round(low + k * step)))].filter((r) => r > 0);
  return rates.map((rate) => ({ rate, duration: `${Math.max(2, Math.round(durationS))}s` }));
}
