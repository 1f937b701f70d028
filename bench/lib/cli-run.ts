// Runs the built CLI (dist/cli/main.js) as a child process, sampling its RSS once a second (and, when asked, its memory
// still reachable after a full GC), and reads its run.json.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { rssMb } from './proc.js';

export const CLI = resolve(import.meta.dirname, '../../dist/cli/main.js');
const HEAP_PROBE = resolve(import.meta.dirname, 'heap-probe.mjs');

export interface CliRun {
  code: number | null;
  wallMs: number;
  /** [seconds since spawn, RSS MB] once a second. */
  rss: Array<[number, number]>;
  /** With `heap`: [seconds since the child started, MB reachable after a full GC (V8 heap used + external)]. */
  heap: Array<[number, number]>;
  /** The same samples' V8 heap alone (external memory, which holds libpg-query's WebAssembly memory, left out). */
  v8Heap: Array<[number, number]>;
  runJson: { checks?: Array<{ id: string; status: string; metrics: Array<{ type: string; summary?: { count: number } }> }> } | undefined;
  stderrTail: string;
}

export interface CliRunOptions {
  config?: unknown;
  timeoutMs?: number;
  /** Preload bench/lib/heap-probe.mjs: a full GC every few seconds and what survives it (it costs the run a little CPU). */
  heap?: boolean;
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv, opts: CliRunOptions = {}): Promise<CliRun> {
  const { config, timeoutMs = 20 * 60_000 } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'stackprobe-bench-'));
  try {
    const extra = config === undefined ? [] : ['--config', join(dir, 'config.json')];
    if (config !== undefined) writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const heapFile = join(dir, 'heap.txt');
    const node = opts.heap ? ['--expose-gc', '--import', HEAP_PROBE] : [];
    const childEnv = opts.heap ? { ...env, STACKPROBE_BENCH_HEAP_FILE: heapFile } : env;
    const t0 = performance.now();
    const child = spawn(process.execPath, [...node, CLI, 'run', ...args, ...extra, '--output', join(dir, 'out'), '--format', 'json', '--no-color'], { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const rss: Array<[number, number]> = [];
    const sampler = setInterval(() => {
      const mb = rssMb(child.pid!);
      if (Number.isFinite(mb)) rss.push([(performance.now() - t0) / 1000, mb]);
    }, 1000);
    const killer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    const code = await new Promise<number | null>((done, fail) => {
      child.on('error', fail);
      child.on('close', done);
    });
    clearInterval(sampler);
    clearTimeout(killer);
    let runJson: CliRun['runJson'];
    try {
      // Each run writes into its own directory under --output; `latest` names it.
      runJson = JSON.parse(readFileSync(join(dir, 'out', 'latest', 'run.json'), 'utf8')) as CliRun['runJson'];
    } catch (err) {
      void err; // no run.json: the caller reports the exit code and stderr
    }
    const { heap, v8Heap } = readHeapSamples(existsSync(heapFile) ? readFileSync(heapFile, 'utf8') : '');
    return { code, wallMs: performance.now() - t0, rss, heap, v8Heap, runJson, stderrTail: stderr.trim().split('\n').slice(-3).join(' | ') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** heap-probe.mjs's lines: seconds, heapUsed, external, arrayBuffers (bytes; external includes arrayBuffers). */
export function readHeapSamples(text: string): Pick<CliRun, 'heap' | 'v8Heap'> {
  const heap: CliRun['heap'] = [];
  const v8Heap: CliRun['v8Heap'] = [];
  for (const line of text.trim().split('\n').filter(Boolean)) {
    const [t, used, external] = line.split(' ').map(Number) as [number, number, number];
    heap.push([t, (used + external) / 2 ** 20]);
    v8Heap.push([t, used / 2 ** 20]);
  }
  return { heap, v8Heap };
}

/** The RSS sample nearest to `atS` seconds. */
export function rssAt(rss: Array<[number, number]>, atS: number): number {
  let best: [number, number] | undefined;
  for (const s of rss) if (!best || Math.abs(s[0] - atS) < Math.abs(best[0] - atS)) best = s;
  return best ? best[1] : Number.NaN;
}

/** Samples recorded into every trend of one check of a run.json. */
export function trendSamples(run: CliRun['runJson'], checkId: string): number {
  const check = run?.checks?.find((c) => c.id === checkId);
  return (check?.metrics ?? []).reduce((n, m) => n + (m.type === 'trend' ? (m.summary?.count ?? 0) : 0), 0);
}
