// The live progress view: exact plain lines for a scripted run, tolerance of odd events, and the terminal layout at 80×24.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/result/model.js';
import { createProgressView } from '../../src/report/progress.js';
import type { RunEvent } from '../../src/run/runner.js';
import { fullRunResult } from '../fixtures/run-result.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseRunJson } from '../../src/report/json.js';
import { layoutProgress } from '../../src/report/progress-layout.js';
import { ProgressState } from '../../src/report/progress-state.js';
import { palette } from '../../src/report/text.js';

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
  it('prints one line per event with the elapsed time and the overall count; skips of one reason are one line', async () => {
    const { stream, text } = capture();
    let t = 1000;
    const view = createProgressView({ tty: false, stream, color: false, now: () => t });
    const events: Array<[number, RunEvent]> = [
      [0, { type: 'plan', checks: [byId('queries.basic'), byId('cache.basic'), byId('pool.connect'), byId('backup.restore')].map(({ id, title, category }) => ({ id, title, category, estimateMs: 2000 })) }],
      [500, { type: 'setup', text: 'starting a private PostgreSQL' }],
      [500, { type: 'check-end', result: byId('cache.basic') }],
      [0, { type: 'check-start', id: 'queries.basic' }],
      [11_300, { type: 'check-progress', id: 'queries.basic', text: 'running point_lookup (1/3)' }],
      [1700, { type: 'check-end', result: byId('queries.basic') }],
      [100, { type: 'check-end', result: byId('pool.connect') }],
      [100, { type: 'check-end', result: byId('backup.restore') }],
      [100, { type: 'teardown', text: 'cleaning up' }],
    ];
    for (const [dt, e] of events) {
      t += dt;
      view.onEvent(e);
    }
    await view.done();
    const lines = text().trimEnd().split('\n');
    expect(lines[0]).toBe('[0.0s 0/4] plan: 4 checks: queries.basic, cache.basic, pool.connect, backup.restore');
    expect(lines[1]).toBe('[0.5s 0/4] setup: starting a private PostgreSQL');
    // The skip known from the start is printed when the next event comes, with the count it brought.
    expect(lines[2]).toBe('[1.0s 1/4] cache.basic: SKIP: REDIS_URL not set');
    expect(lines[3]).toBe('[1.0s 1/4] queries.basic: started (Basic financial queries)');
    expect(lines[4]).toBe('[12.3s 1/4] queries.basic: running point_lookup (1/3)');
    expect(lines[5]).toMatch(/^\[14\.0s 2\/4\] queries\.basic: FAIL \(2\.1 s\): query_duration\{query:point_lookup\} p\(95\)<100 → measured 950 ms, limit 100 ms · ETA ~0:0\d$/);
    expect(lines[6]).toMatch(/^\[14\.1s 3\/4\] pool\.connect: PASS \(1\.2 s\) · ETA ~0:0\d$/);
    expect(lines[7]).toBe('[14.2s 4/4] backup.restore: FAIL (950 ms): pg_restore: error: could not execute query: permission denied for schema public');
    expect(lines[8]).toBe('[14.3s 4/4] teardown: cleaning up');
  });

  it('folds checks skipped at once for one reason into one line', async () => {
    const { stream, text } = capture();
    const view = createProgressView({ tty: false, stream, color: false });
    view.onEvent(plan);
    for (const id of ['a.one', 'a.two', 'a.three']) view.onEvent({ type: 'check-end', result: { ...byId('cache.basic'), id, reason: 'not run: PostgreSQL could not be opened' } });
    view.onEvent({ type: 'teardown', text: 'cleaning up' });
    await view.done();
    const lines = text().trimEnd().split('\n');
    expect(lines.filter((l) => l.includes('could not be opened'))).toEqual([expect.stringMatching(/3 checks: SKIP: not run: PostgreSQL could not be opened \(a\.one, a\.two, a\.three\)$/)]);
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
    for (const line of lines) expect(line).toMatch(/^\[\d+\.\ds( \d+\/\d+)?\] /);
    expect(lines[0]).toMatch(/nobody\.knows: line one line two$/);
    expect(lines[1]).toMatch(/integrity\.fk: WARN \(640 ms\): orphan_rows count==0 → measured 3, limit 0( · ETA ~\d+:\d\d)?$/);
  });

  it('colors the status only when asked', () => {
    const { stream, text } = capture();
    createProgressView({ tty: false, stream, color: true }).onEvent({ type: 'check-end', result: byId('pool.connect') });
    expect(text()).toContain('\u001b[32mPASS');
  });
});

describe('terminal progress view', () => {
  // The 35 checks of a real quick run, in its order and categories.
  const real = parseRunJson(gunzipSync(readFileSync(path.join(import.meta.dirname, '../fixtures/runs/quick-run.json.gz'))).toString('utf8'), 'quick-run.json');
  const realPlan: RunEvent = { type: 'plan', checks: real.checks.map(({ id, title, category }) => ({ id, title, category, estimateMs: 1000 })) };
  const visible = (l: string) => l.replace(new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g'), '');

  /** The state of a run at its `at`-th check: earlier checks ended as in the real run, the `at`-th running. */
  function stateAt(at: number, clockMs: { t: number }): ProgressState {
    const state = new ProgressState(() => clockMs.t);
    state.apply(realPlan);
    state.apply({ type: 'check-end', result: { ...real.checks.find((c) => c.id === 'tasks.workers')!, reason: 'CELERY_BROKER_URL not set' } });
    real.checks.slice(0, at).forEach((c) => {
      state.apply({ type: 'check-start', id: c.id });
      clockMs.t += 1000;
      state.apply({ type: 'check-end', result: { ...c, durationMs: 1000 } });
    });
    state.apply({ type: 'check-start', id: real.checks[at]!.id });
    state.apply({ type: 'check-progress', id: real.checks[at]!.id, text: `a very long progress line ${'x'.repeat(200)}` });
    clockMs.t += 3000;
    return state;
  }

  it('fits 80 columns and 24 lines at every point of a 35-check run, with count, elapsed and ETA', () => {
    for (let at = 0; at < real.checks.length; at++) {
      const lines = layoutProgress(stateAt(at, { t: 0 }), { columns: 80, rows: 24, p: palette(true) }).map(visible);
      expect(lines.length, `at ${at}`).toBeLessThanOrEqual(23);
      for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(80);
      expect(lines[0]).toMatch(/^stackprobe {2}\d+\/35 checks · \d+:\d\d elapsed · ETA ~\d+:\d\d$/);
      // The running check is always on screen, with its running time.
      expect(lines.some((l) => l.includes(real.checks[at]!.id) && /running 0:03/.test(l)), `at ${at}`).toBe(true);
    }
  });

  it('shows status and duration before the reason, which is what gets cut; distinct marks per status', () => {
    const backup = layoutProgress(stateAt(17, { t: 0 }), { columns: 80, rows: 24, p: palette(false) });
    const archiving = backup.find((l) => l.includes('backup.archiving'))!;
    expect(archiving).toMatch(/^ {2}▲ backup\.archiving\s+WARN\s/);
    expect(backup.find((l) => l.includes('backup.roundtrip'))).toMatch(/^ {2}✔ backup\.roundtrip\s+PASS 1\.0 s/);
    expect(backup.find((l) => l.startsWith('▲ integrity'))).toBeDefined();
    // tasks.workers is known to skip from the start: its category is not pending but shows it done.
    expect(backup.find((l) => l.includes('tasks'))).toMatch(/^· tasks 1\/5 · 1 skip/);
    const failing = new ProgressState(() => 0);
    failing.apply({ type: 'plan', checks: [{ id: 'queries.basic', title: 'x', category: 'queries' }, { id: 'queries.next', title: 'y', category: 'queries' }] });
    failing.apply({ type: 'check-end', result: byId('queries.basic') });
    failing.apply({ type: 'check-start', id: 'queries.next' });
    const line = layoutProgress(failing, { columns: 60, rows: 24, p: palette(false) }).find((l) => l.includes('queries.basic'))!;
    expect(line).toMatch(/^ {2}✖ queries\.basic\s+FAIL 2\.1 s {2}query_duration/);
    expect(line.length).toBeLessThanOrEqual(60);
  });

  it('draws on the given stream in place and settles; no colour codes without colour', async () => {
    const { stream, text } = capture();
    Object.assign(stream, { columns: 80, rows: 24 });
    const view = createProgressView({ tty: true, stream, color: false });
    view.onEvent(plan);
    view.onEvent({ type: 'setup', text: 'starting a private PostgreSQL' });
    for (const c of checks.filter((x) => x.status !== 'skip')) {
      view.onEvent({ type: 'check-start', id: c.id });
      view.onEvent({ type: 'check-end', result: c });
    }
    view.onEvent({ type: 'check-progress', id: 'not.planned', text: 'shown under its own id' });
    await view.done();
    await expect(view.done()).resolves.toBeUndefined();
    const out = text();
    // Finished categories are one line each, marked by their worst status.
    expect(out).toContain('✔ pool 1/1 · 1 pass · 1.2 s');
    expect(out).toContain('✖ queries 1/1 · 1 fail · 2.1 s');
    expect(out).toContain('▲ integrity 1/1 · 1 warn · 640 ms');
    // Redrawn in place: up to the frame's first line, each line erased to its end, never a cleared screen.
    expect(out).toMatch(new RegExp(`${String.fromCharCode(27)}\\[\\d+Fstackprobe`));
    expect(out).not.toContain(`${String.fromCharCode(27)}[0J`);
    expect(out.endsWith('\u001b[?25h')).toBe(true);
    expect(out).not.toMatch(new RegExp(`${String.fromCharCode(27)}\\[(3\\d|9\\d)m`));
  });

  it('finishes at once when nothing ever arrived', async () => {
    const { stream, text } = capture();
    const view = createProgressView({ tty: true, stream, color: true });
    await view.done();
    expect(text()).toBe('');
  });
});
