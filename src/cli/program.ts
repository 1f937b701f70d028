// Commander wiring only: parse arguments, call the library, map errors to exit codes and messages.
import { Command, CommanderError, Option } from 'commander';
import { configJsonSchema } from '../config/schema.js';
import { validateCheckNames } from '../config/check-ids.js';
import { loadConfig } from '../config/load.js';
import { loadPlugins } from '../run/plugins.js';
import { renderConfigDocs } from '../config/docs-table.js';
import { builtinChecks } from '../checks/index.js';
import { ConfigError, describeError } from '../util/errors.js';
import { redactText } from '../util/redact.js';
import { terminalSafe } from '../util/terminal-safe.js';
import { TOOL_VERSION } from '../version.js';
import { EXIT } from './exit-codes.js';
import { registerCompareCommand } from './compare-command.js';
import { registerHistoryCommand } from './history-command.js';
import { registerMergeCommand } from './merge-command.js';
import { reportCommand } from './report-command.js';
import { runCommand } from './run-command.js';
import type { RunFlags } from './flags.js';

const EXAMPLES = `
Examples:
  $ stackprobe run --quick                       # no URLs: tests a private embedded PostgreSQL
  $ DATABASE_URL=postgres://app@db:5432/app stackprobe run --full --output results/
  $ stackprobe run --read-only --only queries     # production-safe: writes nothing
  $ stackprobe run --config stackprobe.json --json > run.json
  $ stackprobe report results/run.json --format md,html,junit
  $ stackprobe compare baseline.json results/run.json --max-regression 10%
  $ stackprobe history results/
  $ stackprobe run --load-test --workers 2 --segment 1/2   # then: stackprobe merge a/run.json b/run.json
  $ stackprobe config schema > stackprobe.schema.json

Environment: DATABASE_URL, REDIS_URL, CELERY_BROKER_URL, CELERY_RESULT_BACKEND
  (the config file overrides the environment; flags override both).
Exit codes: 0 every check passed or warned, 1 a check failed, 2 bad usage or config, 130 interrupted.`;

function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--quick', 'short run on small data (the default)')
    .option('--full', 'longer runs on larger data')
    .option('--load-test', 'the load profile (with the quick checks)')
    .option('-c, --config <file>', 'JSON config file (see example_config.json)')
    .option('-o, --output <dir>', 'where runs are kept: each run writes run.json, the reports and stackprobe.log into its own <time>-<id>/ directory there, and latest points at the newest (default: results)');
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('stackprobe')
    .description('Tests the performance and integrity of your data stack: PostgreSQL, Redis, Celery, under load.')
    .version(TOOL_VERSION, '-V, --version')
    .enablePositionalOptions()
    // Before any subcommand is added: subcommands copy this setting when they are created.
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXAMPLES);

  // The reference tool's top-level flags: `stackprobe --quick`, `stackprobe --report-only run.json`.
  addRunOptions(program).option('--report-only <file>', 'rebuild the reports from a run.json (same as `stackprobe report FILE`)');
  program.action(async (opts: RunFlags & { reportOnly?: string }) => {
    setExit(opts.reportOnly ? await reportCommand(opts.reportOnly, { format: 'md,console', ...(opts.output ? { output: opts.output } : {}) }) : await runCommand(opts));
  });

  addRunOptions(program.command('run').description('run the checks and write the reports'))
    .option('--only <list>', 'only these categories or check ids, comma-separated (e.g. queries,pool.acquire)')
    .option('--skip <list>', 'skip these categories or check ids, comma-separated')
    .option('--read-only', 'write nothing anywhere (no schema, no keys): only checks that read')
    .option('--keep-data', 'keep the stackprobe schema after the run')
    .option('--format <list>', 'report files to write: json,md,html,junit,prom (default: json,md,html)')
    .option('--baseline <file>', 'compare with this run.json; the comparison goes into report.md and report.html')
    .option('--push <url>', 'push the key figures to this Prometheus Pushgateway after the run')
    .option('--workers <n>', 'load: spread the virtual users over N worker threads (histograms merged exactly)')
    .option('--segment <i/n>', 'load: run the i-th of n equal shares of the load (one machine each; then `stackprobe merge`)')
    .addOption(new Option('--log-level <level>', 'level of stackprobe.log').choices(['debug', 'info', 'warn', 'error']))
    .option('--json', 'print run.json on stdout (the summary and progress go to stderr)')
    .option('--verbose', 'print every check with all its figures at the end, not just the one-screen summary')
    .option('--no-color', 'no ANSI colours')
    .addHelpText('after', EXAMPLES)
    .action(async (opts: RunFlags) => setExit(await runCommand(opts)));

  program
    .command('report')
    .description("rebuild reports from a run.json alone (the reference tool's --report-only)")
    .argument('<run>', 'a run.json, a run\'s directory, or an output directory (its latest run)')
    .option('--format <list>', 'formats: json,md,html,junit,prom,console (default: all of them)')
    .option('--verbose', 'the console summary with every check and figure')
    .option('-o, --output <dir>', 'where to write the files (default: next to run.json)')
    .option('--no-color', 'no ANSI colours')
    .action(async (file: string, opts: { format?: string; output?: string; color?: boolean; verbose?: boolean }) => setExit(await reportCommand(file, opts)));

  const config = program.command('config').description('the configuration file');
  config
    .command('schema')
    .description('print the JSON Schema of the config file')
    .action(() => {
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });
  config
    .command('docs')
    .description('print the config reference as a Markdown table (docs/config.md is made from it)')
    .action(() => {
      process.stdout.write(renderConfigDocs(configJsonSchema()));
    });
  config
    .command('validate')
    .description('validate a config file (with the environment) and print the effective config, URLs redacted')
    .argument('<file>', 'the JSON config file')
    .action(async (file: string) => {
      const { config: c, baseDir } = await loadConfig({ env: process.env, file });
      validateCheckNames(c, [...builtinChecks, ...(await loadPlugins(c.plugins, baseDir))]);
      process.stdout.write(`${redactText(JSON.stringify(c, null, 2))}\n`);
    });

  program
    .command('checks')
    .description('list the built-in checks')
    .action(() => {
      for (const c of builtinChecks) process.stdout.write(`${c.id.padEnd(24)} ${c.title}  (needs: ${c.needs.join(', ') || 'nothing'}${c.writes ? '; writes' : ''})\n`);
    });

  registerCompareCommand(program, setExit);
  registerHistoryCommand(program, setExit);
  registerMergeCommand(program, setExit);

  return program;
}

/** Parses argv and runs; returns the exit code. Expected failures print one line, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; every other parse error is bad usage.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    // Messages may quote a config file, a run.json or a server's error: shown as text, never as terminal commands.
    if (err instanceof ConfigError) {
      process.stderr.write(`stackprobe: ${terminalSafe(err.message).split('\n').join('\nstackprobe: ')}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`stackprobe: unexpected error: ${terminalSafe(redactText(describeError(err)))}\n`);
    if (process.env.STACKPROBE_DEBUG) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return EXIT.checkFailed;
  }
}
