// `stackprobe merge a.json b.json …`: combines the results of several segments (machines) into one result and its reports.
import path from 'node:path';
import type { Command } from 'commander';
import { mergeRunResults } from '../merge/merge-results.js';
import { renderConsoleSummary } from '../report/console.js';
import { writeReports, type ReportFormat } from '../report/index.js';
import { readRunFile } from '../result/read.js';
import { ConfigError } from '../util/errors.js';
import { exitCodeFor } from './exit-codes.js';
import { splitList } from './flags.js';
import { useColor } from './tty.js';

const FORMATS = ['json', 'md', 'console'] as const;

export interface MergeFlags {
  output?: string;
  format?: string;
  color?: boolean;
}

export async function mergeCommand(files: string[], opts: MergeFlags): Promise<number> {
  const formats = splitList(opts.format ?? 'json,md,console');
  for (const f of formats) {
    if (!(FORMATS as readonly string[]).includes(f)) throw new ConfigError(`--format: expected some of ${FORMATS.join(', ')}, got ${JSON.stringify(f)}`);
  }
  const results = await Promise.all(files.map(readRunFile));
  const { result, warnings } = mergeRunResults(results, files);
  for (const w of warnings) process.stderr.write(`stackprobe merge: ${w}\n`);
  const outDir = path.resolve(opts.output ?? 'results/merged');
  const written = await writeReports(result, outDir, formats.filter((f): f is ReportFormat => f !== 'console'));
  if (formats.includes('console')) process.stdout.write(renderConsoleSummary(result, { color: useColor(process.stdout, opts.color), width: process.stdout.columns ?? 100 }));
  if (written.length) process.stdout.write(`Wrote ${written.map((f) => path.relative(process.cwd(), f) || f).join(', ')}\n`);
  // Like `run`: a failed check in the merged result fails CI.
  return exitCodeFor(result);
}

export function registerMergeCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('merge')
    .description('combine the run.json of several segments (--segment i/n) into one result: histograms merged, not averaged')
    .argument('<run.json...>', 'results written by `stackprobe run --segment i/n`')
    .option('-o, --output <dir>', 'where to write the merged run.json and report.md (default: results/merged)')
    .option('--format <list>', 'formats: json,md,console', 'json,md,console')
    .option('--no-color', 'no ANSI colours')
    .action(async (files: string[], opts: MergeFlags) => setExit(await mergeCommand(files, opts)));
}
