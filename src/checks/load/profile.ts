// The stages a run uses (config or the mode's default, fitted into the check's time budget) and the saturation limits.
import type { Config } from '../../config/schema.js';
import { defaultStages, fitStages, parseDuration, parseSegment, type Segment, type Stage } from '../../exec/stages.js';
import type { Limits } from './analyse.js';

/** Time kept out of the check's budget for set-up, draining the last stage and clean-up. */
const RESERVE_MS = 30_000;

export interface Profile {
  stages: Stage[];
  segment: Segment;
  limits: Limits;
  /** True when the configured stages were shortened to fit the check's time budget. */
  fitted: boolean;
}

export function loadProfile(config: Config): Profile {
  const load = config.load;
  const stages: Stage[] = load.stages
    ? load.stages.map((s, i) => ({
        ...(s.rate !== undefined ? { rate: s.rate } : {}),
        ...(s.vus !== undefined ? { vus: s.vus } : {}),
        durationMs: parseDuration(s.duration, `config.load.stages[${i}].duration`),
      }))
    : defaultStages(config.mode, load.executor);
  const budget = Math.max(5000, config.timeouts.check_ms - RESERVE_MS);
  const fittedStages = fitStages(stages, budget);
  return {
    stages: fittedStages,
    segment: parseSegment(load.segment, 'config.load.segment'),
    limits: { p95Ms: load.p95_limit_ms ?? config.thresholds.complex_query_time_ms, maxErrorRate: 1 - config.thresholds.load_success_rate, minCompletionRatio: load.min_completion_ratio },
    fitted: fittedStages !== stages,
  };
}
