// What the load checks record, declared once (see docs/architecture.md, "Declaring a metric"): a request is the
// operation and its steps are parts of it; stage figures are tagged `stage` (1-based), steps also `step`.
import type { Config } from '../../config/schema.js';
import { metric, type GaugeDecl, type MetricDecl } from '../../metrics/declare.js';
import { unit } from '../../metrics/unit.js';

/** Recorded per stage by the StageRecorder (in this thread or a worker's), merged exactly into the check's registry. */
export const M = {
  request: metric.trend({ name: 'load_request_duration', meaning: 'latency', unit: unit.ms, description: 'one simulated user request, from its intended start (open loop) to its end' }),
  success: metric.rate({ name: 'load_success', better: 'higher', description: 'requests that succeeded over requests offered (dropped and timed-out ones count as failures)' }),
  errorKinds: metric.counter({ name: 'load_error_kinds', meaning: 'count', better: 'lower', unit: unit.count(), description: 'failed requests by error kind (`dropped`: never started)' }),
  dropped: metric.counter({ name: 'load_dropped', meaning: 'count', better: 'lower', unit: unit.count(), description: 'requests the open loop could not start: every virtual user busy' }),
  timedOut: metric.counter({ name: 'load_timed_out', meaning: 'count', better: 'lower', unit: unit.count(), description: 'requests that did not end within load.request_timeout_ms' }),
  step: metric.trend({ name: 'load_step_duration', meaning: 'duration', unit: unit.ms, description: 'one step inside a request (a query, a GET, a task publish): part of a request, never summed' }),
  stepSuccess: metric.rate({ name: 'load_step_success', better: 'higher', description: 'steps that succeeded over steps attempted' }),
  types: metric.counter({ name: 'load_requests', meaning: 'count', perSecond: true, unit: unit.count(), description: 'requests started, by request type' }),
  elapsed: metric.gauge({ name: 'load_stage_elapsed_s', meaning: 'duration', unit: unit.seconds, description: 'how long the stage ran, its drain included' }),
} as const;

/** The stage's load level, in the unit of its executor: a rate (arrival-rate) or virtual users (closed-loop). */
const LEVEL_UNITS = { 'req/s': unit.perSecond('req'), VUs: unit.count('VUs') } as const;
export type LevelUnit = keyof typeof LEVEL_UNITS;
const levels = <T>(make: (u: LevelUnit) => T): Record<LevelUnit, T> => ({ 'req/s': make('req/s'), VUs: make('VUs') });

export const STAGE_LEVEL: Record<LevelUnit, GaugeDecl> = levels((u) => metric.gauge({ name: 'load_stage_level', meaning: 'state', unit: LEVEL_UNITS[u], description: 'the load level of the stage' }));
export const SATURATION_LEVEL: Record<LevelUnit, GaugeDecl> = levels((u) => metric.gauge({
  name: 'load_saturation_level', meaning: 'state', basis: 'derived', better: 'higher', unit: LEVEL_UNITS[u],
  description: 'the last stage level before completions stopped following the load or the limits broke; absent when not found',
}));

/** The no-op controls sampled beside the requests: the network's and the client's share of the step latencies. */
export const PG_NOOP = metric.trend({ name: 'load_pg_noop_duration', meaning: 'duration', unit: unit.ms, description: "a prepared SELECT 1 on the load's own PostgreSQL sessions (each worker thread's, and load.replay's), 20 times a second per pool beside the requests: the network's and the client's share of the PostgreSQL step latencies (pg_read, pg_write, custom, replay:…)" });
export const REDIS_PING = metric.trend({ name: 'load_redis_ping_duration', meaning: 'duration', better: 'lower', unit: unit.ms, description: 'a PING on the load\'s Redis connection every 10 ms of a stage, beside its cache steps: the network\'s and the client\'s share of load_step_duration{step:cache_get}' });

export const CONNECTIONS_LOST = metric.counter({ name: 'load_connections_lost', meaning: 'count', better: 'lower', unit: unit.count('connections'), description: 'Redis connections of the load closed by the server or the network' });
export const GENERATOR_SATURATED = metric.counter({ name: 'load_generator_saturated', meaning: 'count', better: 'lower', basis: 'client', unit: unit.seconds, description: 'seconds stackprobe\'s own load generator was saturated: the measuring machine, not the system' });

/** Figures derived from the stages once they have run (src/checks/load/analyse.ts): compare judges what they come from. */
export const DERIVED = {
  throughput: metric.gauge({ name: 'load_stage_throughput', meaning: 'throughput', basis: 'derived', unit: unit.perSecond('req'), description: 'requests that succeeded per second of the stage' }),
  offeredRate: metric.gauge({ name: 'load_stage_offered_rate', meaning: 'state', basis: 'derived', unit: unit.perSecond('req'), description: 'requests offered per second of the stage (drain included)' }),
  completionRatio: metric.gauge({ name: 'load_stage_completion_ratio', meaning: 'share', basis: 'derived', better: 'higher', unit: unit.ratio, description: 'completed / offered requests of the stage' }),
  p95: metric.gauge({ name: 'load_stage_p95', meaning: 'duration', basis: 'derived', unit: unit.ms, description: 'p95 of the stage\'s requests (already in load_request_duration)' }),
  degradation: metric.gauge({ name: 'load_degradation', meaning: 'state', better: 'lower', basis: 'derived', unit: unit.ratio, description: 'the stage\'s p95 over the first stage\'s' }),
  beyondSaturation: metric.counter({ name: 'load_stages_beyond_saturation', meaning: 'count', basis: 'derived', better: 'lower', unit: unit.count('stages'), description: 'stages outside the limits' }),
  stepErrorShare: metric.gauge({ name: 'load_step_error_share', meaning: 'share', basis: 'derived', better: 'lower', unit: unit.ratio, description: 'failed / attempted of each step kind over the stages within the limits' }),
  failingSteps: metric.counter({ name: 'load_failing_steps', meaning: 'count', basis: 'derived', better: 'lower', unit: unit.count('steps'), description: 'step kinds whose error share is above the limit below saturation' }),
} as const;

/**
 * The per-second series, each with how `stackprobe merge` combines it: requests and errors add up by second; the stage
 * level is the whole profile's in every segment, so any one segment's is the merged value. A per-second p95 is never
 * combined: a p95 of one second over several machines needs that second's histograms, which run.json does not keep.
 */
export const SERIES = {
  throughput: metric.series({ name: 'load_throughput', unit: unit.perSecond('req'), merge: 'sum' }),
  p95: metric.series({ name: 'load_p95', unit: unit.ms }),
  errors: metric.series({ name: 'load_errors_per_s', unit: unit.perSecond('err'), merge: 'sum' }),
  level: metric.series({ name: 'load_stage_level', unit: unit.number, merge: 'same' }),
} as const;

/** load.replay's own figures: what it could not replay, how faithful the mix was, what degraded. */
export const REPLAY = {
  sessionsLost: metric.counter({ name: 'load_sessions_lost', meaning: 'count', better: 'lower', unit: unit.count('sessions'), description: 'replay sessions closed by the server or the network during the load, or by stackprobe when a statement turned its session read-write' }),
  statements: metric.gauge({ name: 'replay_statements', meaning: 'state', unit: unit.count('statements'), description: 'statements replayed' }),
  notReplayable: metric.counter({ name: 'replay_not_replayable', meaning: 'count', unit: unit.count('statements'), description: 'chosen statements the dry pass could not replay (each listed with the reason)' }),
  coverage: metric.gauge({ name: 'replay_coverage', meaning: 'share', better: 'higher', unit: unit.ratio, description: 'share of all the database\'s calls that the replayed statements stand for' }),
  shareOriginal: metric.gauge({ name: 'replay_share_original', meaning: 'share', unit: unit.ratio, description: 'a statement\'s share of calls among the replayed ones, in pg_stat_statements' }),
  shareReplayed: metric.gauge({ name: 'replay_share_replayed', meaning: 'share', unit: unit.ratio, description: 'a statement\'s share of the replayed requests' }),
  shareMaxDiff: metric.gauge({ name: 'replay_share_max_diff_pp', meaning: 'state', better: 'lower', unit: unit.points, description: 'largest difference between a statement\'s replayed and original share, percentage points' }),
  meanOriginal: metric.gauge({ name: 'replay_mean_original_ms', meaning: 'state', unit: unit.ms, description: 'pg_stat_statements\' mean execution time of the statement before the replay' }),
  meanReplayed: metric.gauge({ name: 'replay_mean_replayed_ms', meaning: 'duration', unit: unit.ms, description: 'server execution time per call of the replayed statement at the first stage (pg_stat_statements difference)' }),
  meanRatio: metric.gauge({ name: 'replay_mean_ratio', meaning: 'state', unit: unit.ratio, description: 'replayed first-stage server mean / original mean' }),
  degraded: metric.counter({ name: 'replay_degraded_statements', meaning: 'count', better: 'lower', unit: unit.count('statements'), description: 'statements whose p95 grew past load.replay.degradation_factor and degradation_min_ms' }),
} as const;

/** The unit of the stage levels under this config's executor. */
export const levelUnitOf = (config: Config): LevelUnit => (config.load.executor === 'arrival-rate' ? 'req/s' : 'VUs');

/** Every figure either load check records that a threshold can name, in the level unit of its executor. */
export function stageMetrics(level: LevelUnit): MetricDecl[] {
  return [...Object.values(M), STAGE_LEVEL[level], SATURATION_LEVEL[level], PG_NOOP, REDIS_PING, CONNECTIONS_LOST, GENERATOR_SATURATED, ...Object.values(DERIVED)];
}
