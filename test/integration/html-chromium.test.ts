// The HTML report of a real run, opened in headless Chromium (Debian's, never a downloaded one): charts drawn with data
// for every category that ran, no console errors, no network request at all; screenshots kept under test/output/.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/model.js';
import { runCli, runDirOf } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const CHROMIUM = process.env.STACKPROBE_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = path.resolve(import.meta.dirname, '../output/html-chromium');
const REDIS_URL = process.env.STACKPROBE_TEST_REDIS ?? 'redis://127.0.0.1:6379/0';

let dir: string;
let db: TestDatabase;
let browser: Browser;
let result: RunResult;
let htmlFile: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-html-'));
  db = await createTestDatabase();
  const out = path.join(dir, 'run');
  // The pool size sweep is left out for time (12 s of three rounds); the concurrency and load curves exercise the same
  // curve drawing (src/report/html/curves.ts).
  const r = await runCli(['run', '--quick', '--skip', 'pool.sizing', '--output', out, '--format', 'json,md,html,junit'], { env: { DATABASE_URL: db.url, REDIS_URL } });
  // A failing check (exit 1) still writes every report; only bad usage (2) or a crash would leave nothing to look at.
  expect([0, 1], r.stderr).toContain(r.code);
  result = JSON.parse(await readFile(path.join(runDirOf(out), 'run.json'), 'utf8')) as RunResult;
  htmlFile = path.join(runDirOf(out), 'report.html');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 110_000);

afterAll(async () => {
  await browser?.close();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('report.html of a real run in Chromium', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`draws charts with data for every category that ran, without errors or network (${scheme})`, async () => {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, colorScheme: scheme });
      const requests: string[] = [];
      const errors: string[] = [];
      await page.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
        requests.push(url);
        return route.abort();
      });
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('requestfailed', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
      await page.goto(`file://${htmlFile}`, { waitUntil: 'load' });

      const ran = new Set(result.checks.filter((c) => c.status !== 'skip' && (c.timeSeries.some((s) => s.points.length) || c.metrics.some((m) => m.type === 'trend' && m.summary.count > 0))).map((c) => c.category));
      expect(ran.size).toBeGreaterThan(0);
      expect(ran).toContain('queries');
      for (const category of ran) {
        const section = page.locator(`section.category[data-category="${category}"]`);
        const charts = section.locator('svg.chart');
        expect(await charts.count(), category).toBeGreaterThan(0);
        const drawn = await charts.evaluateAll((els) => els.map((el) => ({
          points: Number(el.getAttribute('data-points')),
          marks: el.querySelectorAll('g.series path, rect.bar').length,
          width: el.getBoundingClientRect().width,
        })));
        expect(drawn.every((d) => d.points > 0 && d.marks > 0 && d.width > 100), `${category}: ${JSON.stringify(drawn.slice(0, 3))}`).toBe(true);
      }
      // Every check shows its badge, and categories that were skipped entirely say so.
      expect(await page.locator('section.check').count()).toBe(result.checks.length);
      for (const c of result.checks) expect(await page.locator(`section.check[data-check="${c.id}"][data-status="${c.status}"] .badge.${c.status}`).count(), c.id).toBeGreaterThan(0);
      expect(await page.locator('#summary .badge').count()).toBeGreaterThanOrEqual(result.checks.length);
      expect(requests).toEqual([]);
      expect(errors).toEqual([]);

      await mkdir(SHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SHOTS, `report-${scheme}.png`), fullPage: true });
      await page.emulateMedia({ media: 'print' });
      await page.pdf({ path: path.join(SHOTS, `report-${scheme}.pdf`) }).catch((err: Error) => {
        // Printing to PDF only exists in headless Chromium; a headed run has nothing to prove here.
        if (!/only supported in headless/i.test(err.message)) throw err;
      });
      await page.close();
    });
  }
});
