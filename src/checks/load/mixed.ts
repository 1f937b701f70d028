// load.mixed: the mixed scenario in rising stages — per-stage figures, the degradation curve, the saturation point, resources.
import os from 'node:os';
import { stageLevel, type Segment } from '../../exec/stages.js';
import type { Workload } from '../../workload/types.js';
import { mergeIntoRegistry } from '../../result/into-registry.js';
import { serializeMetrics } from '../../metrics/serialize.js';
import { useWorkload } from '../queries/workload.js';
import type { Check, CheckContext } from '../types.js';
import { loadMerge } from './merge.js';
import { analyseStages, derivedMetrics, stepShares } from './analyse.js';
import { errorFinding, generatorFinding, saturationFinding } from './findings.js';
import { SecondWindow, SeriesWriter } from './per-second.js';
import { loadProfile } from './profile.js';
import { buildScenario, type Scenario } from './scenario.js';
import { LOAD_APP_NAME, openServices, startMonitor } from './services.js';
import { localRunner, type StageRunner } from './stage-runner.js';
import type { StageEnv } from './run-stage.js';
import { startWorkerRunner } from './worker-runner.js';
import { startBarrier } from '../../workload/barrier.js';
import { assertUserSql } from '../user-sql.js';
import { loadHeadline } from './headline.js';
import { ATTRIBUTION_DECLS, startAttribution, type AttributionHooks } from './attribution.js';
import { CONNECTIONS_LOST, DERIVED, GENERATOR_SATURATED, levelUnitOf, SATURATION_LEVEL, STAGE_LEVEL, stageMetrics } from './metrics.js';
import type { MetricDecl } from '../../metrics/declare.js';
import { RESOURCE_METRICS } from '../../resources/metrics.js';
import type { Config } from '../../config/schema.js';

/** Watches the process readings for a saturated load generator (CPU near its cores, event loop late). */
function generatorWatch(ctx: CheckContext, threads: number) {
  const counter = ctx.metrics.counter(GENERATOR_SATURATED);
  const cores = Math.min(os.availableParallelism(), threads);
  const state = { active: false, seconds: 0, streak: 0, peakCpu: 0, peakDelay: 0 };
  const onSample = (r: Map<string, number>) => {
    if (!state.active) return;
    const cpu = r.get('process_cpu_percent') ?? 0;
    const delay = r.get('process_event_loop_delay_p99_ms') ?? 0;
    state.peakCpu = Math.max(state.peakCpu, cpu);
    state.peakDelay = Math.max(state.peakDelay, delay);
    // One late second is a GC pause or JIT warm-up; two in a row is a generator that cannot keep up.
    const busy = cpu >= 90 * cores || delay > ctx.config.load.generator_max_delay_ms;
    state.streak = busy ? state.streak + 1 : 0;
    const add = state.streak === 2 ? 2 : state.streak > 2 ? 1 : 0;
    state.seconds += add;
    if (add) counter.add(add);
  };
  return { state, onSample };
}

/**
 * Declares what the load check records before any stage runs, so the figures merged in from each stage's registry (and
 * from worker threads) keep their declared meaning, per-second counters included.
 */
export function declareMetrics(ctx: CheckContext, decls: readonly MetricDecl[]): void {
  for (const d of decls) ctx.metrics.declare(d);
  ctx.metrics.counter(CONNECTIONS_LOST);
}

/** What load.mixed records: the stage figures, the attribution's and the resource monitor's readings. */
const mixedMetrics = (config: Config): MetricDecl[] => [...stageMetrics(levelUnitOf(config)), ...ATTRIBUTION_DECLS, ...RESOURCE_METRICS];

/** Stages run in this thread, or across worker threads (each opening its own connections) with --workers N. */
async function runner(ctx: CheckContext, workload: Workload, scenario: Scenario, segment: Segment, window: SecondWindow): Promise<StageRunner> {
  const load = ctx.config.load;
  if (load.workers > 1) return startWorkerRunner({ ctx, workload, workers: load.workers, segment, window });
  const env: StageEnv = {
    services: openServices(ctx, workload, load.pool_size), scenario, seed: ctx.config.workload.seed, share: segment,
    executor: load.executor, maxVus: load.max_vus, thinkTimeMs: load.think_time_ms, requestTimeoutMs: load.request_timeout_ms,
  };
  return localRunner(env, segment, window);
}

export const mixedLoadCheck: Check = {
  id: 'load.mixed',
  category: 'load',
  typicalQuickMs: 5000,
  merge: loadMerge,
  headline: loadHeadline,
  metrics: mixedMetrics,
  title: 'Mixed load in stages: degradation curve and saturation point',
  needs: ['pg'],
  // Cache and task steps join the mix when their services are configured.
  uses: ['redis', 'celery'],
  writes: true,
  thresholds: (config) => ({
    load_success: [`rate>${config.thresholds.load_success_rate}`],
    load_stages_beyond_saturation: [{ warn: 'count==0' }],
    load_generator_saturated: [{ warn: 'count==0' }],
    // Each step kind on its own: a SET that always fails must not hide among thousands of successful reads.
    load_failing_steps: ['count==0'],
    load_connections_lost: ['count==0'],
  }),
  async run(ctx) {
    const load = ctx.config.load;
    declareMetrics(ctx, mixedMetrics(ctx.config));
    const profile = loadProfile(ctx.config);
    // The user's steps are judged on the target's catalog once, before any load: never on the measuring path.
    await assertUserSql(ctx, load.custom.map((c, i) => ({ sql: c.sql, where: `config.load.custom[${i}].sql` })));
    const workload = await useWorkload(ctx);
    const scenario = buildScenario(load, { redis: !!ctx.targets.redis, celery: !!ctx.targets.celery });
    ctx.info('scenario', { types: scenario.types.map((t) => ({ name: t.name, weight: t.weight })), executor: load.executor });
    if (Object.keys(scenario.skipped).length) ctx.info('skipped_steps', scenario.skipped);
    ctx.info('distribution', { segment: load.segment, workers: load.workers });
    if (profile.fitted) ctx.info('stages_shortened', `the stages were shortened to fit timeouts.check_ms (${ctx.config.timeouts.check_ms} ms)`);

    const watch = generatorWatch(ctx, load.workers);
    startMonitor(ctx, watch.onSample);
    const window = new SecondWindow();
    const writer = new SeriesWriter(ctx.metrics, window, ctx.elapsed);
    const stageRunner = await runner(ctx, workload, scenario, profile.segment, window);
    ctx.defer(() => stageRunner.close());
    if (profile.segment.count > 1) await startTogether(ctx, workload);
    const messages: string[] = [];
    const attribution = startAttribution(ctx, LOAD_APP_NAME, load.workers, { tasks: scenario.types.some((t) => t.name === 'task') });
    ctx.defer(() => attribution.stop());
    writer.start();
    watch.state.active = true;
    try {
      for (const [i, stage] of profile.stages.entries()) {
        if (ctx.signal.aborted) break;
        const n = i + 1;
        const level = stageLevel(stage);
        writer.flush(); // the window ends at the stage boundary: no point of the series mixes two stages
        writer.level = level.value;
        ctx.progress(`stage ${n}/${profile.stages.length}: ${level.value} ${level.unit} for ${(stage.durationMs / 1000).toFixed(0)} s`);
        await attribution.beginStage(n, level.value, level.unit);
        const outcome = await stageRunner.runStage(n, stage, ctx.signal);
        mergeIntoRegistry(ctx.metrics, outcome.metrics);
        await attribution.endStage(n);
        ctx.metrics.gauge(STAGE_LEVEL[level.unit], { stage: String(n) }).set(level.value);
        for (const m of outcome.messages) if (messages.length < 5) messages.push(m);
      }
    } finally {
      watch.state.active = false;
      writer.stop();
    }
    report(ctx, profile.limits, messages, watch.state, attribution);
  },
};

/**
 * Segments of one run start stage 1 at one instant (the start barrier); this segment's figures are a part of the whole,
 * so its verdict is partial: the merged result (`stackprobe merge`) judges the whole load.
 */
async function startTogether(ctx: CheckContext, workload: Workload): Promise<void> {
  const { segment } = workload.membership;
  const start = await startBarrier(ctx.targets.pg!.admin, workload.membership, { timeoutMs: ctx.config.load.start_timeout_ms, signal: ctx.signal, progress: (t) => ctx.progress(t) });
  ctx.info('distribution', { segment: ctx.config.load.segment, workers: ctx.config.load.workers, run_id: start.run_id, partial: true, start });
  ctx.finding({
    severity: 'info', subject: 'segment', title: `segment ${segment.index}/${segment.count} of run ${start.run_id}: a partial result, judged on its share of the load`,
    detail: `All ${segment.count} segments started stage 1 at ${start.start_at} (this one ${start.offset_ms} ms from it, ±${start.clock_error_ms} ms).`,
    recommendation: 'Merge the segments (stackprobe merge */run.json) for the verdict of the whole load: its thresholds and saturation point come from the merged histograms.',
  });
}

const r1 = (v: number) => Math.round(v * 10) / 10;

function report(ctx: CheckContext, limits: ReturnType<typeof loadProfile>['limits'], messages: string[], gen: { seconds: number; peakCpu: number; peakDelay: number }, attribution: AttributionHooks): void {
  const raw = serializeMetrics(ctx.metrics, ctx.elapsed());
  const { stages, saturation } = analyseStages(raw, limits);
  const steps = stepShares(raw, stages, limits);
  mergeIntoRegistry(ctx.metrics, derivedMetrics(stages, saturation, steps));
  ctx.info('steps', steps);
  for (const st of steps.filter((x) => x.failing)) {
    ctx.finding({
      severity: 'error', subject: `step ${st.step}`, title: `${st.step} failed ${st.failures} of ${st.attempts} times (${(st.share * 100).toFixed(1)} %) below saturation`,
      detail: 'Counted over the stages within the limits: this step fails before the system is loaded, so it is a defect, not a symptom of load.',
      recommendation: 'See load_error_kinds and the first errors for the reason (a SQLSTATE, a refused command, a timeout).',
      data: { ...st },
    });
  }
  ctx.info('limits', limits);
  ctx.info('stages', stages);
  ctx.info('degradation', stages.map((s) => ({ stage: s.stage, level: s.level, p95: s.p95, ratio: s.degradation })));
  ctx.info('saturation', saturation);
  if (stages.length > 0) ctx.finding(saturationFinding(stages, saturation, limits));
  const errors = errorFinding(stages, messages);
  if (errors) ctx.finding(errors);
  // Worker threads count their own Redis losses and say why in their messages; without workers the main thread's
  // connection reports its loss as it happens (services.ts).
  const lost = ctx.metrics.counter(CONNECTIONS_LOST).count;
  if (lost > 0 && ctx.config.load.workers > 1) {
    const why = messages.find((m) => /Redis connection was lost/.test(m));
    ctx.finding({
      severity: 'error', subject: 'connection', title: `${lost} Redis connection${lost > 1 ? 's' : ''} of the load lost during the run`,
      detail: why ?? 'closed by the server or the network', recommendation: 'Look for a restart, a failover, CLIENT KILL, a timeout or a proxy between this host and Redis.',
    });
  }
  attribution.finish(limits);
  if (gen.seconds > 0) ctx.finding(generatorFinding(gen.seconds, gen.peakCpu, gen.peakDelay, ctx.config.load.generator_max_delay_ms));
  ctx.info('stage_table', stages.map((s) => ({
    stage: s.stage, level: s.level, offered_per_s: r1(s.offeredRate), started_per_s: r1(s.startedRate), completed_per_s: r1(s.completedRate),
    succeeded_per_s: r1(s.throughput), dropped_per_s: r1(s.droppedRate), completion_ratio: Math.round(s.completionRatio * 1000) / 1000, p95_ms: r1(s.p95), within_limits: s.withinLimits,
  })));
  if (saturation.level !== null) ctx.metrics.headline(SATURATION_LEVEL.VUs.name);
  // No saturation point (not reached, or below the first stage): the highest stage's completions answer instead.
  else if (stages.length > 0) ctx.metrics.headline(DERIVED.throughput, { stage: String(stages[stages.length - 1]!.stage) });
  const top = stages.reduce<(typeof stages)[number] | undefined>((best, s) => (!best || s.throughput > best.throughput ? s : best), undefined);
  if (top && top.succeeded > 0) {
    ctx.rate('throughput_rps', `${DERIVED.throughput.name}{stage:${top.stage}}`, top.throughput);
    ctx.rate('response_time_ms', `${DERIVED.p95.name}{stage:${top.stage}}`, top.p95);
  }
}

