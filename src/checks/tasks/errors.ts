// tasks.errors: a configured failing task and a retrying task: failure and retry counts, and the time to the final state.
import { SkipCheck } from '../../util/errors.js';
import type { Check, CheckContext } from '../types.js';
import { celeryOf, cleanupTasks, preflightOk, resultTimeoutMs, viewWorkers } from './common.js';

type Kind = 'failing' | 'retrying';

async function probe(ctx: CheckContext, kind: Kind, task: string, ids: string[]): Promise<void> {
  const celery = celeryOf(ctx);
  const { queue, error_count: n, error_task_args: args } = ctx.config.tasks;
  const toFinal = ctx.metrics.trend('task_final_state_duration', { kind });
  const failures = ctx.metrics.counter('task_failures', { kind }, 'tasks');
  const retries = ctx.metrics.counter('task_retries', { kind }, 'retries');
  const lost = ctx.metrics.counter('task_lost', { kind }, 'tasks');
  const expected = ctx.metrics.rate('task_expected_outcome', { kind });
  failures.add(0);
  retries.add(0);
  lost.add(0);
  const runs = Array.from({ length: n }, async () => {
    const t0 = performance.now();
    const id = await celery.send(task, args, { queue, expiresInMs: resultTimeoutMs(ctx) });
    ids.push(id);
    const o = await celery.result(id, resultTimeoutMs(ctx), { signal: ctx.signal });
    if (!o) {
      if (!ctx.signal.aborted) lost.add();
      return;
    }
    toFinal.record(performance.now() - t0);
    retries.add(o.retries);
    if (o.status === 'FAILURE') failures.add();
    expected.add(kind === 'failing' ? o.status === 'FAILURE' : o.status === 'SUCCESS');
  });
  await Promise.all(runs);
  const p95 = toFinal.count > 0 ? Math.round(toFinal.percentile(95)) : null;
  ctx.info(kind, { task, sent: n, failures: failures.count, retries: retries.count, lost: lost.count, final_state_p95_ms: p95 });
  if (lost.count > 0) {
    ctx.finding({
      severity: 'error', subject: task, title: `${lost.count} of ${n} ${kind} tasks reached no final state within ${resultTimeoutMs(ctx)} ms`,
      detail: kind === 'retrying' ? 'A retrying task may be waiting out its countdown, or has exhausted max_retries without storing a final state.' : 'The worker did not store a FAILURE state in time.',
      recommendation: 'Raise config.tasks.result_timeout_ms when the retry countdowns are long; check the worker log.',
    });
  }
  if (kind === 'retrying' && retries.count === 0 && toFinal.count > 0) {
    ctx.finding({ severity: 'warn', subject: task, title: `no RETRY state was seen for "${task}"`, detail: 'Either the task did not retry, or the result backend did not publish its RETRY states (they are seen over pub/sub only).' });
  }
}

export const errorsCheck: Check = {
  id: 'tasks.errors',
  category: 'tasks',
  title: 'Celery failures and retries: counts and time to final state',
  needs: ['celery'],
  writes: true,
  thresholds: () => ({
    task_lost: ['count==0'],
    tasks_unknown: ['count==0'],
    workers_alive: ['value>0'],
  }),
  async run(ctx) {
    const { failing_task, retrying_task, queue } = ctx.config.tasks;
    const kinds: Array<[Kind, string]> = [];
    if (failing_task) kinds.push(['failing', failing_task]);
    if (retrying_task) kinds.push(['retrying', retrying_task]);
    if (kinds.length === 0) throw new SkipCheck('no failing or retrying task configured (config.tasks.failing_task, config.tasks.retrying_task)');
    if (!celeryOf(ctx).hasResultBackend) throw new SkipCheck('no result backend configured (CELERY_RESULT_BACKEND): final states cannot be observed');
    const ids = cleanupTasks(ctx);
    const names = kinds.map(([, t]) => t);
    if (!preflightOk(ctx, queue, await viewWorkers(ctx, queue, names), names)) return;
    for (const [kind, task] of kinds) await probe(ctx, kind, task, ids);
  },
};
