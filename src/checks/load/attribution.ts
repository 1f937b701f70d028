// Attribution per stage: while each stage runs, where the time goes (the load's PostgreSQL sessions by wait class,
// pool wait, WAL and checkpoints, the client's own CPU, Redis), recorded per stage; at the end, the first component to
// give way with its figures and what was ruled out (a finding), for load.mixed and load.replay alike.
import os from 'node:os';
import { metric, type GaugeDecl, type MetricDecl } from '../../metrics/declare.js';
import { metricKey } from '../../metrics/registry.js';
import { unit } from '../../metrics/unit.js';
import { serializeMetrics } from '../../metrics/serialize.js';
import { counterDelta, PgWaitSampler, readServerCounters, WAIT_SAMPLE_MS, type Queryable, type ServerCounters } from '../../resources/pg-waits.js';
import { DEFAULT_LIMITS, startSaturationProbe, type SaturationProbe } from '../../resources/saturation.js';
import { describeError } from '../../util/errors.js';
import type { CheckContext } from '../types.js';
import { analyseStages, type Limits } from './analyse.js';
import { attribute, sharesOf, type Attribution, type StageAttributionInput, type StageShares } from './attribution-judge.js';
import { declareAll, POOL_METRICS } from './attribution-pool.js';
import { CURRENT_RATE_WINDOW_MS, currentRequestRate, measureWindow, type WindowRate } from './current-rate.js';
import { ACTIVE_SAMPLE_MS, READ_ONLY_REASON, startCelerySampler } from './attribution-celery.js';
import { REDIS_PING } from './metrics.js';
import { taskQueue } from './services.js';
import { HEADROOM_METRICS, reportHeadroom } from './headroom-report.js';
import { chattyStatements, CHATTY_METRICS, readStatements, statementDeltas, type PgssRow, type StatementDelta } from './chatty.js';
import { short } from '../health/words.js';

const share = (name: string, better: 'lower' | 'none', description: string): GaugeDecl =>
  metric.gauge({ name, meaning: 'share', better, basis: 'derived', unit: unit.ratio, description });
const serverCount = (name: string, better: 'lower' | 'none', description: string): GaugeDecl =>
  metric.gauge({ name, meaning: 'count', better, basis: 'cumulative', unit: unit.count(), description });

/** Per-stage figures the main thread records (tag `stage`; groups and events also `group` / `event`). */
export const ATTRIBUTION_METRICS = {
  poolWaitShare: share('load_pool_wait_share', 'lower', 'load_pg_pool_wait_ms / load_pg_step_time_ms of the stage: the share of the PostgreSQL steps\' time spent waiting for a free session'),
  sessionShare: share('load_pg_session_share', 'none', 'share of the load\'s busy PostgreSQL session time (pg_stat_activity sampled every 100 ms, idle sessions left out) in each group: cpu, lock, wal, io, lwlock, client, other'),
  eventShare: share('load_pg_wait_event_share', 'none', 'the same by wait event (CPU, Lock:transactionid, LWLock:WALWrite, IO:DataFileRead, …), the stage\'s top 8'),
  lockRelation: share('load_pg_lock_wait_share', 'none', 'share of the load\'s lock-wait samples on each relation (tag relation), the stage\'s top 5'),
  sessionSamples: metric.gauge({ name: 'load_pg_session_samples', meaning: 'count', better: 'none', unit: unit.count(), description: 'busy session-samples the stage\'s shares rest on' }),
  walMb: metric.gauge({ name: 'load_pg_wal_mb', meaning: 'size', better: 'none', basis: 'cumulative', unit: unit.megabytes, description: 'WAL the server wrote during the stage (pg_stat_wal, 14+; every client of the server)' }),
  walSyncs: serverCount('load_pg_wal_syncs', 'none', 'WAL syncs to storage during the stage (pg_stat_wal, 14+)'),
  walBuffersFull: serverCount('load_pg_wal_buffers_full', 'lower', 'times a backend wrote WAL itself because wal_buffers were full, during the stage'),
  checkpoints: serverCount('load_pg_checkpoints', 'none', 'checkpoints (timed and requested) that started during the stage'),
  clientCpu: metric.gauge({ name: 'load_client_cpu_percent', meaning: 'state', better: 'none', basis: 'client', unit: unit.percent, description: 'stackprobe\'s own CPU during the stage, % of one core (worker threads included)' }),
  workersBusy: metric.gauge({ name: 'load_celery_utilisation', meaning: 'share', better: 'none', basis: 'derived', unit: unit.ratio, description: 'tasks the Celery workers of the load\'s task queue ran over their pool processes, averaged over the stage (inspect active every 250 ms, stats max-concurrency); stages that drive tasks, never under --read-only' }),
  queueGrowth: metric.gauge({ name: 'load_celery_queue_growth', meaning: 'count', better: 'none', basis: 'derived', unit: unit.count('messages'), description: 'messages the load\'s task queue grew by over the stage (its depth, sampled once a second, last minus first)' }),
  clientDelay: metric.gauge({ name: 'load_client_loop_delay_p99_ms', meaning: 'state', better: 'none', basis: 'client', unit: unit.ms, description: 'how late stackprobe\'s event loop ran at p99 during the stage' }),
};

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
export function startAttribution(ctx: CheckContext, appPrefix: string, threads: number, opts: { statementRequests?: boolean; tasks?: boolean } = {}): AttributionHooks {
  // A connection of its own, read-only, each query bounded: sampling never waits behind the monitor or the load.
  const pool = ctx.targets.pg!.createPool({ max: 1, applicationName: 'stackprobe-attribution', readOnly: true, statementTimeoutMs: 2000 });
  ctx.defer(() => pool.end());
  const db = pool as unknown as Queryable;
  declareAll(ctx.metrics, POOL_METRICS);
  declareAll(ctx.metrics, ATTRIBUTION_METRICS);
  const sampler = new PgWaitSampler(db, appPrefix);
  const celery = opts.tasks
    ? startCelerySampler(ctx.targets.celery, { queue: taskQueue(ctx.config), readOnly: ctx.readOnly, timeoutMs: ctx.config.tasks.control_timeout_ms, signal: ctx.signal })
    : undefined;
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
  /** The app's statement rate over a quiet window before the first stage, when load.current_rate is not given. */
  let appWindow: WindowRate | { reason: string } | undefined;
  const clock: { before?: number; after?: number } = {};
  let samplerRounds = 0;
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
      if (!statements.before && !statements.reason) {
        if (ctx.config.load.current_rate === undefined) {
          appWindow = await measureWindow(db, CURRENT_RATE_WINDOW_MS, ctx.signal);
          if (!('reason' in appWindow)) statements.before = appWindow.after;
        }
        if (!statements.before) await readInto('before');
        clock.before = performance.now();
      }
      await celery?.beginStage();
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
      samplerRounds += waits.rounds;
      sampler.stop();
      const client = r.probe.stop();
      const workers = celery ? await celery.endStage() : null;
      const after = await counters();
      const prev = statements.after ?? statements.before;
      await readInto('after');
      clock.after = performance.now();
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
        workers, taskQueue: queueOver(ctx, r.at0, ctx.elapsed(), ctx.metrics.counters.get(metricKey('load_requests', { stage: String(n), request: 'task' }))?.metric.count ?? 0),
      });
    },
    finish(limitsOfStages) {
      sampler.stop();
      celery?.stop();
      if (inputs.length === 0) return null;
      const shares = inputs.map(sharesOf);
      for (const s of shares) recordShares(ctx, s);
      ctx.info('attribution_sampling', { every_ms: WAIT_SAMPLE_MS, sessions: `application_name starting with ${appPrefix}, this database`, ...(counterError ? { server_counters: `not read: ${counterError}` } : {}),
        ...(celery ? { celery_workers: ctx.readOnly ? `not asked: ${READ_ONLY_REASON}` : `inspect active every ${ACTIVE_SAMPLE_MS} ms to the workers consuming ${taskQueue(ctx.config)} (active_queues), their pool sizes from stats` } : {}) });
      ctx.info('attribution', shares.map((s) => ({
        ...publicShares(s),
        statements: (perStage.get(s.stage) ?? []).map((d) => ({ queryid: d.queryid, query: short(d.query), calls: d.calls, rows: d.rows, ms: r3(d.ms), mean_ms: r3(d.ms / d.calls) })),
      })));
      const { stages, saturation } = analyseStages(serializeMetrics(ctx.metrics, ctx.elapsed()), limitsOfStages);
      const requests = stages.reduce((n, st) => n + st.started, 0);
      reportHeadroom(ctx, stages, limitsOfStages, measuredRate(appWindow, !!opts.statementRequests, statements, clock, requests, samplerRounds));
      reportChatty(ctx, statements, requests);
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
      celery?.stop();
      running?.probe.stop();
    },
  };
}

/** The app's current request rate from the window (current-rate.ts), or why there is none; undefined when load.current_rate is given. */
function measuredRate(w: WindowRate | { reason: string } | undefined, statementRequests: boolean, st: { before?: PgssRow[]; after?: PgssRow[]; reason?: string },
  clock: { before?: number; after?: number }, requests: number, samplerCalls: number): ReturnType<typeof currentRequestRate> | undefined {
  if (!w) return st.reason ? { reason: st.reason } : undefined;
  if ('reason' in w) return w;
  const stages = st.before && st.after && clock.before !== undefined && clock.after !== undefined
    ? { before: st.before, after: st.after, seconds: (clock.after - clock.before) / 1000, requests, samplerCalls }
    : undefined;
  return currentRequestRate(w, statementRequests, stages);
}

/** N+1 and chatty statements over the stages: info `chatty`, a finding for each of the costliest three. */
function reportChatty(ctx: CheckContext, st: { before?: PgssRow[]; after?: PgssRow[]; reason?: string }, requests: number): void {
  if (!st.before || !st.after) {
    ctx.info('chatty', `not measured: ${st.reason ?? 'no stage ran'}`);
    return;
  }
  const found = chattyStatements(st.before, st.after, requests);
  ctx.info('chatty', { requests, statements: found.slice(0, 20).map((c) => ({ ...c, query: short(c.query) })) });
  for (const c of found.slice(0, 20)) {
    ctx.metrics.gauge(CHATTY_METRICS.callsPerRequest, { statement: c.queryid }).set(c.callsPerRequest);
    ctx.metrics.gauge(CHATTY_METRICS.msPerRequest, { statement: c.queryid }).set(c.msPerRequest);
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
    ...(s.workers ? { celery_workers: 'reason' in s.workers ? s.workers : { ...s.workers, meanActive: r3(s.workers.meanActive), utilisation: s.workers.utilisation === null ? null : r3(s.workers.utilisation) } } : {}),
  };
}

function recordShares(ctx: CheckContext, s: StageShares): void {
  const stage = String(s.stage);
  const m = ctx.metrics;
  const A = ATTRIBUTION_METRICS;
  const set = (d: GaugeDecl, v: number, tags: Record<string, string> = {}) => m.gauge(d, { stage, ...tags }).set(v);
  set(A.poolWaitShare, s.poolWaitShare);
  set(A.sessionSamples, s.sessionSamples);
  for (const [group, v] of Object.entries(s.groups)) set(A.sessionShare, v, { group });
  for (const e of s.events) set(A.eventShare, e.share, { event: e.event });
  for (const r of s.lockRelations) set(A.lockRelation, r.share, { relation: r.relation });
  if (s.server?.walBytes != null) set(A.walMb, s.server.walBytes / (1024 * 1024));
  if (s.server?.walSync != null) set(A.walSyncs, s.server.walSync);
  if (s.server?.walBuffersFull != null) set(A.walBuffersFull, s.server.walBuffersFull);
  if (s.server?.checkpointsTimed != null) set(A.checkpoints, s.server.checkpointsTimed + (s.server.checkpointsReq ?? 0));
  if (s.workers && !('reason' in s.workers) && s.workers.utilisation !== null) set(A.workersBusy, s.workers.utilisation);
  if (s.taskQueue) set(A.queueGrowth, s.taskQueue.last - s.taskQueue.first);
  set(A.clientCpu, s.clientCpuPercent);
  set(A.clientDelay, s.clientLoopDelayP99Ms);
}

/** Every metric attribution, headroom and the N+1 finder may record, for the `metrics` list of a load check. */
export const ATTRIBUTION_DECLS: readonly MetricDecl[] = [
  ...Object.values(POOL_METRICS), ...Object.values(ATTRIBUTION_METRICS), ...Object.values(HEADROOM_METRICS), ...Object.values(CHATTY_METRICS),
];
