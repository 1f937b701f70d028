// `stackprobe merge a.json b.json …`: combines the results of several segments (machines) into one result and its reports.
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError, OutputError } from '../util/errors.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { splitList } from './flags.js';
import { screenSize, useColor } from './tty.js';
import type { ReportFormat } from '../report/index.js';
import type { MergeOutput } from '../merge/merge-results.js';

const FORMATS = ['json', 'md', 'console'] as const;

export interface MergeFlags {
  output?: string;
  format?: string;
  color?: boolean;
  maxSkewMs?: string;
  allowSkew?: boolean;
  allowMissing?: boolean;
}

/** Stages that started this far apart mix different load levels in one merged stage. */
export const DEFAULT_MAX_SKEW_MS = 100;

function maxSkewOf(opts: MergeFlags): number {
  if (opts.maxSkewMs === undefined) return DEFAULT_MAX_SKEW_MS;
  const v = Number(opts.maxSkewMs);
  if (!/^\d+(\.\d+)?$/.test(opts.maxSkewMs.trim()) || !Number.isFinite(v)) throw new ConfigError(`--max-skew-ms: expected a number of milliseconds >= 0, got ${JSON.stringify(opts.maxSkewMs)}`);
  return v;
}

/** The line about segments and skew, and whether the skew refuses the merge. */
function segmentLine(s: MergeOutput['segments'], limit: number): { line?: string; tooLate: boolean } {
  if (s.count <= 1) return { tooLate: false };
  const skew = s.maxSkewMs === undefined ? 'no start facts (segments of an older version: their stages were not started together)' : `largest start skew ${s.maxSkewMs} ms (limit ${limit} ms)`;
  return { line: `Segments: ${s.count - s.missing.length} of ${s.count}${s.runId ? ` of run ${s.runId}` : ''}; ${skew}`, tooLate: s.maxSkewMs !== undefined && s.maxSkewMs > limit };
}

export async function mergeCommand(files: string[], opts: MergeFlags): Promise<number> {
  // Loaded when the command runs, not when the CLI starts: `--version`, `--help` and the other commands stay quick.
  const [{ mergeRunResults }, { builtinChecks }, { renderConsoleSummary }, { writeReports }, { readRunFile }, { locateRunJson }] = await Promise.all([
    import('../merge/merge-results.js'), import('../checks/index.js'), import('../report/console.js'), import('../report/index.js'), import('../result/read.js'), import('../compare/locate.js'),
  ]);
  const formats = splitList(opts.format ?? 'json,md,console');
  for (const f of formats) {
    if (!(FORMATS as readonly string[]).includes(f)) throw new ConfigError(`--format: expected some of ${FORMATS.join(', ')}, got ${JSON.stringify(f)}`);
  }
  const limit = maxSkewOf(opts);
  // Each segment's run.json, its run directory, or its --output directory (the latest run there).
  const paths = await Promise.all(files.map(locateRunJson));
  const results = await Promise.all(paths.map(readRunFile));
  const { result, warnings, segments } = mergeRunResults(results, builtinChecks, paths);
  for (const w of warnings) process.stderr.write(`stackprobe merge: ${w}\n`);
  const { line, tooLate } = segmentLine(segments, limit);
  if (tooLate && !opts.allowSkew) {
    // Refused, not merged: a merged stage would mix the load levels of neighbouring stages.
    process.stderr.write(`stackprobe merge: ${line}: the segments' stages did not start together, so a merged stage would mix different load levels. Not merged; --allow-skew merges anyway, --max-skew-ms raises the limit\n`);
    return EXIT.checkFailed;
  }
  if (tooLate) process.stderr.write(`stackprobe merge: ${line} (merged anyway: --allow-skew)\n`);
  const outDir = path.resolve(opts.output ?? 'results/merged');
  // A full disk loses the files, not the summary: it is printed, then the write's error (OutputError, exit 1).
  const written = await writeReports(result, outDir, formats.filter((f): f is ReportFormat => f !== 'console')).catch((err: unknown) => (err instanceof OutputError ? err : Promise.reject(err)));
  if (formats.includes('console')) process.stdout.write(renderConsoleSummary(result, { color: useColor(process.stdout, opts.color), width: screenSize(process.stdout).columns, height: screenSize(process.stdout).rows }));
  if (written instanceof OutputError) throw written;
  if (line) process.stdout.write(`${line}\n`);
  if (written.length) process.stdout.write(`Wrote ${written.map((f) => path.relative(process.cwd(), f) || f).join(', ')}\n`);
  // Like `run`: a failed check in the merged result fails CI; so does a missing segment (the verdict is only a part's).
  const code = exitCodeFor(result);
  return segments.missing.length > 0 && !opts.allowMissing && code === EXIT.ok ? EXIT.checkFailed : code;
}

export function registerMergeCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('merge')
    .description('combine the run.json of several segments (--segment i/n) into one result: histograms merged, not averaged')
    .argument('<run.json...>', 'results written by `stackprobe run --segment i/n`')
    .option('-o, --output <dir>', 'where to write the merged run.json and report.md (default: results/merged)')
    .option('--format <list>', 'formats: json,md,console', 'json,md,console')
    .option('--max-skew-ms <ms>', `refuse when two segments started stage 1 further apart than this (default ${DEFAULT_MAX_SKEW_MS})`)
    .option('--allow-skew', 'merge even beyond --max-skew-ms (with a warning)')
    .option('--allow-missing', 'exit by the merged verdict even when a segment is missing (it is still named)')
    .option('--no-color', 'no ANSI colours')
    .action(async (files: string[], opts: MergeFlags) => setExit(await mergeCommand(files, opts)));
}
