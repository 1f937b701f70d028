// tasks.workers: live Celery workers (ping and its latency), their pools, queues and processed counts; fails when none answers.
import type { WorkerReply } from '../../targets/celery/target.js';
import { SkipCheck } from '../../util/errors.js';
import type { Check } from '../types.js';
import { celeryOf } from './common.js';
import { TASKS_UNKNOWN, WORKERS_ALIVE_COMMON, WORKERS_ALIVE_WORKERS, WORKERS_CONCURRENCY, WORKERS_CONSUMING, WORKER_PING_DURATION, WORKER_TASKS_PROCESSED } from './metrics.js';

interface Stats {
  pool?: { 'max-concurrency'?: number; implementation?: string; processes?: unknown[] };
  total?: Record<string, number>;
  prefetch_count?: number;
}

function byWorker(replies: WorkerReply[]): Map<string, unknown> {
  return new Map(replies.map((r) => [r.worker, r.reply]));
}

export const workersCheck: Check = {
  id: 'tasks.workers',
  category: 'tasks',
  title: 'Celery workers: ping, pools, queues, processed counts',
  needs: ['celery'],
  metrics: [TASKS_UNKNOWN, WORKERS_ALIVE_COMMON, WORKERS_CONSUMING, WORKERS_ALIVE_WORKERS, WORKERS_CONCURRENCY, WORKER_PING_DURATION, WORKER_TASKS_PROCESSED],
  thresholds: () => ({
    workers_alive: ['value>0'],
    workers_consuming: [{ warn: 'value>0' }],
  }),
  async run(ctx) {
    // Asking workers is a write: a reply-queue binding and a published command (Redis: SADD, PUBLISH, SREM, DEL).
    if (ctx.readOnly) throw new SkipCheck('--read-only: asking the workers (ping, stats) writes to the broker (a control message and a reply queue)');
    const celery = celeryOf(ctx);
    const queue = ctx.config.tasks.queue;
    const m = ctx.metrics;
    m.headline('workers_alive');
    const ping = await celery.control('ping', {}, { signal: ctx.signal });
    const latency = ctx.metrics.trend(WORKER_PING_DURATION);
    for (const r of ping) latency.record(r.latencyMs);
    ctx.metrics.gauge(WORKERS_ALIVE_WORKERS).set(ping.length);
    if (ping.length === 0) {
      ctx.metrics.gauge(WORKERS_CONSUMING, { queue }).set(0);
      ctx.finding({
        severity: 'error', title: 'no Celery worker answered ping',
        detail: `Nothing replied within ${ctx.config.tasks.control_timeout_ms} ms on the control channel (celery.pidbox) of ${celery.facts.url}.`,
        recommendation: 'Start a worker against this broker, or check that workers use the same broker URL (database number, virtual host).',
      });
      return;
    }
    const limit = ping.length;
    const [stats, queues] = [byWorker(await celery.control('stats', {}, { signal: ctx.signal, limit })), byWorker(await celery.control('active_queues', {}, { signal: ctx.signal, limit }))];
    let concurrency = 0;
    let consuming = 0;
    const workers = ping.map((p) => {
      const s = (stats.get(p.worker) ?? {}) as Stats;
      const qs = Array.isArray(queues.get(p.worker)) ? (queues.get(p.worker) as Array<{ name?: string }>).map((q) => String(q.name)) : [];
      const processed = Object.values(s.total ?? {}).reduce((a, b) => a + Number(b), 0);
      concurrency += s.pool?.['max-concurrency'] ?? 0;
      if (qs.includes(queue)) consuming++;
      return { worker: p.worker, ping_ms: Math.round(p.latencyMs * 100) / 100, concurrency: s.pool?.['max-concurrency'] ?? null, pool: s.pool?.implementation ?? null, queues: qs, processed, prefetch: s.prefetch_count ?? null };
    });
    ctx.metrics.gauge(WORKERS_CONCURRENCY).set(concurrency);
    ctx.metrics.gauge(WORKERS_CONSUMING, { queue }).set(consuming);
    ctx.metrics.gauge(WORKER_TASKS_PROCESSED).set(workers.reduce((a, w) => a + w.processed, 0));
    ctx.info('workers', workers);
    ctx.rate('response_time_ms', 'worker_ping_duration', latency.percentile(95));
    const silent = ping.length - stats.size;
    if (silent > 0) {
      ctx.finding({ severity: 'warn', title: `${silent} worker(s) answered ping but not stats`, detail: 'A worker busy with a long task in its main thread, or an old Celery version, answers late.' });
    }
    if (consuming === 0) {
      ctx.finding({
        severity: 'warn', subject: queue, title: `no live worker consumes the probe queue "${queue}"`,
        detail: `Workers consume: ${[...new Set(workers.flatMap((w) => w.queues))].join(', ') || 'nothing'}. The other tasks checks send to "${queue}".`,
        recommendation: `Start a worker with \`-Q ${queue}\` (a dedicated probe queue), or set config.tasks.queue to one of the queues above.`,
      });
    }
  },
};
