// Commander wiring only: parse arguments, call the library, map errors to exit codes and messages.
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, describeError, OutputError } from '../util/errors.js';
import { redactText } from '../util/redact.js';
import { nearest } from '../util/closest.js';
import { terminalSafe } from '../util/terminal-safe.js';
import { DEFAULT_PG_MAJOR, PG_MAJORS } from '../targets/embedded/builds.js';
import { TOOL_VERSION } from '../version.js';
import { EXIT } from './exit-codes.js';
import { registerCompareCommand } from './compare-command.js';
import { registerConfigCommand } from './config-command.js';
import { registerHistoryCommand } from './history-command.js';
import { registerMergeCommand } from './merge-command.js';
import type { RunFlags } from './flags.js';

/**
 * The examples `--help` shows: test/integration/docs-commands.test.ts reads them from the help output of every command
 * and runs each where an installed stackprobe runs, on real runs (one that starts a run of minutes is parsed and
 * validated as `run` does before it starts).
 */
const HELP_EXAMPLES: ReadonlyArray<{ line: string; note?: string }> = [
  { line: 'stackprobe run --quick', note: 'no URLs: tests a private embedded PostgreSQL' },
  { line: 'DATABASE_URL=postgres://app@db:5432/app stackprobe run --full --output results/' },
  { line: 'stackprobe run --read-only --only queries', note: 'production-safe: writes nothing' },
  { line: 'stackprobe run --config FILE --json > run.json', note: 'FILE: your config (example_config.json in the package has every key)' },
  { line: 'stackprobe report results/latest --format md,html,junit --output rebuilt' },
  { line: 'stackprobe compare baseline.json results/ --max-regression 10%', note: 'baseline.json: a run.json you kept; results/: its latest run' },
  { line: 'stackprobe history results/' },
  { line: 'stackprobe run --load-test --workers 2 --segment 1/2 --output seg1', note: 'then: stackprobe merge seg1/ seg2/' },
  { line: 'stackprobe config schema > stackprobe.schema.json' },
];

const EXAMPLES = `
Examples:
${HELP_EXAMPLES.map((e) => `  $ ${e.line}${e.note ? `   # ${e.note}` : ''}`).join('\n')}

Environment: DATABASE_URL, REDIS_URL, CELERY_BROKER_URL, CELERY_RESULT_BACKEND
  (the config file overrides the environment; flags override both).
Exit codes: 0 every check passed or warned, 1 a check failed, 2 bad usage or config, 3 untrusted (a fail threshold missed
while stackprobe's own client was saturated; nothing failed outright), 130 interrupted.`;

function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--quick', 'short run on small data (the default)')
    .option('--full', 'longer runs on larger data')
    .option('--load-test', 'the load profile (with the quick checks)')
    .option('-c, --config <file>', 'JSON config file (see example_config.json)')
    .option('-o, --output <dir>', 'where runs are kept: each run writes run.json, the reports and stackprobe.log into its own <time>-<id>/ directory there, and latest points at the newest (default: results)');
}

/**
 * `--report-only FILE` is `report FILE` spelled as the reference tool spells it: the same formats, output directory,
 * colour and verbosity as `report` would take from the same flags (it used to write only md and the console summary).
 */
function reportOnlyFlags(opts: RunFlags): { format?: string; output?: string; color?: boolean; verbose?: boolean } {
  return {
    ...(opts.format ? { format: opts.format } : {}), ...(opts.output ? { output: opts.output } : {}),
    ...(opts.color === false ? { color: false } : {}), ...(opts.verbose ? { verbose: true } : {}),
  };
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
  program.action(async (opts: RunFlags & { reportOnly?: string }, cmd: Command) => {
    if (cmd.args.length > 0) unknownCommand(program, cmd.args[0]!);
    setExit(opts.reportOnly ? await (await import('./report-command.js')).reportCommand(opts.reportOnly, reportOnlyFlags(opts)) : await (await import('./run-command.js')).runCommand(opts));
  });

  addRunOptions(program.command('run').description('run the checks and write the reports'))
    .option('--only <list>', 'only these categories or check ids, comma-separated (e.g. queries,pool.acquire)')
    .option('--skip <list>', 'skip these categories or check ids, comma-separated')
    .option('--read-only', 'write nothing anywhere (no schema, no keys): only checks that read')
    .option('--allow-privileged-role', 'with --read-only, run your SQL even as a role that could write or act outside the transaction (superuser, dblink…); loud, recorded')
    .option('--keep-data', 'keep the stackprobe schema after the run')
    .option('--pg-version <major>', `major version of the private PostgreSQL started when DATABASE_URL is not set: ${PG_MAJORS.join(', ')} (default ${DEFAULT_PG_MAJOR})`)
    .option('--format <list>', 'report files to write: json,md,html,junit,prom (default: json,md,html)')
    .option('--baseline <file>', 'compare with this run.json; the comparison goes into report.md and report.html')
    .option('--push <url>', 'push the key figures to this Prometheus Pushgateway after the run')
    .option('--workers <n>', 'load: spread the virtual users over N worker threads (histograms merged exactly)')
    .option('--segment <i/n>', 'load: run the i-th of n equal shares of the load (one machine each; then `stackprobe merge`)')
    .option('--run-id <id>', 'load: segments with the same run id share one workload schema and start together (default: derived from the config)')
    .addOption(new Option('--log-level <level>', 'level of stackprobe.log').choices(['debug', 'info', 'warn', 'error']))
    .option('--dashboard [port]', 'serve a live view of the run on 127.0.0.1 (a free port, or PORT); it shows the final report and closes when the run ends')
    .option('--json', 'print run.json on stdout (the summary and progress go to stderr)')
    .option('--verbose', 'print every check with all its figures at the end, not just the one-screen summary')
    .option('--no-color', 'no ANSI colours')
    .addHelpText('after', EXAMPLES)
    // Each command loads what it needs when it runs (a run imports every check; --version and --help import none).
    .action(async (opts: RunFlags) => setExit(await (await import('./run-command.js')).runCommand(opts)));

  program
    .command('report')
    .description("rebuild reports from a run.json alone (the reference tool's --report-only)")
    .argument('<run>', 'a run.json, a run\'s directory, or an output directory (its latest run)')
    .option('--format <list>', 'formats: json,md,html,junit,prom,console (default: all of them)')
    .option('--verbose', 'the console summary with every check and figure')
    .option('-o, --output <dir>', 'where to write the files (default: next to run.json)')
    .option('--no-color', 'no ANSI colours')
    .action(async (file: string, opts: { format?: string; output?: string; color?: boolean; verbose?: boolean }) => setExit(await (await import('./report-command.js')).reportCommand(file, opts)));

  registerConfigCommand(program);

  program
    .command('checks')
    .description('list the built-in checks')
    .action(async () => {
      const { builtinChecks } = await import('../checks/index.js');
      for (const c of builtinChecks) process.stdout.write(`${c.id.padEnd(24)} ${c.title}  (needs: ${c.needs.join(', ') || 'nothing'}${c.writes ? '; writes' : ''})\n`);
    });

  registerCompareCommand(program, setExit);
  registerHistoryCommand(program, setExit);
  registerMergeCommand(program, setExit);
  // Only the root, and only now (subcommands copied the strict setting when created): a stray word reaches the root's
  // action, which names it as an unknown command instead of commander's "too many arguments".
  program.allowExcessArguments(true);

  return program;
}

/** `stackprobe rnu`: "unknown command 'rnu'. Did you mean 'run'?", exit 2. */
function unknownCommand(program: Command, name: string): never {
  const guess = nearest(name, program.commands.map((c) => c.name()));
  const shown = terminalSafe(name.length > 80 ? `${name.slice(0, 77)}...` : name);
  program.error(`error: unknown command '${shown}'.${guess ? ` Did you mean '${guess}'?` : ' (`stackprobe --help` lists them)'}`, { exitCode: EXIT.usage, code: 'commander.unknownCommand' });
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
    if (err instanceof OutputError) {
      process.stderr.write(`stackprobe: ${terminalSafe(err.message)}\n`);
      return EXIT.checkFailed;
    }
    process.stderr.write(`stackprobe: unexpected error: ${terminalSafe(redactText(describeError(err)))}\n`);
    if (process.env.STACKPROBE_DEBUG) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return EXIT.checkFailed;
  }
}
