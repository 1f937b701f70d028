/// <reference lib="dom" />
// The live view of a Celery throughput check in headless Chromium (Debian's): the backlog chart grows while the burst and
// the steady phase run, not only when the check ends; report.html then marks the burst, the steady phase and the drain on
// the completions chart, each band from when the check started that phase.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/model.js';
import { startCeleryWorker, type CeleryWorker } from '../helpers/celery-worker.js';
import { runDirOf, startCli } from '../helpers/cli.js';

const CHROMIUM = process.env.STACKPROBE_CHROMIUM ?? '/usr/bin/chromium';
/** Kept for review with the other report screenshots. */
const SHOTS = path.resolve(import.meta.dirname, '../output/html-chromium');

let dir: string;
let worker: CeleryWorker;
let browser: Browser;

beforeAll(async () => {
  [dir, worker] = await Promise.all([mkdtemp(path.join(os.tmpdir(), 'stackprobe-html-tasks-')), startCeleryWorker({ concurrency: 2 })]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('live view of a Celery run', () => {
  it('the backlog chart grows during the run; report.html bands the burst, the steady phase and the drain', async () => {
    const cfg = path.join(dir, 'tasks.json');
    await writeFile(cfg, JSON.stringify({ tasks: { queue: worker.queue, burst: 300, rate: 40, duration_s: 4, drain_timeout_s: 20 } }));
    const out = path.join(dir, 'out');
    const run = startCli(['run', '--only', 'tasks.throughput', '-c', cfg, '--dashboard', '--output', out, '--format', 'json,html'], {
      env: { CELERY_BROKER_URL: worker.broker, CELERY_RESULT_BACKEND: worker.backend },
    });
    let url: string | undefined;
    let ended = false;
    void run.done.then(() => { ended = true; });
    while (!url && !ended) {
      url = /Live view: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(run.output())?.[1];
      if (!url) await new Promise((r) => setTimeout(r, 50));
    }
    expect(url, run.output()).toBeDefined();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(url!, { waitUntil: 'load' });
    await page.evaluate(() => {
      const w = window as unknown as { seen: number[] };
      w.seen = [];
      setInterval(() => {
        const svg = document.querySelector('#live figure.live[data-live-check="tasks.throughput"] svg.chart[data-points]');
        if (svg) w.seen.push(Number(svg.getAttribute('data-points')));
      }, 200);
    });
    const r = await run.done;
    expect([0, 1, 3], r.stderr).toContain(r.code);
    await page.waitForFunction(() => document.documentElement.getAttribute('data-live') === 'done', null, { timeout: 10_000 });
    const seen = await page.evaluate(() => (window as unknown as { seen: number[] }).seen);
    await page.close();
    // Seen mid-run, and with more points later than first: the chart moved while the check ran.
    expect(seen.length, run.output()).toBeGreaterThan(1);
    expect(Math.max(...seen)).toBeGreaterThan(seen[0]!);

    const runDir = runDirOf(out);
    const result = JSON.parse(await readFile(path.join(runDir, 'run.json'), 'utf8')) as RunResult;
    const check = result.checks.find((c) => c.id === 'tasks.throughput')!;
    expect(check.status, check.reason).not.toBe('skip');
    const phases = check.info.phase_starts_s as { burst: number; steady: number; drain: number };
    expect(phases.burst).toBeLessThan(phases.steady);
    expect(phases.steady).toBeLessThan(phases.drain);
    const report = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await report.goto(`file://${path.join(runDir, 'report.html')}`, { waitUntil: 'load' });
    const figure = report.locator('section.category[data-category="tasks"] figure.headline');
    await mkdir(SHOTS, { recursive: true });
    await figure.screenshot({ path: path.join(SHOTS, 'report-tasks-figure-1400-light.png') });
    const bands = await figure.locator('svg g.band text').allTextContents();
    await report.close();
    expect(bands[0]).toBe('burst');
    expect(bands[1]).toMatch(/^steady 40\/s$/);
    // A drain band only when completions went on after the sends ended.
    if (bands.length > 2) expect(bands[2]).toBe('drain');
  }, 120_000);
});
