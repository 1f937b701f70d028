// `npm run bench`: measures stackprobe itself side by side with pgbench and redis-benchmark, prints a table and
// writes bench/results/<date>.json. `-- --quick` runs short rounds and a 1-minute memory run; `-- --only 1,3` picks figures.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { describeError } from '../src/util/errors.js';
import { figurePg } from './lib/fig1-pg.js';
import { figureRedis } from './lib/fig2-redis.js';
import { figureOverhead } from './lib/fig3-overhead.js';
import { figureAccuracy } from './lib/fig4-accuracy.js';
import { figureMemory } from './lib/fig5-memory.js';
import { figureAnswer } from './lib/fig6-answer.js';
import { figureReader } from './lib/fig7-reader.js';
import { renderTable } from './lib/table.js';
import { toolVersions } from './lib/versions.js';
import type { BenchOptions, BenchResult, Row } from './lib/types.js';

const FIGURES: Record<number, { title: string; run: (o: BenchOptions) => Promise<Row[]> }> = {
  1: { title: 'PostgreSQL load vs pgbench', run: figurePg },
  2: { title: 'Redis load vs redis-benchmark', run: figureRedis },
  3: { title: 'overhead', run: figureOverhead },
  4: { title: 'accuracy', run: figureAccuracy },
  5: { title: 'memory', run: figureMemory },
  6: { title: 'time to answer', run: figureAnswer },
  7: { title: 'wire reader, large rows', run: figureReader },
};

export function parseArgs(argv: string[]): { quick: boolean; figures: number[] } {
  const quick = argv.includes('--quick');
  const at = argv.indexOf('--only');
  const figures = at >= 0 ? (argv[at + 1] ?? '').split(',').map(Number).filter((n) => FIGURES[n]) : [1, 2, 3, 4, 5, 6, 7];
  if (figures.length === 0) throw new Error('--only expects figure numbers 1–7, e.g. --only 1,3');
  return { quick, figures };
}

async function main(): Promise<number> {
  const { quick, figures } = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
  const opts: BenchOptions = {
    quick, figures, log,
    pgUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
  };
  const start = loadavg();
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const n of figures) {
    const fig = FIGURES[n]!;
    log(`figure ${n}: ${fig.title}`);
    try {
      rows.push(...(await fig.run(opts)));
    } catch (err) {
      // A figure that cannot run (a tool missing, a service down) is reported, and the others still run.
      const why = describeError(err);
      notes.push(`figure ${n} (${fig.title}) did not run: ${why}`);
      rows.push({ figure: n, measure: `${fig.title}: not measured`, value: Number.NaN, unit: '', note: why.slice(0, 120) });
    }
  }
  const result: BenchResult = {
    date: new Date().toISOString(), mode: quick ? 'quick' : 'full',
    host: { cpus: cpus().length, loadavg: { start, end: loadavg() }, node: process.version, platform: `${process.platform} ${process.arch}` },
    tools: await toolVersions(), rows, notes,
  };
  const fmt = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
  process.stdout.write(`\nstackprobe bench (${result.mode}), ${result.host.cpus} CPUs, load average ${fmt(start)} at start, ${fmt(result.host.loadavg.end)} at end\n\n`);
  process.stdout.write(`${renderTable(rows)}\n`);
  for (const note of notes) process.stdout.write(`\nnote: ${note}\n`);
  const dir = resolve(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  // A partial run (--only) gets its own file, so it never overwrites a complete run of the same day.
  const partial = figures.length < Object.keys(FIGURES).length ? `-fig${figures.join('')}` : '';
  const base = `${result.date.slice(0, 10)}${quick ? '-quick' : ''}${partial}`;
  // Nor a second run of the same figures that day the first (a busy afternoon's over a quiet morning's): -2, -3, …
  let file = resolve(dir, `${base}.json`);
  for (let n = 2; existsSync(file); n++) file = resolve(dir, `${base}-${n}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`, { flag: 'wx' });
  process.stdout.write(`\nwritten: ${file}\n`);
  return notes.length ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then((code) => (process.exitCode = code), (err: unknown) => {
    process.stderr.write(`bench: ${describeError(err)}\n`);
    process.exitCode = 1;
  });
}
