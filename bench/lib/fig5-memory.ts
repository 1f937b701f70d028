// Figure 5: stackprobe's memory over a long load run (flat from 1 min to the end) and with 10× the samples (no growth).
// Judged on what is still reachable after a full GC (V8 heap + external buffers), which is what a leak grows; RSS is
// shown beside it: it also moves with how large V8 lets its heap grow between collections, which is not retention.
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
  const cmd = (rate: number, s: number) => `DATABASE_URL=… REDIS_URL=… node --expose-gc --import bench/lib/heap-probe.mjs dist/cli/main.js run --only load --config {"load":{"stages":[{"rate":${rate},"duration":"${s}s"}]}}; VmRSS from /proc/<pid>/status once a second, reachable memory after a full GC every 5 s`;
  opts.log(`fig 5: load run at ${RATE} req/s for ${longS} s`);
  const long = await runCli(args, env, { config: loadConfig(RATE, longS), heap: true });
  opts.log(`fig 5: load run at ${RATE * 10} req/s for ${shortS} s`);
  const dense = await runCli(args, env, { config: loadConfig(RATE * 10, shortS), heap: true });
  for (const r of [long, dense]) {
    if (!r.runJson) throw new Error(`the load run wrote no run.json (exit ${r.code}): ${r.stderrTail}`);
    if (r.heap.length < 3) throw new Error('the heap probe wrote fewer than 3 samples (bench/lib/heap-probe.mjs)');
  }
  const longEnd = end(long, longS);
  // After the first minute (set-up, JIT, the heap finding its size) a leak shows as a steady slope.
  const slopeFrom = Math.min(120, longS / 2);
  const at = (samples: CliRun['heap'], t: number) => windowMedian(samples, t, HALF);
  const rssEarly = at(long.rss, early);
  const rssEnd = at(long.rss, longEnd - HALF);
  const peak = Math.max(...long.rss.map((s) => s[1]));
  const rssPerMin = slope(long.rss, slopeFrom, longEnd) * 60;
  const heapEarly = at(long.heap, early);
  const heapEnd = at(long.heap, longEnd - HALF);
  const heapGrowth = pct(heapEnd, heapEarly);
  // The split says where growth is: external memory is mostly libpg-query's WebAssembly memory (~128 MB reserved when
  // the parser loads, little of it resident), so the V8 heap is where a leak of JavaScript objects shows.
  const v8Early = at(long.v8Heap, early);
  const v8End = at(long.v8Heap, longEnd - HALF);
  const growthNote = `flat: within 1 % either way; ${formatNumber(heapEnd - heapEarly)} MB, of which the V8 heap ${formatNumber(v8Early)} → ${formatNumber(v8End)} MB and the rest external memory (≈ 128 MB of it the SQL parser's WebAssembly memory)`;
  const heapPerMin = slope(long.heap, slopeFrom, longEnd) * 60;
  const n = trendSamples(long.runJson, 'load.mixed');
  const n10 = trendSamples(dense.runJson, 'load.mixed');
  const denseEnd = end(dense, shortS);
  const denseHeap = at(dense.heap, denseEnd - HALF);
  const denseRss = at(dense.rss, denseEnd - HALF);
  const sameSamples = pct(denseHeap, heapEnd);
  const long1 = cmd(RATE, longS);
  const dense1 = cmd(RATE * 10, shortS);
  const retained = 'V8 heap used + external buffers after a full GC every 5 s (bench/lib/heap-probe.mjs)';
  return [
    { figure: 5, measure: `load run: retained at ${early} s`, value: heapEarly, unit: 'MB', note: `${retained}; median of the samples ±${HALF} s`, command: long1, detail: { heap: long.heap } },
    { figure: 5, measure: `load run: retained at the end (${Math.round(longEnd)} s)`, value: heapEnd, unit: 'MB', note: `${n.toLocaleString('en-US')} samples recorded`, command: long1 },
    { figure: 5, measure: `load run: retained growth ${early} s → end`, value: heapGrowth, unit: '%', target: '≤ 1 %', met: Math.abs(heapGrowth) <= 1, note: growthNote, command: long1 },
    { figure: 5, measure: `load run: retained slope after ${slopeFrom} s`, value: heapPerMin, unit: 'MB/min', target: '< 1 MB/min', met: heapPerMin < 1, note: 'least squares over the samples; a leak shows as a steady slope', command: long1 },
    {
      figure: 5, measure: `10× rate, same sample count: retained vs the base run's end`, value: sameSamples, unit: '%', target: '< 10 %', met: sameSamples < 10,
      note: `${formatNumber(denseHeap)} MB with ${n10.toLocaleString('en-US')} samples after ${Math.round(denseEnd)} s vs ${formatNumber(heapEnd)} MB with ${n.toLocaleString('en-US')} after ${Math.round(longEnd)} s`,
      command: dense1, detail: { heap: dense.heap },
    },
    // RSS: it is what the machine gives the process, so its peak has a ceiling (issue 34: ≤ 150 MB); it also holds the
    // garbage V8 lets accumulate between collections (a larger heap at a higher rate), so its growth is read beside
    // the retained figures, not instead of them.
    { figure: 5, measure: `load run: RSS at ${early} s → end`, value: rssEnd, unit: 'MB', target: '≤ 150 MB', met: peak <= 150, note: `${formatNumber(rssEarly)} → ${formatNumber(rssEnd)} MB (${formatNumber(pct(rssEnd, rssEarly))} %); peak ${formatNumber(peak)} MB (the target is on the peak)`, command: long1, detail: { rss: long.rss } },
    { figure: 5, measure: `load run: RSS slope after ${slopeFrom} s`, value: rssPerMin, unit: 'MB/min', note: 'least squares; compare with the retained slope above', command: long1 },
    { figure: 5, measure: `10× rate: RSS vs the base run's end`, value: pct(denseRss, rssEnd), unit: '%', note: `${formatNumber(denseRss)} vs ${formatNumber(rssEnd)} MB: 10× the requests in flight and garbage per second`, command: dense1, detail: { rss: dense.rss } },
  ];
}
