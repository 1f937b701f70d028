// tasks.throughput in both directions against real Celery workers running the same 150 ms task at 50 tasks/s offered:
// acks_late with prefetch 1 and 2 processes cannot keep up (fail, with the figures and the advice); enough processes can.
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/result/model.js';
import { runTasksChecks, startCeleryWorker, type CeleryWorker, type WorkerOptions } from '../helpers/celery-worker.js';

const workers: CeleryWorker[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop();
});

const metric = (c: CheckResult, name: string, tags: Record<string, string> = {}) =>
  c.metrics.find((m) => m.name === name && Object.entries(tags).every(([k, v]) => m.tags[k] === v)) as { value: number; hits: number; total: number } | undefined;

async function throughputAgainst(opts: WorkerOptions): Promise<CheckResult> {
  const worker = await startCeleryWorker(opts);
  workers.push(worker);
  const [tp] = await runTasksChecks({
    celery_broker_url: worker.broker, celery_result_backend: worker.backend,
    tasks: { queue: worker.queue, task: 'test.slow', args: [150], burst: 20, rate: 50, duration_s: 4, drain_timeout_s: 4 },
  }, ['tasks.throughput']);
  return tp!;
}

function figures(c: CheckResult): string {
  const v = (name: string, tags: Record<string, string> = {}) => metric(c, name, tags)?.value;
  const info = c.info.tasks as Record<string, unknown>;
  return `status ${c.status}: offered ${v('task_offered_rate', { phase: 'steady' })}/s, completed ${v('task_completion_rate', { phase: 'steady' })}/s, capacity ${v('task_capacity')}/s, keep-up ${v('task_keep_up')}, backlog ${JSON.stringify(metric(c, 'task_backlog_growth'))}, e2e ${JSON.stringify(info.e2e_steady_ms)}, success ${metric(c, 'task_success')?.hits}/${metric(c, 'task_success')?.total}`;
}

describe('tasks.throughput judges completion against the offered rate', () => {
  it('fails a worker that cannot keep up (acks_late, prefetch 1, 2 processes, 150 ms tasks, 50/s offered) and says what to change', async () => {
    const tp = await throughputAgainst({ acksLate: true, prefetch: 1, concurrency: 2 });
    console.log(`slow worker: ${figures(tp)}\n  ${tp.findings.map((f) => `${f.title} | ${f.detail ?? ''} | ${f.recommendation ?? ''}`).join('\n  ')}`);
    expect(tp.status).toBe('fail');
    // At most ~13/s (2 × 1/0.15 s) can complete, against 50/s offered.
    expect(metric(tp, 'task_keep_up')!.value).toBeLessThan(0.5);
    expect(tp.thresholds.find((t) => t.metric === 'task_keep_up' && t.level === 'fail')).toMatchObject({ ok: false });
    expect(tp.thresholds.find((t) => t.metric === 'task_e2e_duration{phase:steady}')).toMatchObject({ ok: false });
    // Success over every attempt: tasks still queued at the end of the drain window count as failed.
    const success = metric(tp, 'task_success')!;
    expect(success.total).toBeGreaterThanOrEqual(20 + 190);
    expect(success.hits).toBeLessThan(success.total * 0.8);
    const finding = tp.findings.find((f) => /while 50\/s were offered: the backlog grows/.test(f.title));
    expect(finding, JSON.stringify(tp.findings)).toBeDefined();
    expect(finding!.detail).toMatch(/offered 50\/s/);
    expect(finding!.detail).toMatch(/queue depth \d+ → \d+ during the steady phase/);
    expect(finding!.detail).toMatch(/end-to-end p50 [\d.]+ m?s, p95 [\d.]+ m?s, p99 [\d.]+ m?s/);
    expect(finding!.detail).toMatch(/concurrency 2, prefetch multiplier 1, acks_late on/);
    expect(finding!.recommendation).toMatch(/raise `--concurrency` to \d+/);
    expect(finding!.recommendation).toMatch(/task_acks_late is on with prefetch multiplier 1/);
    // The rating uses the workers' own rate, not one the send schedule caps.
    expect(tp.ratings.find((r) => r.metric === 'task_capacity')!.value).toBeLessThan(20);
  });

  it('passes a worker with enough processes for the same task and rate', async () => {
    const tp = await throughputAgainst({ concurrency: 16, prefetch: 4 });
    console.log(`healthy worker: ${figures(tp)}`);
    expect(tp.status, JSON.stringify(tp.findings)).toBe('pass');
    expect(metric(tp, 'task_keep_up')!.value).toBeGreaterThan(0.95);
    expect(metric(tp, 'task_success')).toMatchObject({ hits: 220, total: 220 });
  });
});
