// Attribution per stage: while each stage runs, where the time goes (the load's PostgreSQL sessions by wait class,
// pool wait, WAL and checkpoints, the client's own CPU, Redis), recorded per stage; at the end, the first component to
// give way with its figures and what was ruled out (a finding), for load.mixed and load.replay alike.
import os from 'node:os';
import { metricKey } from '../../metrics/registry.js';
import { serializeMetrics } from '../../metrics/serialize.js';
import { counterDelta, PgWaitSampler, readServerCounters, WAIT_SAMPLE_MS, type Queryable, type ServerCounters } from '../../resources/pg-waits.js';
import { DEFAULT_LIMITS, startSaturationProbe, type SaturationProbe } from '../../resources/saturation.js';
import { describeError } from '../../util/errors.js';
import type { CheckContext } from '../types.js';
import { analyseStages, type Limits } from './analyse.js';
import { attribute, sharesOf, type Attribution, type StageAttributionInput, type StageShares } from './attribution-judge.js';
import { asDecl, declare, POOL_METRICS, type MetricDeclaration } from './attribution-pool.js';
import { REDIS_PING } from './metrics.js';
import type { MetricDecl } from '../../metrics/declare.js';
import { HEADROOM_METRICS, reportHeadroom } from './headroom-report.js';
import { appStatementRate, chattyStatements, CHATTY_METRICS, readStatements, statementDeltas, type PgssRow, type StatementDelta } from './chatty.js';
import { short } from '../health/words.js';

/** Per-stage figures the main thread records (tag `stage`; groups and events also `group` / `event`). */
export const ATTRIBUTION_METRICS = {
  poolWaitShare: { name: 'load_pool_wait_share', kind: 'gauge', unit: 'ratio', meaning: 'share', better: 'lower', basis: 'derived', description: 'load_pg_pool_wait_ms / load_pg_step_time_ms of the stage: the share of the PostgreSQL steps\' time spent waiting for a free session' },
  sessionShare: { name: 'load_pg_session_share', kind: 'gauge', unit: 'ratio', meaning: 'share', better: 'none', basis: 'derived', description: 'share of the load\'s busy PostgreSQL session time (pg_stat_activity sampled every 100 ms, idle sessions left out) in each group: cpu, lock, wal, io, lwlock, client, other' },
  eventShare: { name: 'load_pg_wait_event_share', kind: 'gauge', unit: 'ratio', meaning: 'share', better: 'none', basis: 'derived', description: 'the same by wait event (CPU, Lock:transactionid, LWLock:WALWrite, IO:DataFileRead, …), the stage\'s top 8' },
  lockRelation: { name: 'load_pg_lock_wait_share', kind: 'gauge', unit: 'ratio', meaning: 'share', better: 'none', basis: 'derived', description: 'share of the load\'s lock-wait samples on each relation (tag relation), the stage\'s top 5' },
  sessionSamples: { name: 'load_pg_session_samples', kind: 'gauge', unit: 'count', meaning: 'count', better: 'none', description: 'busy session-samples the stage\'s shares rest on' },
  walMb: { name: 'load_pg_wal_mb', kind: 'gauge', unit: 'MB', meaning: 'size', better: 'none', basis: 'cumulative', description: 'WAL the server wrote during the stage (pg_stat_wal, 14+; every client of the server)' },
  walSyncs: { name: 'load_pg_wal_syncs', kind: 'gauge', unit: 'count', meaning: 'count', better: 'none', basis: 'cumulative', description: 'WAL syncs to storage during the stage (pg_stat_wal, 14+)' },
  walBuffersFull: { name: 'load_pg_wal_buffers_full', kind: 'gauge', unit: 'count', meaning: 'count', better: 'lower', basis: 'cumulative', description: 'times a backend wrote WAL itself because wal_buffers were full, during the stage' },
  checkpoints: { name: 'load_pg_checkpoints', kind: 'gauge', unit: 'count', meaning: 'count', better: 'none', basis: 'cumulative', description: 'checkpoints (timed and requested) that started during the stage' },
  clientCpu: { name: 'load_client_cpu_percent', kind: 'gauge', unit: '%', meaning: 'state', better: 'none', basis: 'client', description: 'stackprobe\'s own CPU during the stage, % of one core (worker threads included)' },
  clientDelay: { name: 'load_client_loop_delay_p99_ms', kind: 'gauge', unit: 'ms', meaning: 'state', better: 'none', basis: 'client', description: 'how late stackprobe\'s event loop ran at p99 during the stage' },
} as const satisfies Record<string, MetricDeclaration>;

/** Every figure the attribution records, declared, for the load checks' `metrics` lists. */
export const ATTRIBUTION_DECLS: readonly MetricDecl[] = [POOL_METRICS, ATTRIBUTION_METRICS, CHATTY_METRICS, HEADROOM_METRICS].flatMap((g) => Object.values<MetricDeclaration>(g).map((d) => asDecl(d)));

export interface AttributionHooks {
  beginStage(n: number, level: number, unit: string): Promise<void>;
  endStage(n: number): Promise<void>;
  /** Judges the stages (from the check's own metrics) and reports; returns the attribution for the check's info. */
  finish(limits: Limits): Attribution | null;
  stop(): void;
}

interface Running { n: number; level: number; unit: string; t0: number; at0: number; probe: SaturationProbe; counters: ServerCounters | null }

/** The task queue's depth (task_queue_depth, sampled once a second by the monitor) at the first and last reading in [t0, t1]. */
function queueOver(ctx: CheckContext, t0: number, t1: number, submitted: number): StageAttributionInput['taskQueue'] {
  const points = ctx.metrics.series.get('task_queue_depth')?.points.filter(([t]) => t >= t0 && t <= t1) ?? [];
  if (points.length === 0) return null;
  return { first: points[0]![1], last: points[points.length - 1]![1], submitted };
}

/**
 * Starts the sampler for sessions named `appPrefix` (the load's own, see services.ts) on the admin connection.
 * `threads` is how many threads generate the load: the client's CPU limit is that many cores (at most the machine's).
 */
export function startAttribution(ctx: CheckContext, appPrefix: string, threads: number, opts: { statementRequests?: boolean } = {}): AttributionHooks {
  // A connection of its own, read-only, each query bounded: sampling never waits behind the monitor or the load.
  const pool = ctx.targets.pg!.createPool({ max: 1, applicationName: 'stackprobe-attribution', readOnly: true, statementTimeoutMs: 2000 });
  ctx.defer(() => pool.end());
  const db = pool as unknown as Queryable;
  declare(ctx.metrics, POOL_METRICS);
  declare(ctx.metrics, ATTRIBUTION_METRICS);
  const sampler = new PgWaitSampler(db, appPrefix);
  const cores = Math.min(os.availableParallelism(), Math.max(1, threads));
  const limits = { ...DEFAULT_LIMITS, clientCpuPercent: DEFAULT_LIMITS.clientCpuPercent * cores, eventLoopDelayP99Ms: ctx.config.load.generator_max_delay_ms };
  const inputs: StageAttributionInput[] = [];
  let running: Running | undefined;
  let counterError: string | undefined;
  // pg_stat_statements before the first stage and after the latest one: the load's statements between them.
  const statements: { before?: PgssRow[]; after?: PgssRow[]; reason?: string } = {};
  const readInto = async (key: 'before' | 'after') => {
    if (statements.reason) return;
    const read = await readStatements(db);
    if ('reason' in read) statements.reason = read.reason;
    else statements[key] = read.rows;
  };
  /** load.replay: a request is one statement, so the app's statement rate is its current request rate. */
  let appRate: { rate: number; seconds: number } | null = null;
  /** Each stage's costliest statements (pg_stat_statements difference over the stage), for info.attribution. */
  const perStage = new Map<number, StatementDelta[]>();
  const counters = async (): Promise<ServerCounters | null> => {
    try {
      return await readServerCounters(db);
    } catch (err) {
      counterError ??= describeError(err);
      return null;
    }
  };
  return {
    async beginStage(n, level, unit) {
      if (!statements.before) {
        await readInto('before');
        if (opts.statementRequests && statements.before) appRate = await appStatementRate(db, statements.before);
      }
      const c = await counters();
      sampler.take();
      sampler.start();
      running = { n, level, unit, t0: performance.now(), at0: ctx.elapsed(), probe: startSaturationProbe(limits), counters: c };
    },
    async endStage(n) {
      const r = running;
      if (!r || r.n !== n) return;
      running = undefined;
      const waits = sampler.take();
      sampler.stop();
      const client = r.probe.stop();
      const after = await counters();
      const prev = statements.after ?? statements.before;
      await readInto('after');
      if (prev && statements.after) perStage.set(n, statementDeltas(prev, statements.after, 5));
      const durationS = (performance.now() - r.t0) / 1000;
      const count = (name: string) => ctx.metrics.counters.get(metricKey(name, { stage: String(n) }))?.metric.count ?? 0;
      const ping = ctx.metrics.trends.get(metricKey(REDIS_PING.name, { stage: String(n) }))?.metric;
      inputs.push({
        stage: n, level: r.level, unit: r.unit, durationS, waits,
        poolWaitMs: count(POOL_METRICS.waitMs.name), poolAcquired: count(POOL_METRICS.acquired.name), poolWaited: count(POOL_METRICS.waited.name),
        connectMs: count(POOL_METRICS.connectMs.name), connects: count(POOL_METRICS.connects.name), pgStepMs: count(POOL_METRICS.stepMs.name),
        server: r.counters && after ? counterDelta(r.counters, after) : null,
        clientReasons: client.client ?? [], clientCpuPercent: client.figures.clientCpuPercent, clientLoopDelayP99Ms: client.figures.eventLoopDelayP99Ms,
        redisPingP95Ms: ping && ping.count > 0 ? ping.percentile(95) : null,
        taskQueue: queueOver(ctx, r.at0, ctx.elapsed(), ctx.metrics.counters.get(metricKey('load_requests', { stage: String(n), request: 'task' }))?.metric.count ?? 0),
      });
    },
    finish(limitsOfStages) {
      sampler.stop();
      if (inputs.length === 0) return null;
      const shares = inputs.map(sharesOf);
      for (const s of shares) recordShares(ctx, s);
      ctx.info('attribution_sampling', { every_ms: WAIT_SAMPLE_MS, sessions: `application_name starting with ${appPrefix}, this database`, ...(counterError ? { server_counters: `not read: ${counterError}` } : {}) });
      ctx.info('attribution', shares.map((s) => ({
        ...publicShares(s),
        statements: (perStage.get(s.stage) ?? []).map((d) => ({ queryid: d.queryid, query: short(d.query), calls: d.calls, rows: d.rows, ms: r3(d.ms), mean_ms: r3(d.ms / d.calls) })),
      })));
      const { stages, saturation } = analyseStages(serializeMetrics(ctx.metrics, ctx.elapsed()), limitsOfStages);
      reportHeadroom(ctx, stages, limitsOfStages, appRate ? { rate: appRate.rate, source: `pg_stat_statements: every statement's calls over the ${Math.round(appRate.seconds)} s since its counters began` } : undefined);
      reportChatty(ctx, statements, stages.reduce((n, st) => n + st.started, 0));
      const judgedStage = saturation.firstBeyond ?? stages[stages.length - 1]?.stage;
      const judged = shares.find((s) => s.stage === judgedStage) ?? shares[shares.length - 1]!;
      const result = attribute(judged, shares[0], saturation.firstBeyond !== null, stages.find((st) => st.stage === judged.stage)?.p95);
      ctx.info('bottleneck', result);
      ctx.finding({
        severity: result.saturated && result.component ? 'warn' : 'info', subject: 'bottleneck',
        title: result.component
          ? `${result.saturated ? 'first to give way' : 'where the time went at the highest stage'}: ${NAMES[result.component]} (${result.level} ${result.unit})`
          : `no single component stood out at ${result.level} ${result.unit}`,
        detail: `${result.evidence}.\nRuled out: ${result.ruledOut.map((r) => `${NAMES[r.component]}: ${r.why}`).join('; ')}.`,
        recommendation: result.advice,
        data: { ...result },
      });
      return result;
    },
    stop() {
      sampler.stop();
      running?.probe.stop();
    },
  };
}

/** N+1 and chatty statements over the stages: info `chatty`, a finding for each of the costliest three. */
function reportChatty(ctx: CheckContext, st: { before?: PgssRow[]; after?: PgssRow[]; reason?: string }, requests: number): void {
  if (!st.before || !st.after) {
    ctx.info('chatty', `not measured: ${st.reason ?? 'no stage ran'}`);
    return;
  }
  const found = chattyStatements(st.before, st.after, requests);
  declare(ctx.metrics, CHATTY_METRICS);
  ctx.info('chatty', { requests, statements: found.slice(0, 20).map((c) => ({ ...c, query: short(c.query) })) });
  for (const c of found.slice(0, 20)) {
    ctx.metrics.gauge(asDecl(CHATTY_METRICS.callsPerRequest), { statement: c.queryid }).set(c.callsPerRequest);
    ctx.metrics.gauge(asDecl(CHATTY_METRICS.msPerRequest), { statement: c.queryid }).set(c.msPerRequest);
  }
  for (const c of found.slice(0, 3)) {
    ctx.finding({
      severity: 'warn', subject: 'n+1',
      title: `N+1: ${short(c.query, 80)} ran ${c.callsPerRequest.toFixed(1)} times per request, ${c.rowsPerCall.toFixed(1)} rows each (${c.msPerRequest.toFixed(2)} ms of server time per request)`,
      detail: `${c.calls} calls over ${requests} requests of the load (pg_stat_statements difference over the stages; statements nested in functions are seen with pg_stat_statements.track = all); ${Math.round(c.timeShare * 100)} % of the server time of the statements that ran meanwhile.`,
      recommendation: 'A loop of point lookups: fetch them in one statement (WHERE id = ANY($1), IN (…), or a join with the rows that drive the loop), so a request costs one round trip instead of one per row.',
      data: { queryid: c.queryid, callsPerRequest: c.callsPerRequest, rowsPerCall: c.rowsPerCall, msPerRequest: c.msPerRequest },
    });
  }
}

export const NAMES: Record<NonNullable<Attribution['component']>, string> = {
  client: 'the measuring client (stackprobe itself)', pool: 'the PostgreSQL session pool (pool wait)', lock: 'lock waits',
  wal: 'WAL flush', io: 'data-file I/O', lwlock: 'PostgreSQL internal locks (LWLock)', cpu: 'PostgreSQL CPU', redis: 'Redis',
  tasks: 'the Celery workers (task queue growth)',
};

const r3 = (v: number) => Math.round(v * 1000) / 1000;

/** The per-stage figures as the check's info shows them (shares rounded, counters as read). */
function publicShares(s: StageShares): Record<string, unknown> {
  return {
    stage: s.stage, level: s.level, unit: s.unit, pool_wait_share: r3(s.poolWaitShare), session_samples: s.sessionSamples, sample_rounds: s.sampleRounds,
    groups: Object.fromEntries(Object.entries(s.groups).map(([k, v]) => [k, r3(v)])),
    events: s.events.map((e) => ({ event: e.event, share: r3(e.share) })), lock_relations: s.lockRelations.map((r) => ({ relation: r.relation, share: r3(r.share) })),
    connect_mean_ms: s.connectMeanMs === null ? null : r3(s.connectMeanMs), server: s.server,
    client: { cpu_percent: Math.round(s.clientCpuPercent), loop_delay_p99_ms: r3(s.clientLoopDelayP99Ms), reasons: s.clientReasons },
    redis_ping_p95_ms: s.redisPingP95Ms === null ? null : r3(s.redisPingP95Ms), task_queue: s.taskQueue,
  };
}

function recordShares(ctx: CheckContext, s: StageShares): void {
  const stage = String(s.stage);
  const m = ctx.metrics;
  const A = ATTRIBUTION_METRICS;
  const set = (d: MetricDeclaration & { kind: 'gauge' }, v: number, tags: Record<string, string> = {}) => m.gauge(asDecl(d), { stage, ...tags }).set(v);
  set(A.poolWaitShare, s.poolWaitShare);
  set(A.sessionSamples, s.sessionSamples);
  for (const [group, v] of Object.entries(s.groups)) set(A.sessionShare, v, { group });
  for (const e of s.events) set(A.eventShare, e.share, { event: e.event });
  for (const r of s.lockRelations) set(A.lockRelation, r.share, { relation: r.relation });
  if (s.server?.walBytes != null) set(A.walMb, s.server.walBytes / (1024 * 1024));
  if (s.server?.walSync != null) set(A.walSyncs, s.server.walSync);
  if (s.server?.walBuffersFull != null) set(A.walBuffersFull, s.server.walBuffersFull);
  if (s.server?.checkpointsTimed != null) set(A.checkpoints, s.server.checkpointsTimed + (s.server.checkpointsReq ?? 0));
  set(A.clientCpu, s.clientCpuPercent);
  set(A.clientDelay, s.clientLoopDelayP99Ms);
}
