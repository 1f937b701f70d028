// load.replay: the application's own read-statement mix from pg_stat_statements, weighted by calls, with parameters
// sampled from the columns' statistics, through the load stages — and how faithful it was, and what degrades first.
import { stageLevel } from '../../exec/stages.js';
import { mergeIntoRegistry } from '../../result/into-registry.js';
import { describeError, SkipCheck } from '../../util/errors.js';
import { redactText } from '../../util/redact.js';
import type { Check, CheckContext } from '../types.js';
import { loadMerge } from './merge.js';
import { declareMetrics } from './mixed.js';
import { SecondWindow, SeriesWriter } from './per-second.js';
import { loadProfile } from './profile.js';
import { dryPass, type ReplayStatement } from './replay-dry.js';
import { reportReplay } from './replay-report.js';
import { endReplayPools, openReplayPools, type ReplayPools } from './replay-exec.js';
import { replayScenario } from './replay-scenario.js';
import { selectStatements, withShares } from './replay-select.js';
import { pgssReader, serverMeans, type PgssReader, type PgssRow } from './replay-source.js';
import { localRunner } from './stage-runner.js';
import type { StageEnv } from './run-stage.js';
import { LOAD_APP_NAME, NOOP_EVERY_MS } from './services.js';
import { levelUnitOf, PG_NOOP, REPLAY, STAGE_LEVEL, stageMetrics } from './metrics.js';
import type { MetricDecl } from '../../metrics/declare.js';
import type { Config } from '../../config/schema.js';
import type { PgWireError } from '../../targets/pg/wire/errors.js';
import { assertRole, readGuard } from '../user-sql.js';
import { loadHeadline } from './headline.js';
import { ATTRIBUTION_DECLS, startAttribution } from './attribution.js';

/** What load.replay records: the stage figures, the attribution's and its own. */
const replayMetrics = (config: Config): MetricDecl[] => [...stageMetrics(levelUnitOf(config)), ...ATTRIBUTION_DECLS, ...Object.values(REPLAY)];

async function choose(ctx: CheckContext, pgss: PgssReader): Promise<{ chosen: ReturnType<typeof selectStatements>; rows: Awaited<ReturnType<PgssReader['read']>> }> {
  const cfg = ctx.config.load.replay!;
  const rows = await pgss.read();
  const chosen = selectStatements(rows, cfg);
  if (chosen.chosen.length === 0) {
    throw new SkipCheck(`no statement of pg_stat_statements to replay (${rows.length} entries; load.replay top ${cfg.top}${cfg.min_call_share !== undefined ? `, min_call_share ${cfg.min_call_share}` : ''}, include ${JSON.stringify(cfg.include)}, exclude ${JSON.stringify(cfg.exclude)})`);
  }
  return { chosen, rows };
}

/**
 * A replay session the server or the network closes fails the check with the reason (load_sessions_lost, recorded
 * at zero from the start): a pool silently reconnecting would otherwise hide it among thousands of good requests. A
 * session stackprobe closed because a statement turned it read-write is counted too, and said so.
 */
function watchSessions(ctx: CheckContext): (err: PgWireError) => void {
  const lost = ctx.metrics.counter(REPLAY.sessionsLost);
  // The pool (at release) and the connection (as it happens) may both tell of one loss: the error is the same object.
  const seen = new WeakSet<PgWireError>();
  const reported = new Set<string>();
  return (err) => {
    if (ctx.signal.aborted || seen.has(err)) return;
    seen.add(err);
    lost.add();
    const escaped = err.code === '25006';
    if (reported.has(escaped ? 'escaped' : 'lost')) return;
    reported.add(escaped ? 'escaped' : 'lost');
    ctx.finding(escaped ? {
      severity: 'error', subject: 'read-only', title: `a replayed statement turned its read-only session read-write; stackprobe closed that session: ${redactText(describeError(err))}`,
      detail: 'The statement failed and its session was closed before anything else ran on it; the load went on with new sessions.',
      recommendation: 'A function the statement calls changes default_transaction_read_only (set_config): leave the statement out with load.replay.exclude, and look at that function.',
    } : {
      severity: 'error', subject: 'connection', title: `a replay session was lost: ${redactText(describeError(err))}`,
      detail: 'Requests in flight on it failed; the pool opened new sessions and the load went on, so the stage figures around that moment include the loss.',
      recommendation: 'Look for pg_terminate_backend, idle_session_timeout, a restart or failover, or a proxy between this host and PostgreSQL.',
    });
  };
}

/** The timed path's sessions (measuring path), and the no-op round trip sampled on them beside the statements. */
function openPools(ctx: CheckContext, ready: ReplayStatement[], ownRole: string): ReplayPools {
  const load = ctx.config.load;
  ctx.metrics.counter(REPLAY.sessionsLost);
  const pools = openReplayPools(ctx.targets.pg!, {
    applicationName: `${LOAD_APP_NAME}-replay`, max: load.pool_size, statementTimeoutMs: load.request_timeout_ms,
    acquireTimeoutMs: ctx.config.timeouts.connect_ms, writes: ready.some((s) => s.write), onLost: watchSessions(ctx), ownRole,
  });
  ctx.defer(() => endReplayPools(pools));
  const noop = ctx.metrics.trend(PG_NOOP);
  pools.read.sampleNoop(NOOP_EVERY_MS, (ms) => noop.record(ms));
  return pools;
}

/** The server's time per call at stage 1; a failed reading leaves the means unknown (said in info), the load goes on. */
async function firstStageMeans(ctx: CheckContext, pgss: PgssReader, before: PgssRow[]): Promise<Map<string, number>> {
  try {
    return serverMeans(before, await pgss.read());
  } catch (err) {
    ctx.info('replay_server_means', `not measured: pg_stat_statements could not be read after stage 1 (${describeError(err)})`);
    return new Map();
  }
}

export const replayLoadCheck: Check = {
  id: 'load.replay',
  category: 'load',
  typicalQuickMs: 5000,
  merge: loadMerge,
  headline: loadHeadline,
  metrics: replayMetrics,
  title: 'Replay of the application\'s own statement mix (pg_stat_statements) in stages: fidelity and what degrades first',
  needs: ['pg'],
  // Reads only; write replay (load.replay.writes) is refused under --read-only when the config is read.
  writes: false,
  thresholds: (config) => ({
    load_success: [`rate>${config.thresholds.load_success_rate}`],
    load_stages_beyond_saturation: [{ warn: 'count==0' }],
    // Each statement on its own: one that always fails must not hide among thousands of good ones.
    load_failing_steps: ['count==0'],
    load_sessions_lost: ['count==0'],
  }),
  async run(ctx) {
    const cfg = ctx.config.load.replay;
    if (!cfg) throw new SkipCheck('load.replay is not configured (set load.replay, e.g. { "top": 20 }, to replay your statement mix)');
    declareMetrics(ctx, replayMetrics(ctx.config));
    const load = ctx.config.load;
    // Under --read-only the operator's role first (as for every check that runs SQL stackprobe did not write); each
    // statement is then judged as the role that ran it, in the dry pass.
    await assertRole(ctx);
    const guard = await readGuard(ctx);
    // Catalogs and pg_stat_statements through node-postgres (never timed); each statement's try on measuring sessions.
    const dryPool = ctx.targets.pg!.createPool({ max: 1, applicationName: `${LOAD_APP_NAME}-replay-dry`, readOnly: true, statementTimeoutMs: load.request_timeout_ms });
    ctx.defer(() => dryPool.end());
    const pgss = await pgssReader(dryPool);
    const ownRole = (await dryPool.query<{ role: string }>('SELECT current_user AS role')).rows[0]!.role;
    const { chosen } = await choose(ctx, pgss);
    ctx.progress(`dry pass over ${chosen.chosen.length} statements`);
    const trial = openReplayPools(ctx.targets.pg!, {
      applicationName: `${LOAD_APP_NAME}-replay-dry`, max: 1, statementTimeoutMs: load.request_timeout_ms,
      acquireTimeoutMs: ctx.config.timeouts.connect_ms, writes: !!(cfg.writes && cfg.disposable_database && !ctx.readOnly), ownRole,
    });
    ctx.defer(() => endReplayPools(trial));
    const client = await dryPool.connect();
    let dry;
    let failed: Error | undefined;
    try {
      dry = await dryPass(client, trial, guard, cfg, chosen.chosen, load.request_timeout_ms, ctx.signal);
    } catch (err) {
      failed = err as Error;
      throw err;
    } finally {
      // A session that failed may be mid-transaction or gone: never handed back.
      client.release(failed);
      await endReplayPools(trial);
    }
    ctx.metrics.counter(REPLAY.notReplayable).add(dry.refused.length);
    if (dry.ready.length === 0) throw new Error(`none of the ${chosen.chosen.length} chosen statements can be replayed: ${dry.refused.map((r) => r.reason).join(' | ')}`);
    const ready = withShares(dry.ready, chosen.totalCalls);
    const profile = loadProfile(ctx.config);
    // `stackprobe merge` reads the segment of a result from its load check (this one when load.mixed did not run).
    ctx.info('distribution', { segment: load.segment, workers: 1 });
    if (load.workers > 1) ctx.info('replay_distribution', 'load.replay runs in this thread: --workers applies to load.mixed only (--segment i/n is honoured)');

    const pools = openPools(ctx, ready, ownRole);
    const env: StageEnv = {
      // Replay steps run on their own pools (the scenario holds them) and never read the workload's plan.
      services: { pool: pools.read, statementTimeoutMs: load.request_timeout_ms, plan: undefined as never },
      scenario: replayScenario(ready, pools), seed: ctx.config.workload.seed, share: profile.segment,
      executor: load.executor, maxVus: load.max_vus, thinkTimeMs: load.think_time_ms, requestTimeoutMs: load.request_timeout_ms,
      pools: () => pools.all(),
    };
    const attribution = startAttribution(ctx, `${LOAD_APP_NAME}-replay`, 1, { statementRequests: true });
    ctx.defer(() => attribution.stop());
    const window = new SecondWindow();
    const series = new SeriesWriter(ctx.metrics, window, ctx.elapsed);
    const runner = localRunner(env, profile.segment, window);
    let means = new Map<string, number>();
    series.start();
    try {
      for (const [i, stage] of profile.stages.entries()) {
        if (ctx.signal.aborted) break;
        const level = stageLevel(stage);
        series.flush(); // the window ends at the stage boundary: no point of the series mixes two stages
        series.level = level.value;
        ctx.progress(`replay stage ${i + 1}/${profile.stages.length}: ${level.value} ${level.unit}`);
        const before = i === 0 ? await pgss.read() : undefined;
        await attribution.beginStage(i + 1, level.value, level.unit);
        const outcome = await runner.runStage(i + 1, stage, ctx.signal);
        if (before) means = await firstStageMeans(ctx, pgss, before);
        mergeIntoRegistry(ctx.metrics, outcome.metrics);
        await attribution.endStage(i + 1);
        ctx.metrics.gauge(STAGE_LEVEL[level.unit], { stage: String(i + 1) }).set(level.value);
      }
    } finally {
      series.stop();
    }
    attribution.finish(profile.limits);
    reportReplay(ctx, { ready, refused: dry.refused, totalCalls: chosen.totalCalls, leftOut: chosen.leftOut, serverMeans: means, limits: profile.limits });
  },
};
