// Stage arithmetic kept apart from the executors: durations, default profiles, and exact shares for segments and workers.
import { ConfigError } from '../util/errors.js';

export type ExecutorKind = 'arrival-rate' | 'closed-loop';

/** One step of the staircase: a constant arrival rate (req/s) or a constant number of virtual users, for a duration. */
export interface Stage {
  rate?: number;
  vus?: number;
  durationMs: number;
}

export interface Segment {
  /** 1-based index of this share. */
  index: number;
  count: number;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** `"20s"`, `"1m"`, `"500ms"` or a number of seconds, in milliseconds. */
export function parseDuration(value: string | number, where = 'duration'): number {
  if (typeof value === 'number') {
    if (!(value > 0)) throw new ConfigError(`${where}: expected a positive duration, got ${value}`);
    return value * 1000;
  }
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value.trim());
  if (!m) throw new ConfigError(`${where}: expected a duration like "20s", "1m" or "500ms", got ${JSON.stringify(value)}`);
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  if (!(ms > 0)) throw new ConfigError(`${where}: expected a positive duration, got ${JSON.stringify(value)}`);
  return ms;
}

export function parseSegment(value: string, where = 'segment'): Segment {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || index < 1 || count < 1 || index > count) throw new ConfigError(`${where}: expected "i/n" with 1 <= i <= n (e.g. "2/4"), got ${JSON.stringify(value)}`);
  return { index, count };
}

/**
 * Default staircases per mode: quick is under 5 s of load, full a minute, load-test bounded to about 3 minutes.
 *
 * Quick mode offers the same number of requests per stage as its earlier 10, 25, 50 req/s × 3 s (30, 75 and 150) in
 * half the time, at twice the rates. What a stage's verdict reads is counted over its requests (its p95, its error and
 * completion shares), so the same counts carry the same sampling noise; the stage's time is not a figure of its own.
 * The higher levels stay far inside what a small server carries (a 2-core host at load 10 kept 100 req/s at p95 11 ms
 * and 200 req/s at 4 ms, limit 500 ms, completion 1.0, in full mode's stages), and full mode still reads the curve in
 * 15 s stages. A closed loop runs its VUs back to back, so even 2 VUs make hundreds of requests in 1.5 s.
 */
export function defaultStages(mode: 'quick' | 'full' | 'load-test', executor: ExecutorKind): Stage[] {
  const plan: Record<typeof mode, { levels: number[]; vus: number[]; seconds: number }> = {
    quick: { levels: [20, 50, 100], vus: [2, 4, 8], seconds: 1.5 },
    full: { levels: [25, 50, 100, 200], vus: [4, 8, 16, 32], seconds: 15 },
    'load-test': { levels: [25, 50, 100, 200, 400, 800], vus: [4, 8, 16, 32, 64, 128], seconds: 30 },
  };
  const p = plan[mode];
  return executor === 'arrival-rate'
    ? p.levels.map((rate) => ({ rate, durationMs: p.seconds * 1000 }))
    : p.vus.map((vus) => ({ vus, durationMs: p.seconds * 1000 }));
}

/**
 * The integer share of `total` that part `index` (1-based) of `count` gets: floor(total·i/n) − floor(total·(i−1)/n).
 * The shares of all parts add up to `total` exactly, and differ by at most one.
 */
export function integerShare(total: number, index: number, count: number): number {
  return Math.floor((total * index) / count) - Math.floor((total * (index - 1)) / count);
}

/** The part of a stage one share runs: the rate divided evenly (fractions kept), virtual users split as integers. */
export function shareOfStage(stage: Stage, index: number, count: number): Stage {
  const out: Stage = { durationMs: stage.durationMs };
  if (stage.rate !== undefined) out.rate = stage.rate / count;
  if (stage.vus !== undefined) out.vus = integerShare(stage.vus, index, count);
  return out;
}

/** Combines a machine segment and a worker thread into one share: worker w of W inside segment i of n is share ((i−1)·W + w) of n·W. */
export function combinedShare(segment: Segment, worker: number, workers: number): Segment {
  return { index: (segment.index - 1) * workers + worker, count: segment.count * workers };
}

export function totalDurationMs(stages: Stage[]): number {
  return stages.reduce((sum, s) => sum + s.durationMs, 0);
}

/** The load level of a stage as a number (its rate or its VUs) and its unit, for curves and names. */
export function stageLevel(stage: Stage): { value: number; unit: 'req/s' | 'VUs' } {
  return stage.rate !== undefined ? { value: stage.rate, unit: 'req/s' } : { value: stage.vus ?? 0, unit: 'VUs' };
}

/** Scales every stage's duration so the whole profile fits in `maxMs` (a time budget), never lengthening it. */
export function fitStages(stages: Stage[], maxMs: number): Stage[] {
  const total = totalDurationMs(stages);
  if (total <= maxMs) return stages;
  const f = maxMs / total;
  return stages.map((s) => ({ ...s, durationMs: Math.max(250, Math.floor(s.durationMs * f)) }));
}
