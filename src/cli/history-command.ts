// `stackprobe history DIR`: lists the runs in a directory (its *.json files and */run.json) as a table over time.
import type { Command } from 'commander';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { historyRows, renderHistoryMarkdown, renderHistoryText } from '../compare/history.js';
import { readRunFile } from '../result/read.js';
import type { RunResult } from '../result/model.js';
import { ConfigError } from '../util/errors.js';
import { EXIT } from './exit-codes.js';

/** Candidate files: DIR/*.json and DIR/<sub>/run.json (one directory per run, as `--output results/$DATE` gives). */
async function candidates(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new ConfigError(`${dir}: cannot read the directory (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const out: string[] = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isFile() && e.name.endsWith('.json')) out.push(full);
    if (e.isDirectory()) {
      const inner = path.join(full, 'run.json');
      // A sub-directory without a run.json is simply not a run; stat's ENOENT is the expected answer.
      if (await stat(inner).then((s) => s.isFile(), () => false)) out.push(inner);
    }
  }
  return out.sort();
}

export async function historyCommand(dir: string, opts: { format?: string }): Promise<number> {
  const format = opts.format ?? 'text';
  if (!['text', 'md', 'json'].includes(format)) throw new ConfigError(`--format: expected text, md or json, got ${JSON.stringify(format)}`);
  const runs: Array<{ file: string; result: RunResult }> = [];
  for (const file of await candidates(dir)) {
    try {
      runs.push({ file: path.relative(dir, file), result: await readRunFile(file) });
    } catch (err) {
      // Other JSON files (a config, a baseline of another version) may share the directory: say so and go on.
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`stackprobe: skipped ${err.message}\n`);
    }
  }
  if (runs.length === 0) throw new ConfigError(`${dir}: no stackprobe results found (looked for *.json and */run.json)`);
  const rows = historyRows(runs);
  if (format === 'json') process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else process.stdout.write(format === 'md' ? renderHistoryMarkdown(rows) : renderHistoryText(rows));
  return EXIT.ok;
}

export function registerHistoryCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('history')
    .description('list the runs in a directory (*.json and */run.json) as a table over time')
    .argument('<dir>', 'a directory of run.json files')
    .option('--format <format>', 'text, md or json', 'text')
    .action(async (dir: string, opts: { format?: string }) => setExit(await historyCommand(dir, opts)));
}
