// tasks.errors in both directions against a real Celery worker: a retrying task that never succeeds and a failing task
// called with the wrong arguments fail the check and say why; tasks with keyword-only arguments work in every role.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import type { CheckResult } from '../../src/result/model.js';
import { runTasksChecks, startCeleryWorker, type CeleryWorker } from '../helpers/celery-worker.js';

let worker: CeleryWorker;
beforeAll(async () => {
  worker = await startCeleryWorker();
});
afterAll(async () => {
  await worker?.stop();
});

async function runChecks(tasks: ConfigInput['tasks'], ids: string[]): Promise<Record<string, CheckResult>> {
  const checks = await runTasksChecks({ celery_broker_url: worker.broker, celery_result_backend: worker.backend, tasks: { queue: worker.queue, error_count: 3, ...tasks } }, ids);
  return Object.fromEntries(checks.map((c) => [c.id, c]));
}

const rate = (c: CheckResult, kind: string) => c.metrics.find((m) => m.name === 'task_expected_outcome' && m.tags.kind === kind) as { hits: number; total: number } | undefined;

describe('tasks.errors', () => {
  it('fails when the retrying task never succeeds and the failing task fails for the wrong reason, and says why', async () => {
    const { 'tasks.errors': errors } = await runChecks({
      retrying_task: 'test.retries_forever',
      failing_task: 'test.kw_fails', failing_task_args: ['oops'], failing_task_error: 'ValueError',
    }, ['tasks.errors']);
    expect(errors!.status).toBe('fail');
    expect(rate(errors!, 'retrying')).toMatchObject({ hits: 0, total: 3 });
    expect(rate(errors!, 'failing')).toMatchObject({ hits: 0, total: 3 });
    const titles = errors!.findings.map((f) => f.title).join('\n');
    console.log(titles);
    expect(titles).toMatch(/3 of 3 retrying tasks "test\.retries_forever" did not end as expected: ended in FAILURE with ConnectionError: upstream still down after 2 retries, not in SUCCESS/);
    expect(titles).toMatch(/3 of 3 failing tasks "test\.kw_fails" did not end as expected: failed because it was called with the wrong arguments \(TypeError: .*positional argument.*\)/);
    expect(errors!.findings.find((f) => f.subject === 'test.kw_fails')!.recommendation).toMatch(/config\.tasks\.failing_task_args and failing_task_kwargs/);
  });

  it('fails a failing task that raises another error than the configured one', async () => {
    const { 'tasks.errors': errors } = await runChecks({ failing_task: 'test.always_fails', failing_task_error: 'KeyError' }, ['tasks.errors']);
    expect(errors!.status).toBe('fail');
    expect(errors!.findings[0]!.title).toMatch(/failed with ValueError: planted failure, expected KeyError/);
  });

  it('keyword-only tasks work as probe, failing and retrying task', async () => {
    const checks = await runChecks({
      task: 'test.kw_probe', kwargs: { n: 7, tag: 'kw' }, roundtrip_count: 3,
      failing_task: 'test.kw_fails', failing_task_kwargs: { reason: 'planted by kwargs' }, failing_task_error: 'ValueError: planted by kwargs',
      retrying_task: 'test.kw_retries', retrying_task_kwargs: { times: 1 },
    }, ['tasks.roundtrip', 'tasks.errors']);
    for (const c of Object.values(checks)) expect(c.status, `${c.id}: ${c.reason ?? ''} ${JSON.stringify(c.findings)}`).toBe('pass');
    expect(checks['tasks.roundtrip']!.metrics.find((m) => m.name === 'task_success')).toMatchObject({ hits: 3, total: 3 });
    expect(rate(checks['tasks.errors']!, 'failing')).toMatchObject({ hits: 3, total: 3 });
    expect(rate(checks['tasks.errors']!, 'retrying')).toMatchObject({ hits: 3, total: 3 });
    expect(checks['tasks.errors']!.metrics.find((m) => m.name === 'task_retries' && m.tags.kind === 'retrying')).toMatchObject({ count: 3 });
    expect(worker.log()).toMatch(/Task test\.kw_probe\[[0-9a-f-]+\] succeeded in [\d.e-]+s: \{'n': 7, 'tag': 'kw'\}/);
  });
});
