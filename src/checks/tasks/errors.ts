// tasks.errors: a configured failing task must fail with the error it is meant to raise, a retrying task must succeed
// after retrying; each judged over every attempt, with the time to the final state and the reasons when not.
import { SkipCheck, describeError } from '../../util/errors.js';
import type { Config } from '../../config/schema.js';
import type { Check, CheckContext } from '../types.js';
import { celeryOf, cleanupTasks, preflightOk, resultTimeoutMs, viewWorkers } from './common.js';
import { isArgumentError, errorOf, judgeOutcome, type Kind } from './errors-judge.js';
import { TASKS_UNKNOWN, TASK_EXPECTED_OUTCOME, TASK_FAILURES_ERRORS, TASK_FINAL_STATE_DURATION, TASK_LOST_ERRORS, TASK_RETRIES, TASK_SUBMIT_FAILURES, WORKERS_ALIVE_COMMON, WORKERS_CONSUMING } from './metrics.js';

interface Probe {
  kind: Kind;
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
}

function probesOf(config: Config): Probe[] {
  const t = config.tasks;
  const out: Probe[] = [];
  if (t.failing_task) out.push({ kind: 'failing', task: t.failing_task, args: t.failing_task_args ?? t.error_task_args, kwargs: t.failing_task_kwargs });
  if (t.retrying_task) out.push({ kind: 'retrying', task: t.retrying_task, args: t.retrying_task_args ?? t.error_task_args, kwargs: t.retrying_task_kwargs });
  return out;
}

/** Sends one task after its result channel is subscribed (so every RETRY state is seen) and waits for its final state. */
async function callOnce(ctx: CheckContext, p: Probe, ids: string[]) {
  const celery = celeryOf(ctx);
  const mine = new AbortController();
  const signal = AbortSignal.any([ctx.signal, mine.signal]);
  const id = await celery.newTaskId(ctx.signal);
  ids.push(id);
  let subscribed: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (subscribed = resolve));
  const outcome = celery.result(id, resultTimeoutMs(ctx), { signal, onSubscribed: subscribed });
  try {
    await Promise.race([ready, outcome]);
    await celery.send(p.task, p.args, { id, kwargs: p.kwargs, queue: ctx.config.tasks.queue, expiresInMs: resultTimeoutMs(ctx), signal: ctx.signal });
  } catch (err) {
    mine.abort();
    await outcome.catch(() => null); // the send's failure is the one to report
    return { sent: false as const, error: describeError(err) };
  }
  return { sent: true as const, outcome: await outcome };
}

async function probe(ctx: CheckContext, p: Probe, ids: string[]): Promise<void> {
  const { error_count: n, failing_task_error: expected } = ctx.config.tasks;
  const tags = { kind: p.kind };
  const toFinal = ctx.metrics.trend(TASK_FINAL_STATE_DURATION, tags);
  const failures = ctx.metrics.counter(TASK_FAILURES_ERRORS, tags);
  const retries = ctx.metrics.counter(TASK_RETRIES, tags);
  const lost = ctx.metrics.counter(TASK_LOST_ERRORS, tags);
  const sendErrors = ctx.metrics.counter(TASK_SUBMIT_FAILURES, tags);
  const asExpected = ctx.metrics.rate(TASK_EXPECTED_OUTCOME, tags);
  for (const c of [failures, retries, lost, sendErrors]) c.add(0);
  const whys = new Map<string, number>();
  const note = (why: string) => whys.set(why, (whys.get(why) ?? 0) + 1);
  let wrongArgs = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    const t0 = performance.now();
    const r = await callOnce(ctx, p, ids);
    if (!r.sent) {
      sendErrors.add();
      asExpected.add(false);
      note(`the publish failed: ${r.error}`);
      return;
    }
    const o = r.outcome;
    if (!o) {
      if (ctx.signal.aborted) return; // not an outcome: the check's budget ran out
      lost.add();
    } else {
      toFinal.record(performance.now() - t0);
      retries.add(o.retries);
      if (o.status === 'FAILURE') failures.add();
      if (o.status === 'FAILURE' && isArgumentError(errorOf(o.result))) wrongArgs++;
    }
    const v = judgeOutcome(p.kind, o, p.kind === 'failing' ? expected : undefined);
    asExpected.add(v.ok);
    if (!v.ok) note(o ? v.why : `${v.why} (within ${resultTimeoutMs(ctx)} ms)`);
  }));
  const p95 = toFinal.count > 0 ? Math.round(toFinal.percentile(95)) : null;
  ctx.info(p.kind, { task: p.task, sent: n, as_expected: asExpected.hits, failures: failures.count, retries: retries.count, lost: lost.count, final_state_p95_ms: p95 });
  if (whys.size === 0) return;
  const bad = asExpected.total - asExpected.hits;
  const [first] = [...whys.entries()].sort((a, b) => b[1] - a[1]);
  ctx.finding({
    severity: 'error', subject: p.task,
    title: `${bad} of ${asExpected.total} ${p.kind} tasks "${p.task}" did not end as expected: ${first![0]}`,
    detail: [...whys.entries()].map(([why, count]) => `${count}× ${why}`).join('; ') + '.',
    recommendation: advice(ctx, p, wrongArgs > 0, lost.count > 0),
  });
}

function advice(ctx: CheckContext, p: Probe, wrongArgs: boolean, lost: boolean): string {
  const out: string[] = [];
  if (wrongArgs) out.push(`Check config.tasks.${p.kind}_task_args and ${p.kind}_task_kwargs against the signature of "${p.task}".`);
  if (p.kind === 'retrying' && !wrongArgs) out.push(`"${p.task}" must retry (self.retry) and then succeed within its max_retries; a task that exhausts them ends in FAILURE.`);
  if (p.kind === 'failing' && !wrongArgs) out.push(`Set config.tasks.failing_task_error to the exception "${p.task}" is meant to raise (e.g. "ValueError" or "ValueError: text"), or fix the task.`);
  if (lost) out.push('Raise config.tasks.result_timeout_ms when retry countdowns are long; check the worker log.');
  return out.join(' ');
}

export const errorsCheck: Check = {
  id: 'tasks.errors',
  category: 'tasks',
  typicalQuickMs: 5000,
  title: 'Celery failures and retries: each ends as it is meant to',
  needs: ['celery'],
  metrics: [TASKS_UNKNOWN, WORKERS_ALIVE_COMMON, WORKERS_CONSUMING, TASK_EXPECTED_OUTCOME, TASK_FAILURES_ERRORS, TASK_FINAL_STATE_DURATION, TASK_LOST_ERRORS, TASK_RETRIES, TASK_SUBMIT_FAILURES],
  writes: true,
  thresholds: (config) => ({
    ...Object.fromEntries(probesOf(config).map((p) => [`task_expected_outcome{kind:${p.kind}}`, [`rate>=${config.tasks.min_expected_outcome}`]])),
    tasks_unknown: ['count==0'],
    workers_alive: ['value>0'],
  }),
  async run(ctx) {
    const probes = probesOf(ctx.config);
    if (probes.length === 0) throw new SkipCheck('no failing or retrying task configured (config.tasks.failing_task, config.tasks.retrying_task)');
    if (!celeryOf(ctx).hasResultBackend) throw new SkipCheck('no result backend configured (CELERY_RESULT_BACKEND): final states cannot be observed');
    const m = ctx.metrics;
    m.headline('task_expected_outcome');
    const ids = cleanupTasks(ctx);
    const { queue } = ctx.config.tasks;
    const names = probes.map((p) => p.task);
    if (!preflightOk(ctx, queue, await viewWorkers(ctx, queue, names), names)) return;
    for (const p of probes) await probe(ctx, p, ids);
  },
};
