// load.replay: what the replay tells the user — the statements it could not replay and why, the replayed mix against
// the original (shares, first-stage means), the stages, and the order in which statements degrade.
import { mergeIntoRegistry } from '../../result/into-registry.js';
import { serializeMetrics } from '../../metrics/serialize.js';
import { short } from '../health/words.js';
import type { CheckContext } from '../types.js';
import { analyseStages, derivedMetrics, stepShares, type Limits } from './analyse.js';
import { errorFinding, saturationFinding } from './findings.js';
import { compareReplay, degradationOrder, type StatementFigures } from './replay-compare.js';
import type { NotReplayed, ReplayStatement } from './replay-dry.js';
import { DERIVED, REPLAY, SATURATION_LEVEL } from './metrics.js';

export interface ReplayOutcome {
  ready: Array<ReplayStatement & { share: number; shareOfAll: number }>;
  refused: NotReplayed[];
  totalCalls: number;
  leftOut: number;
  serverMeans: Map<string, number>;
  limits: Limits;
}

const r2 = (v: number) => Math.round(v * 100) / 100;
const r3 = (v: number) => Math.round(v * 1000) / 1000;

function refusedFinding(ctx: CheckContext, refused: NotReplayed[]): void {
  if (refused.length === 0) return;
  ctx.info('not_replayed', refused.map((r) => ({ queryid: r.queryid, calls: r.calls, statement: short(r.query), reason: r.reason })));
  ctx.finding({
    severity: 'warn', subject: 'replay', title: `${refused.length} statement${refused.length > 1 ? 's' : ''} of the mix could not be replayed (the run went on without them)`,
    detail: refused.map((r) => `${short(r.query, 80)} (${r.calls} calls): ${r.reason}`).join('\n'),
    recommendation: 'A parameter that cannot be sampled can be given values with load.replay.values; writes replay only with load.replay.writes on a disposable database; leave the rest out with load.replay.exclude.',
    data: { refused: refused.map((r) => ({ queryid: r.queryid, reason: r.reason })) },
  });
}

function fidelity(ctx: CheckContext, figures: StatementFigures[], o: ReplayOutcome): void {
  const m = ctx.metrics;
  for (const f of figures) {
    const tags = { statement: f.queryid };
    m.gauge(REPLAY.shareOriginal, tags).set(f.originalShare);
    m.gauge(REPLAY.shareReplayed, tags).set(f.replayedShare);
    m.gauge(REPLAY.meanOriginal, tags).set(f.originalMeanMs);
    if (f.firstStageServerMeanMs !== null) {
      m.gauge(REPLAY.meanReplayed, tags).set(f.firstStageServerMeanMs);
      if (f.originalMeanMs > 0) m.gauge(REPLAY.meanRatio, tags).set(f.firstStageServerMeanMs / f.originalMeanMs);
    }
  }
  const maxDiff = Math.max(0, ...figures.map((f) => Math.abs(f.shareDiffPp)));
  m.gauge(REPLAY.shareMaxDiff).set(maxDiff);
  m.gauge(REPLAY.statements).set(figures.length);
  m.gauge(REPLAY.coverage).set(o.ready.reduce((n, s) => n + s.shareOfAll, 0));
  ctx.info('replay_mix', figures.map((f) => ({
    statement: short(f.query, 80), queryid: f.queryid, original_share_pct: r2(f.originalShare * 100), replayed_share_pct: r2(f.replayedShare * 100),
    diff_pp: r2(f.shareDiffPp), original_mean_ms: r3(f.originalMeanMs), replayed_server_mean_ms: f.firstStageServerMeanMs === null ? null : r3(f.firstStageServerMeanMs),
    replayed_client_mean_ms: r3(f.firstStageMeanMs),
  })));
  ctx.info('replay_coverage', { statements: figures.length, not_replayed: o.refused.length, left_out: o.leftOut, share_of_all_calls_pct: r2(o.ready.reduce((n, s) => n + s.shareOfAll, 0) * 100) });
}

function degradation(ctx: CheckContext, figures: StatementFigures[]): void {
  const order = degradationOrder(figures);
  const degraded = order.filter((f) => f.degradedAt !== null);
  ctx.metrics.counter(REPLAY.degraded).add(degraded.length);
  ctx.info('replay_degradation_order', order.map((f, i) => ({
    rank: i + 1, statement: short(f.query, 80), queryid: f.queryid, degraded_at_stage: f.degradedAt,
    p50_by_stage_ms: f.stages.map((s) => r2(s.p50Ms)), p95_by_stage_ms: f.stages.map((s) => r2(s.p95Ms)), added_p50_ms: r2(f.addedMs), failures: f.stages.reduce((n, s) => n + s.failures, 0),
  })));
  const first = order[0];
  if (!first || first.stages.length < 2) return;
  const line = (f: StatementFigures) => `${short(f.query, 80)}: median ${f.stages.map((s) => s.p50Ms.toFixed(1)).join(' → ')} ms, p95 ${f.stages.map((s) => s.p95Ms.toFixed(1)).join(' → ')} ms`;
  ctx.finding({
    severity: 'info', subject: 'degradation',
    title: first.degradedAt !== null
      ? `degrades first: ${short(first.query, 80)} (median ×${(first.stages.find((s) => s.stage === first.degradedAt)!.p50Ms / Math.max(first.stages[0]!.p50Ms, 1e-9)).toFixed(1)} at stage ${first.degradedAt})`
      : `no statement degraded past the limits; the most affected: ${short(first.query, 80)} (median +${first.addedMs.toFixed(1)} ms at the last stage)`,
    detail: order.slice(0, 10).map(line).join('\n'),
    recommendation: 'Start with the first statement of the list: its plan (health.statements) and indexes decide how the real traffic behaves as load rises.',
    data: { order: order.map((f) => f.queryid) },
  });
}

export function reportReplay(ctx: CheckContext, o: ReplayOutcome): void {
  refusedFinding(ctx, o.refused);
  const raw = serializeMetrics(ctx.metrics, ctx.elapsed());
  const { stages, saturation } = analyseStages(raw, o.limits);
  const steps = stepShares(raw, stages, o.limits);
  mergeIntoRegistry(ctx.metrics, derivedMetrics(stages, saturation, steps));
  // `stackprobe merge` recomputes the stage figures of segments from these limits (rederive.ts).
  ctx.info('limits', o.limits);
  ctx.info('stages', stages);
  if (stages.length > 0) ctx.finding(saturationFinding(stages, saturation, o.limits));
  const errors = errorFinding(stages, []);
  if (errors) ctx.finding(errors);
  const info = o.ready.map((s) => ({ name: s.name, queryid: s.queryid, query: s.query, share: s.share, meanMs: s.mean_ms }));
  const figures = compareReplay(raw, info, stages.map((s) => s.stage), o.serverMeans, { factor: ctx.config.load.replay!.degradation_factor, minMs: ctx.config.load.replay!.degradation_min_ms });
  fidelity(ctx, figures, o);
  degradation(ctx, figures);
  if (saturation.level !== null) ctx.metrics.headline(SATURATION_LEVEL.VUs.name);
  else if (stages.length > 0) ctx.metrics.headline(DERIVED.throughput, { stage: String(stages[stages.length - 1]!.stage) });
}
