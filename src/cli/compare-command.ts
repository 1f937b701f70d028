// `stackprobe compare BASELINE CURRENT`: per-metric changes between two runs (files or run directories), a warning when they
// tested different servers, the figures beyond the noise (all with --all); exit 1 on a regression, 2 on bad input.
import type { Command } from 'commander';
import { ConfigError } from '../util/errors.js';
import { EXIT } from './exit-codes.js';
import { useColor } from './tty.js';

export interface CompareFlags {
  maxRegression?: string;
  minDeltaMs?: string;
  all?: boolean;
  json?: boolean;
  color?: boolean;
}

export async function compareCommand(baselineFile: string, currentFile: string, flags: CompareFlags): Promise<number> {
  // Loaded when the command runs, not when the CLI starts: `--version`, `--help` and the other commands stay quick.
  const [{ compareRuns, hasRegression, parseMargin }, { renderComparisonText }, { locateRunJson }, { readRunFile }, { ReportSection }] = await Promise.all([
    import('../compare/index.js'), import('../report/compare-text.js'), import('../compare/locate.js'), import('../result/read.js'), import('../config/sections/report.js'),
  ]);
  const defaults = ReportSection.parse({});
  const maxRegression = parseMargin(flags.maxRegression ?? defaults.max_regression, '--max-regression');
  const minDeltaMs = flags.minDeltaMs === undefined ? defaults.min_regression_ms : Number(flags.minDeltaMs);
  if (!Number.isFinite(minDeltaMs) || minDeltaMs < 0) throw new ConfigError(`--min-delta-ms: expected a number of milliseconds, got ${JSON.stringify(flags.minDeltaMs)}`);
  const [baseline, current] = await Promise.all([locateRunJson(baselineFile).then(readRunFile), locateRunJson(currentFile).then(readRunFile)]);
  const cmp = compareRuns(baseline, current, { maxRegression, minDeltaMs });
  if (flags.json) process.stdout.write(`${JSON.stringify(cmp, null, 2)}\n`);
  else process.stdout.write(renderComparisonText(cmp, { color: useColor(process.stdout, flags.color), ...(flags.all ? { all: true } : {}) }));
  return hasRegression(cmp) ? EXIT.checkFailed : EXIT.ok;
}

export function registerCompareCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('compare')
    .description('compare a run with a baseline run: exit 1 when a check newly fails or a measured figure got worse beyond the noise of both runs and the margin')
    .argument('<baseline>', 'the reference: a run.json, a run\'s directory, or an output directory (its latest run)')
    .argument('<current>', 'the run to judge: a run.json, a run\'s directory, or an output directory (its latest run)')
    .option('--max-regression <margin>', 'the smallest worsening that matters, e.g. 10% or 0.1; a regression must also exceed the measured noise (default: config report.max_regression, 10%)')
    .option('--min-delta-ms <ms>', 'latency changes smaller than this are never regressions (default 0.5)')
    .option('--all', 'list every figure compared (by default only those beyond the noise), each not judged with why, and p95 per category')
    .option('--json', 'print the comparison as JSON')
    .option('--no-color', 'no ANSI colours')
    .action(async (b: string, c: string, flags: CompareFlags) => setExit(await compareCommand(b, c, flags)));
}
