// Figure 5: stackprobe's memory over a long load run (flat from 1 min to the end) and with 10× the samples (no growth).
import { runCli, trendSamples, type CliRun } from './cli-run.js';
import { slope, windowMedian } from './stats.js';
import { formatNumber } from './table.js';
import type { BenchOptions, Row } from './types.js';

const RATE = 50;
/** RSS "at" a moment is the median of the samples within ±15 s: one sample can land in a GC dip or spike. */
const HALF = 15;

function loadConfig(rate: number, seconds: number) {
  // One stage of the load check's mixed scenario; the check's time budget is raised so the stage is not shortened.
  return { load: { stages: [{ rate, duration: `${seconds}s` }] }, timeouts: { check_ms: (seconds + 120) * 1000 } };
}

const pct = (a: number, b: number) => ((a - b) / b) * 100;
const end = (r: CliRun, fallback: number) => r.rss.at(-1)?.[0] ?? fallback;

export async function figureMemory(opts: BenchOptions): Promise<Row[]> {
  const longS = opts.quick ? 60 : 600;
  const shortS = opts.quick ? 30 : 60;
  const early = opts.quick ? 30 : 60;
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: opts.pgUrl, REDIS_URL: opts.redisUrl };
  delete env.CELERY_BROKER_URL;
  const args = ['--only', 'load'];
  const cmd = (rate: number, s: number) => `DATABASE_URL=… REDIS_URL=… node dist/cli/main.js run --only load --config {"load":{"stages":[{"rate":${rate},"duration":"${s}s"}]}}; VmRSS from /proc/<pid>/status once a second`;
  opts.log(`fig 5: load run at ${RATE} req/s for ${longS} s`);
  const long = await runCli(args, env, loadConfig(RATE, longS));
  opts.log(`fig 5: load run at ${RATE * 10} req/s for ${shortS} s`);
  const dense = await runCli(args, env, loadConfig(RATE * 10, shortS));
  for (const r of [long, dense]) if (!r.runJson) throw new Error(`the load run wrote no run.json (exit ${r.code}): ${r.stderrTail}`);
  const longEnd = end(long, longS);
  const atEarly = windowMedian(long.rss, early, HALF);
  const atEnd = windowMedian(long.rss, longEnd - HALF, HALF);
  const peak = Math.max(...long.rss.map((s) => s[1]));
  const growth = pct(atEnd, atEarly);
  // After the first minute (set-up, JIT, the heap finding its size) a leak shows as a steady slope.
  const perMin = slope(long.rss, Math.min(120, longS / 2), longEnd) * 60;
  const n = trendSamples(long.runJson, 'load.mixed');
  const n10 = trendSamples(dense.runJson, 'load.mixed');
  const denseEnd = end(dense, shortS);
  const denseAt = windowMedian(dense.rss, denseEnd - HALF, HALF);
  const baseSameTime = windowMedian(long.rss, denseEnd - HALF, HALF);
  const sameSamples = pct(denseAt, atEnd);
  const long1 = cmd(RATE, longS);
  const dense1 = cmd(RATE * 10, shortS);
  return [
    { figure: 5, measure: `load run: RSS at ${early} s`, value: atEarly, unit: 'MB', note: `median of the samples ±${HALF} s; peak ${formatNumber(peak)} MB`, command: long1, detail: { rss: long.rss } },
    { figure: 5, measure: `load run: RSS at the end (${Math.round(longEnd)} s)`, value: atEnd, unit: 'MB', note: `${n.toLocaleString('en-US')} samples recorded`, command: long1 },
    { figure: 5, measure: `load run: RSS growth ${early} s → end`, value: growth, unit: '%', target: '< 10 %', met: growth < 10, command: long1 },
    { figure: 5, measure: `load run: RSS slope after ${Math.min(120, longS / 2)} s`, value: perMin, unit: 'MB/min', target: '< 1 MB/min', met: perMin < 1, note: 'least squares over the samples; a leak shows as a steady slope', command: long1 },
    {
      figure: 5, measure: `10× rate, same sample count: RSS vs the base run's end`, value: sameSamples, unit: '%', target: '< 10 %', met: sameSamples < 10,
      note: `${formatNumber(denseAt)} MB with ${n10.toLocaleString('en-US')} samples after ${Math.round(denseEnd)} s vs ${formatNumber(atEnd)} MB with ${n.toLocaleString('en-US')} after ${Math.round(longEnd)} s`,
      command: dense1, detail: { rss: dense.rss },
    },
    {
      figure: 5, measure: `10× rate: RSS vs the base run at the same time`, value: pct(denseAt, baseSameTime), unit: '%',
      note: `${formatNumber(denseAt)} vs ${formatNumber(baseSameTime)} MB: 10× the requests in flight and garbage per second (a larger heap), not kept samples`,
      command: dense1,
    },
  ];
}
