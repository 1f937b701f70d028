// What a metric means, declared by the check that records it: compare, summary, merge and reporters read this, never names.

/**
 * - `latency`: one user-visible operation timed once (a query, a GET, a task round trip). Each operation of a run is
 *   recorded in exactly one latency trend, so the run's response time can merge them without counting anything twice.
 * - `duration`: the time of a phase or of a subset of operations (pg_dump, a restore, hit-only reads); shown, never summed.
 * - `throughput`: completions per second (a gauge or a trend of rates).
 * - `count`: events that happened (rows compared, tasks sent); neutral unless `better` says otherwise.
 * - `defects`: things found wrong (orphaned rows, corrupt pages); more is worse, and growth between runs is a regression.
 * - `state`: a level read from a server (connections in use, memory); judged only when `better` says so.
 * - `share`: a proportion in 0..1 (an error rate, a hit rate).
 * - `size`: bytes, rows or items held (dump size, table rows).
 */
export type MetricMeaning = 'latency' | 'duration' | 'throughput' | 'count' | 'defects' | 'state' | 'share' | 'size';

/**
 * Where a figure comes from, which decides whether comparing two runs may judge it:
 * - `measured` (the default): observed while this run measured; judged against the noise both runs recorded.
 * - `derived`: computed from other figures of the run that are judged themselves (a degradation ratio from stage p95s,
 *   a cold-start hit rate whose misses are fixed and whose reads depend on the run's speed, judged through its shortfall
 *   from the expectation): shown, judged through those.
 * - `expected`: what the workload should give by construction (a computed expectation), not a measurement.
 * - `cumulative`: a server-wide total since the server's statistics began (temp bytes, evicted keys): it carries the
 *   server's history and every other client, and grows between any two runs.
 * - `client`: a figure about stackprobe's own process (seconds its generator was saturated): the measuring machine, not
 *   the system under test.
 * Only `measured` figures are judged by compare; the rest are shown with `--all`.
 */
export type MetricBasis = 'measured' | 'derived' | 'expected' | 'cumulative' | 'client';

/** Which way is better for a figure; `none` means the change is shown but never judged. */
export type Better = 'lower' | 'higher' | 'none';

/** The part a figure plays in the family one kind of operation records (src/exec/recorder.ts `operationMetrics`). */
export type OperationRole = 'duration' | 'errors' | 'errorKinds' | 'dropped' | 'timeouts' | 'throughput';
export const OPERATION_ROLES = ['duration', 'errors', 'errorKinds', 'dropped', 'timeouts', 'throughput'] as const satisfies readonly OperationRole[];

/** Which operation a figure belongs to (`query`) and its part in it: reporters put one operation's figures in one row. */
export interface OperationPart { name: string; role: OperationRole }

export interface MetricMeta {
  meaning: MetricMeaning;
  better: Better;
  /** Counters only: true when "per second" means something for this count (requests, not defects). Default false. */
  perSecond?: boolean;
  /** One line for people: what the figure is and what it includes. */
  description?: string;
  /** Where the figure comes from; absent means `measured`. */
  basis?: MetricBasis;
  /**
   * Trends only: this one times a no-op on the same sessions beside the named trend (its tags a subset of that one's):
   * the network's and the client's share of it. Comparing runs reads it as the environment's own shift, and never
   * judges the control itself.
   */
  controlFor?: string;
  /** The operation the figure is part of, declared with it (a query's duration, its errors, its throughput). */
  operation?: OperationPart;
}

/** True when comparing runs may judge the figure: only what this run itself measured about the system (no control). */
export function isMeasured(meta: { basis?: MetricBasis; controlFor?: string }): boolean {
  return (meta.basis === undefined || meta.basis === 'measured') && meta.controlFor === undefined;
}

/** What an undeclared metric is taken to mean: nothing judged, nothing summed, no per-second rate. */
export function defaultMeta(type: 'trend' | 'rate' | 'counter' | 'gauge'): MetricMeta {
  switch (type) {
    case 'trend': return { meaning: 'duration', better: 'lower' };
    case 'rate': return { meaning: 'share', better: 'none' };
    case 'counter': return { meaning: 'count', better: 'none' };
    case 'gauge': return { meaning: 'state', better: 'none' };
  }
}

/** The `better` a meaning implies when a check does not say (defects grow worse; latencies and durations too). */
export function impliedBetter(meaning: MetricMeaning): Better {
  switch (meaning) {
    case 'latency': case 'duration': case 'defects': return 'lower';
    case 'throughput': return 'higher';
    default: return 'none';
  }
}
