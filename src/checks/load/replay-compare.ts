// load.replay: how faithful the replay was (each statement's share of calls and first-stage mean against
// pg_stat_statements) and which statement degrades first as the load rises — from serialised metrics only.
import { mergeTrends } from '../../metrics/serialize.js';
import type { CounterMetric, RateMetric, SerializedMetric, TrendMetric } from '../../result/model.js';
import { M } from './metrics.js';

export interface StatementInfo {
  name: string;
  queryid: string;
  query: string;
  /** Share of calls among the replayed statements in pg_stat_statements. */
  share: number;
  /** pg_stat_statements' mean execution time before the replay. */
  meanMs: number;
}

export interface StageOfStatement {
  stage: number;
  requests: number;
  failures: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
}

export interface StatementFigures {
  name: string;
  queryid: string;
  query: string;
  originalShare: number;
  replayedShare: number;
  /** replayed − original, in percentage points. */
  shareDiffPp: number;
  originalMeanMs: number;
  /** The statement's time as this client saw it at the first stage (network round trip included). */
  firstStageMeanMs: number;
  /** The server's execution time of the replayed calls at the first stage (pg_stat_statements delta); null when unknown. */
  firstStageServerMeanMs: number | null;
  stages: StageOfStatement[];
  /** The first stage at which its median grew past the degradation limits; null when it never did. */
  degradedAt: number | null;
  /** Median at the last stage minus median at the first, ms. */
  addedMs: number;
}

export interface DegradationLimits {
  factor: number;
  minMs: number;
}

const sel = <T extends SerializedMetric>(metrics: SerializedMetric[], type: T['type'], name: string, tags: Record<string, string>): T[] =>
  metrics.filter((m): m is T => m.type === type && m.name === name && Object.entries(tags).every(([k, v]) => m.tags[k] === v));

function stageOf(metrics: SerializedMetric[], name: string, stage: number): StageOfStatement {
  const tags = { stage: String(stage), step: name };
  const trend = mergeTrends(sel<TrendMetric>(metrics, 'trend', M.step.name, tags));
  const rates = sel<RateMetric>(metrics, 'rate', M.stepSuccess.name, tags);
  const requests = sel<CounterMetric>(metrics, 'counter', M.types.name, { stage: String(stage), request: name }).reduce((n, c) => n + c.count, 0);
  return {
    stage, requests, failures: rates.reduce((n, r) => n + r.total - r.hits, 0),
    meanMs: trend.count > 0 ? trend.summary().mean : 0, p50Ms: trend.count > 0 ? trend.percentile(50) : 0, p95Ms: trend.count > 0 ? trend.percentile(95) : 0,
  };
}

/** Per statement: shares, first-stage means, per-stage figures and where it degraded. */
export function compareReplay(metrics: SerializedMetric[], statements: StatementInfo[], stageNumbers: number[], serverMeans: Map<string, number>, limits: DegradationLimits): StatementFigures[] {
  const perStatement = statements.map((st) => ({ st, stages: stageNumbers.map((n) => stageOf(metrics, st.name, n)) }));
  const total = perStatement.reduce((n, p) => n + p.stages.reduce((m, s) => m + s.requests, 0), 0);
  return perStatement.map(({ st, stages }) => {
    const requests = stages.reduce((m, s) => m + s.requests, 0);
    const replayedShare = total > 0 ? requests / total : 0;
    const first = stages[0];
    const last = stages[stages.length - 1];
    // The median, not p95: a short stage gives a rare statement few calls, and one cold read must not decide.
    const degraded = stages.find((s) => first && first.p50Ms > 0 && s.stage !== first.stage && s.p50Ms >= first.p50Ms * limits.factor && s.p50Ms - first.p50Ms >= limits.minMs);
    return {
      name: st.name, queryid: st.queryid, query: st.query, originalShare: st.share, replayedShare,
      shareDiffPp: (replayedShare - st.share) * 100, originalMeanMs: st.meanMs, firstStageMeanMs: first?.meanMs ?? 0,
      firstStageServerMeanMs: serverMeans.get(st.queryid) ?? null, stages,
      degradedAt: degraded?.stage ?? null, addedMs: first && last ? last.p50Ms - first.p50Ms : 0,
    };
  });
}

/**
 * The order in which statements degrade: those that passed the limits first (earliest stage, then the most ms added
 * there), then the rest by the ms their median added from the first stage to the last.
 */
export function degradationOrder(figures: StatementFigures[]): StatementFigures[] {
  const addedAt = (f: StatementFigures, stage: number) => {
    const s = f.stages.find((x) => x.stage === stage);
    return s && f.stages[0] ? s.p50Ms - f.stages[0].p50Ms : 0;
  };
  return [...figures].sort((a, b) => {
    if (a.degradedAt !== null && b.degradedAt !== null) return a.degradedAt - b.degradedAt || addedAt(b, b.degradedAt) - addedAt(a, a.degradedAt);
    if (a.degradedAt !== null) return -1;
    if (b.degradedAt !== null) return 1;
    return b.addedMs - a.addedMs;
  });
}
