// The live progress view: exact plain lines for a scripted run, tolerance of odd events, and the listr2 view on any stream.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/result/model.js';
import { createProgressView } from '../../src/report/progress.js';
import type { RunEvent } from '../../src/run/runner.js';
import { fullRunResult } from '../fixtures/run-result.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  return { stream, text: () => out };
}

const checks = fullRunResult().checks;
const byId = (id: string): CheckResult => checks.find((c) => c.id === id)!;
const plan: RunEvent = { type: 'plan', checks: checks.map(({ id, title, category }) => ({ id, title, category })) };

describe('plain progress view', () => {
  it('prints one timestamped line per event', async () => {
    const { stream, text } = capture();
    const times = [1000, 1000, 1500, 2000, 13_300, 15_000, 15_100, 15_200, 15_300, 15_400];
    let i = 0;
    const view = createProgressView({ tty: false, stream, color: false, now: () => times[Math.min(i++, times.length - 1)]! });
    const events: RunEvent[] = [
      { type: 'plan', checks: [byId('queries.basic'), byId('cache.basic')].map(({ id, title, category }) => ({ id, title, category })) },
      { type: 'setup', text: 'starting a private PostgreSQL' },
      { type: 'check-start', id: 'queries.basic' },
      { type: 'check-progress', id: 'queries.basic', text: 'running point_lookup (1/3)' },
      { type: 'check-end', result: byId('queries.basic') },
      { type: 'teardown', text: 'cleaning up' },
      { type: 'check-end', result: byId('cache.basic') },
      { type: 'check-end', result: byId('pool.connect') },
      { type: 'check-end', result: byId('backup.restore') },
    ];
    for (const e of events) view.onEvent(e);
    await view.done();
    expect(text().split('\n')).toEqual([
      '[0.0s] plan: 2 checks: queries.basic, cache.basic',
      '[0.5s] setup: starting a private PostgreSQL',
      '[1.0s] queries.basic: started (Basic financial queries)',
      '[12.3s] queries.basic: running point_lookup (1/3)',
      '[14.0s] queries.basic: FAIL (2.1 s): query_duration{query:point_lookup} p(95)<100 → 950 ms',
      '[14.1s] teardown: cleaning up',
      '[14.2s] cache.basic: SKIP: REDIS_URL not set',
      '[14.3s] pool.connect: PASS (1.2 s)',
      '[14.4s] backup.restore: FAIL (950 ms): pg_restore: error: could not execute query: permission denied for schema public',
      '',
    ]);
  });

  it('takes its elapsed time from the monotonic clock and never throws on odd events', async () => {
    const { stream, text } = capture();
    const view = createProgressView({ tty: false, stream, color: false });
    expect(() => {
      view.onEvent({ type: 'check-progress', id: 'nobody.knows', text: 'line one\nline two' });
      view.onEvent({ type: 'check-end', result: byId('integrity.fk') });
      view.onEvent({ type: 'check-start', id: 'integrity.fk' });
      view.onEvent(plan);
      view.onEvent(plan);
      view.onEvent({ type: 'weird' } as unknown as RunEvent);
    }).not.toThrow();
    await view.done();
    const lines = text().trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(/^\[\d+\.\ds\] /);
    expect(lines[0]).toMatch(/nobody\.knows: line one line two$/);
    expect(lines[1]).toMatch(/integrity\.fk: WARN \(640 ms\): orphan_rows count==0 → 3$/);
  });

  it('colors the status only when asked', () => {
    const { stream, text } = capture();
    createProgressView({ tty: false, stream, color: true }).onEvent({ type: 'check-end', result: byId('pool.connect') });
    expect(text()).toContain('\u001b[32mPASS');
  });
});

describe('terminal progress view (listr2)', () => {
  it('runs one task per planned check on the given stream and settles them from the events', async () => {
    const { stream, text } = capture();
    const view = createProgressView({ tty: true, stream, color: false });
    view.onEvent({ type: 'check-progress', id: 'pool.connect', text: 'before the plan' });
    view.onEvent(plan);
    view.onEvent({ type: 'setup', text: 'starting a private PostgreSQL' });
    for (const c of checks.filter((x) => x.status !== 'skip')) {
      view.onEvent({ type: 'check-start', id: c.id });
      view.onEvent({ type: 'check-progress', id: c.id, text: 'working' });
      await new Promise((resolve) => setTimeout(resolve, 5));
      view.onEvent({ type: 'check-end', result: c });
    }
    view.onEvent({ type: 'teardown', text: 'cleaning up' });
    view.onEvent({ type: 'check-end', result: byId('cache.basic') });
    view.onEvent({ type: 'check-progress', id: 'not.planned', text: 'ignored' });
    // tasks.celery never ends: done() settles it as not run instead of hanging.
    await view.done();
    const out = text();
    expect(out).toContain('pool.connect  Cold connect vs warm pool acquire  PASS (1.2 s)');
    expect(out).toContain('queries.basic  Basic financial queries  FAIL (2.1 s)');
    expect(out).toContain('integrity.fk  Foreign-key orphans  WARN (640 ms)');
    expect(out).toContain('cache.basic  Redis GET/SET latency  SKIP: REDIS_URL not set');
    expect(out).toContain('tasks.celery  Celery round trip  not run');
    expect(out).toContain('Cleaned up');
    await expect(view.done()).resolves.toBeUndefined();
    // Cursor movement is fine; colors are not.
    expect(out).not.toMatch(new RegExp(`${String.fromCharCode(27)}\\[(3\\d|9\\d)m`));
  });

  it('finishes at once when no plan ever arrived', async () => {
    const { stream, text } = capture();
    const view = createProgressView({ tty: true, stream, color: true });
    view.onEvent({ type: 'setup', text: 'x' });
    await view.done();
    expect(text()).toBe('');
  });
});
