// tasks.config: hazards in the workers' own settings (`conf`, `stats`, `scheduled`, `active`) and the broker's unacked ETAs.
import { availableParallelism, hostname } from 'node:os';
import { sleep } from '../../exec/timeout.js';
import type { WorkerReply } from '../../targets/celery/target.js';
import { SkipCheck } from '../../util/errors.js';
import type { Check, CheckContext } from '../types.js';
import { celeryOf } from './common.js';
import { metric } from '../../metrics/declare.js';
import { unit } from '../../metrics/unit.js';
import { etaHorizonsS, hostOf, readSettings, type WorkerSettings } from './worker-settings.js';

export const CONFIG_METRICS = {
  hazards: metric.counter({ name: 'task_config_hazards', unit: unit.count('hazards'), meaning: 'defects', better: 'lower', description: 'Settings of the live workers that lose, delay or duplicate work (each named in a finding)' }),
  duplicates: metric.counter({ name: 'task_duplicate_execution_risks', unit: unit.count('workers'), meaning: 'defects', better: 'lower', description: 'Workers on Redis whose visibility_timeout is shorter than the longest ETA/countdown waiting: those tasks run twice' }),
  etaHorizon: metric.gauge({ name: 'task_eta_horizon', unit: unit.seconds, meaning: 'state', better: 'none', description: 'Longest wait until an ETA/countdown task is due, of those the workers hold (scheduled) or the broker holds unacked' }),
  visibility: metric.gauge({ name: 'broker_visibility_timeout', unit: unit.seconds, meaning: 'state', better: 'none', description: 'The worker\'s Redis visibility_timeout (broker_transport_options, else kombu\'s 3600 s)' }),
  utilisation: metric.gauge({ name: 'worker_pool_utilisation', unit: unit.ratio, meaning: 'share', better: 'none', description: 'Active tasks over pool processes, mean of the samples taken during the check' }),
  concurrency: metric.gauge({ name: 'worker_pool_processes', unit: unit.count('processes'), meaning: 'state', better: 'none', description: 'Pool processes per worker (stats)' }),
} as const;

/** A worker whose pool is busier than this on average leaves new tasks waiting for a free process. */
const SATURATED = 0.9;
/** Prefork processes per core above which CPU-bound tasks only contend for the cores. */
const PROCESSES_PER_CORE = 2;

function replyMap(replies: WorkerReply[]): Map<string, unknown> {
  return new Map(replies.map((r) => [r.worker, r.reply]));
}

async function sampleUtilisation(ctx: CheckContext, workers: WorkerSettings[]): Promise<Map<string, number>> {
  const busy = new Map<string, number[]>();
  const celery = celeryOf(ctx);
  for (let i = 0; i < ctx.config.tasks.utilisation_samples; i++) {
    if (i > 0) await sleep(500, ctx.signal);
    for (const r of await celery.control('active', {}, { signal: ctx.signal, limit: workers.length })) {
      if (Array.isArray(r.reply)) busy.set(r.worker, [...(busy.get(r.worker) ?? []), r.reply.length]);
    }
  }
  const out = new Map<string, number>();
  for (const w of workers) {
    const samples = busy.get(w.worker);
    if (w.concurrency && samples?.length) out.set(w.worker, samples.reduce((a, b) => a + b, 0) / samples.length / w.concurrency);
  }
  return out;
}

/** ETAs of the tasks the workers hold (`scheduled`) and, on Redis, of the unacked messages. */
async function waitingEtas(ctx: CheckContext, limit: number): Promise<string[]> {
  const celery = celeryOf(ctx);
  const etas: string[] = [];
  for (const r of await celery.control('scheduled', {}, { signal: ctx.signal, limit })) {
    if (!Array.isArray(r.reply)) continue;
    for (const s of r.reply as Array<{ eta?: unknown }>) if (typeof s.eta === 'string') etas.push(s.eta);
  }
  const unacked = await celery.unacked({ signal: ctx.signal });
  return [...etas, ...(unacked?.etas ?? [])];
}

export const configCheck: Check = {
  id: 'tasks.config',
  category: 'tasks',
  title: 'Celery worker settings: acks_late and prefetch, visibility timeout vs ETAs, result expiry, pool size and use',
  needs: ['celery'],
  typicalQuickMs: 2500,
  metrics: Object.values(CONFIG_METRICS),
  thresholds: () => ({
    [CONFIG_METRICS.duplicates.name]: ['count==0'],
    [CONFIG_METRICS.hazards.name]: [{ warn: 'count==0' }],
  }),
  async run(ctx) {
    if (ctx.readOnly) throw new SkipCheck('--read-only: reading the workers\' settings (conf, stats, scheduled, active) is a broadcast, which writes to the broker (a control message and a reply queue)');
    const celery = celeryOf(ctx);
    const m = ctx.metrics;
    m.headline(CONFIG_METRICS.hazards.name);
    const alive = await celery.control('ping', {}, { signal: ctx.signal });
    if (alive.length === 0) throw new SkipCheck(`no Celery worker answered ping within ${ctx.config.tasks.control_timeout_ms} ms: no settings to read`);
    const limit = alive.length;
    const conf = replyMap(await celery.control('conf', { with_defaults: true }, { signal: ctx.signal, limit }));
    const stats = replyMap(await celery.control('stats', {}, { signal: ctx.signal, limit }));
    const workers = alive.map((a) => a.worker).filter((w) => conf.has(w))
      .map((w) => readSettings(w, conf.get(w) as Record<string, unknown>, stats.get(w) as Record<string, unknown> | undefined));
    const hazards = m.counter(CONFIG_METRICS.hazards);
    const duplicates = m.counter(CONFIG_METRICS.duplicates);
    hazards.add(0);
    duplicates.add(0);
    if (workers.length < alive.length) {
      ctx.finding({ severity: 'warn', title: `${alive.length - workers.length} worker(s) answered ping but not conf`, detail: 'A worker busy in its main thread answers late; raise tasks.control_timeout_ms to hear it.' });
    }
    const hazard = (f: Parameters<CheckContext['finding']>[0]) => {
      hazards.add(1);
      ctx.finding(f);
    };
    // The ETAs are wall-clock timestamps of the workers: compared with this host's wall clock.
    const horizons = etaHorizonsS(await waitingEtas(ctx, limit), new Date().getTime());
    const longest = horizons.length > 0 ? Math.max(...horizons) : 0;
    m.gauge(CONFIG_METRICS.etaHorizon).set(Math.round(longest));
    const utilisation = await sampleUtilisation(ctx, workers);
    ctx.info('workers', workers.map((w) => ({ ...w, utilisation: utilisation.get(w.worker) ?? null })));
    for (const w of workers) {
      const tags = { worker: w.worker };
      if (w.concurrency !== null) m.gauge(CONFIG_METRICS.concurrency, tags).set(w.concurrency);
      const used = utilisation.get(w.worker);
      if (used !== undefined) m.gauge(CONFIG_METRICS.utilisation, tags).set(Math.round(used * 1000) / 1000);
      if (w.acksLate && w.prefetchMultiplier > 1) {
        hazard({
          severity: 'warn', subject: w.worker, title: `${w.worker}: task_acks_late with worker_prefetch_multiplier ${w.prefetchMultiplier}`,
          detail: `Each process reserves ${w.prefetchMultiplier} messages and acknowledges them only when they finish: reserved messages wait behind a long task while other workers idle, and a worker that dies hands all of them back to run again.`,
          recommendation: 'Set worker_prefetch_multiplier = 1 with task_acks_late (Celery\'s advice for long tasks), or turn acks_late off for short idempotent tasks.',
        });
      }
      if (celery.transport === 'redis') {
        m.gauge(CONFIG_METRICS.visibility, tags).set(w.visibilityTimeoutS);
        if (longest > w.visibilityTimeoutS) {
          duplicates.add(1);
          hazard({
            severity: 'error', subject: w.worker, title: `${w.worker}: duplicate execution risk: visibility_timeout ${w.visibilityTimeoutS} s is shorter than an ETA/countdown ${Math.round(longest)} s away`,
            detail: `On Redis a worker holds an ETA task unacknowledged until it is due; after visibility_timeout (${w.visibilityTimeoutS} s) the broker hands the message to a worker again, so a task due in ${Math.round(longest)} s runs more than once (${horizons.filter((h) => h > w.visibilityTimeoutS).length} such task(s) waiting now).`,
            recommendation: `Raise broker_transport_options={"visibility_timeout": ${Math.ceil(longest * 1.5)}} (above the longest countdown you use), or schedule far-future work with celery beat / a database row instead of a long countdown.`,
          });
        }
      }
      if (w.hasResultBackend && w.resultExpiresS === null) {
        hazard({
          severity: 'warn', subject: w.worker, title: `${w.worker}: results never expire (result_expires is None with a result backend)`,
          detail: 'Every task\'s result stays in the result backend forever: the backend grows without bound.',
          recommendation: 'Set result_expires (Celery\'s default is 1 day), or ignore_result=True on tasks whose results nobody reads.',
        });
      }
      if (used !== undefined && used >= SATURATED) {
        hazard({
          severity: 'warn', subject: w.worker, title: `${w.worker}: pool ${Math.round(used * 100)}% busy (${w.concurrency} processes)`,
          detail: `Over ${ctx.config.tasks.utilisation_samples} samples the pool had on average ${(used * (w.concurrency ?? 0)).toFixed(1)} of ${w.concurrency} processes running tasks: new tasks wait for a free process.`,
          recommendation: 'Add processes or workers for these queues, or move long tasks to a queue of their own.',
        });
      }
    }
    coresHazards(ctx, workers, hazard);
  },
};

/** Prefork processes per host vs its cores: known when Celery chose the count (one per core) or the worker runs here. */
function coresHazards(ctx: CheckContext, workers: WorkerSettings[], hazard: (f: Parameters<CheckContext['finding']>[0]) => void): void {
  const byHost = new Map<string, { processes: number; cores?: number }>();
  for (const w of workers) {
    if (w.pool !== 'prefork' || w.concurrency === null) continue;
    const host = hostOf(w.worker);
    const entry = byHost.get(host) ?? { processes: 0 };
    entry.processes += w.concurrency;
    if (w.concurrencyDefaulted) entry.cores = w.concurrency;
    else if (host === hostname()) entry.cores = availableParallelism();
    byHost.set(host, entry);
  }
  for (const [host, { processes, cores }] of byHost) {
    if (cores === undefined || processes <= cores * PROCESSES_PER_CORE) continue;
    hazard({
      severity: 'warn', subject: host, title: `${host}: ${processes} prefork processes on ${cores} cores`,
      detail: `More than ${PROCESSES_PER_CORE} processes per core: CPU-bound tasks only contend for the cores and each process holds its own memory. (I/O-bound tasks may want more: then the gevent or eventlet pool serves them with less memory.)`,
      recommendation: `Run about ${cores} processes per host for CPU-bound tasks (\`--concurrency ${cores}\`).`,
    });
  }
  ctx.info('cores', Object.fromEntries([...byHost].map(([h, v]) => [h, v])));
}
