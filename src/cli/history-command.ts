// `stackprobe history DIR|FILE…`: lists runs (a directory's */run.json and *.json, or files given) as a table over time.
import type { Command } from 'commander';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RunResult } from '../result/model.js';
import { ConfigError } from '../util/errors.js';
import { LATEST_FILE } from '../util/latest.js';
import { EXIT } from './exit-codes.js';
import { screenSize } from './tty.js';

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
    // latest.json points at a run (whose directory is listed anyway); the `latest` symlink is not followed either.
    if (e.isFile() && e.name.endsWith('.json') && e.name !== LATEST_FILE) out.push(full);
    if (e.isDirectory()) {
      const inner = path.join(full, 'run.json');
      // A sub-directory without a run.json is simply not a run; stat's ENOENT is the expected answer.
      if (await stat(inner).then((s) => s.isFile(), () => false)) out.push(inner);
    }
  }
  return out.sort();
}

/** The files to read: a directory's runs, or a file as given. */
async function filesOf(given: string): Promise<Array<{ file: string; label: string }>> {
  const isDir = await stat(given).then((s) => s.isDirectory(), (err: NodeJS.ErrnoException) => {
    throw new ConfigError(`${given}: cannot read it (${err.code ?? String(err)})`);
  });
  if (!isDir) return [{ file: given, label: given }];
  return (await candidates(given)).map((file) => ({ file, label: path.relative(given, file) }));
}

export async function historyCommand(given: string[], opts: { format?: string }): Promise<number> {
  // Loaded when the command runs, not when the CLI starts: `--version`, `--help` and the other commands stay quick.
  const [{ historyRows, renderHistoryMarkdown, renderHistoryText }, { readRunFile }] = await Promise.all([import('../compare/history.js'), import('../result/read.js')]);
  const format = opts.format ?? 'text';
  if (!['text', 'md', 'json'].includes(format)) throw new ConfigError(`--format: expected text, md or json, got ${JSON.stringify(format)}`);
  const runs: Array<{ file: string; result: RunResult }> = [];
  const files = (await Promise.all(given.map(filesOf))).flat();
  for (const { file, label } of files) {
    try {
      runs.push({ file: label, result: await readRunFile(file) });
    } catch (err) {
      // Other JSON files (a config, a baseline of another version) may share the directory: say so and go on.
      if (!(err instanceof ConfigError) || given.includes(file)) throw err;
      process.stderr.write(`stackprobe: skipped ${err.message}\n`);
    }
  }
  const dir = given.join(', ');
  if (runs.length === 0) throw new ConfigError(`${dir}: no stackprobe results found (looked for *.json and */run.json)`);
  const rows = historyRows(runs);
  if (format === 'json') process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else process.stdout.write(format === 'md' ? renderHistoryMarkdown(rows) : renderHistoryText(rows, screenSize(process.stdout).columns));
  return EXIT.ok;
}

export function registerHistoryCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('history')
    .description('list runs as a table over time: verdict, counts, p95 per category, target')
    .argument('<paths...>', 'an output directory (its run directories and *.json), or run.json files')
    .option('--format <format>', 'text, md or json', 'text')
    .action(async (paths: string[], opts: { format?: string }) => setExit(await historyCommand(paths, opts)));
}
