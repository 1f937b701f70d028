// `stackprobe run`: load config, load plugins, run with a live progress view, write reports, print the summary.
import path from 'node:path';
import { compareRuns, comparisonHeadline } from '../compare/index.js';
import { renderConsoleSummary } from '../report/console.js';
import { writeReports } from '../report/index.js';
import { renderJson } from '../report/json.js';
import { renderProm } from '../report/prom.js';
import { pushToGateway } from '../report/push.js';
import { createProgressView } from '../report/progress.js';
import { parseDashboardPort, startDashboard } from '../report/live/server.js';
import { prepareRun } from '../run/prepare.js';
import { overrideLines } from '../config/url-sources.js';
import { loadBuild } from '../targets/embedded/builds.js';
import { run } from '../run/runner.js';
import { describeError, OutputError } from '../util/errors.js';
import { createFileLogger } from '../util/logger.js';
import { prepareRunDir } from '../util/output-dir.js';
import { LATEST_LINK, pointLatest, readLatest } from '../util/latest.js';
import { exitCodeFor } from './exit-codes.js';
import { flagsToConfig, type RunFlags } from './flags.js';
import { screenSize, useColor } from './tty.js';

/** What `latest` names after an interrupted run: the previous finished run, or nothing when none has finished. */
async function interruptedNote(outDir: string): Promise<string> {
  const parent = path.dirname(outDir);
  const latest = path.relative(process.cwd(), path.join(parent, LATEST_LINK)) || LATEST_LINK;
  const previous = await readLatest(parent).catch(() => undefined);
  return previous
    ? `interrupted: ${latest} still names the previous finished run (${path.basename(previous)})`
    : `interrupted: no ${latest} was made (no run in ${path.relative(process.cwd(), parent) || '.'} has finished)`;
}

export async function runCommand(flags: RunFlags): Promise<number> {
  // The same validation as `config validate`, before any server is touched or any file written.
  const sources = { env: process.env, ...(flags.config ? { file: flags.config } : {}), flags: flagsToConfig(flags) };
  const { config, checks, baseline, maxRegression, urlSources, file } = await prepareRun(sources, { onlyFlag: flags.only !== undefined, skipFlag: flags.skip !== undefined });
  // A private server of a major whose build is not installed: stop now (exit 2) with the npm command, not skip every check.
  if (!config.database_url) await loadBuild(config.embedded.pg_version);
  // Each run writes into its own directory under --output; `latest` points at the newest run that finished.
  const outDir = await prepareRunDir(config.output, flags.output !== undefined ? '--output' : 'config.output');
  const logFile = path.join(outDir, 'stackprobe.log');
  const logger = createFileLogger(logFile, config.log_level);
  // With --json, stdout carries only the result; everything for people goes to stderr.
  const human = flags.json ? process.stderr : process.stdout;
  const color = useColor(human, flags.color);
  // First: which URL was used where the file and the environment disagree (flags > environment > config file).
  for (const line of overrideLines(urlSources, file)) {
    human.write(`${line}\n`);
    logger.log.info({ url: line }, 'url precedence');
  }

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) {
      // The live view hides the cursor while it redraws; a forced exit must not leave the terminal without one.
      process.stderr.write(`${process.stderr.isTTY ? '\u001b[?25h' : ''}\nstackprobe: second interrupt, exiting without cleanup (this run's directory is incomplete)\n`);
      process.exit(130);
    }
    process.stderr.write(`\nstackprobe: ${sig} received, stopping and cleaning up (press Ctrl-C again to force)\n`);
    logger.log.warn({ signal: sig }, 'interrupted');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // Started before the run so a port in use is a usage error (exit 2) before any server is touched.
  const dashboard = flags.dashboard !== undefined ? await startDashboard({ port: parseDashboardPort(flags.dashboard), mode: config.mode }) : undefined;
  if (dashboard) process.stderr.write(`Live view: ${dashboard.url} (closes when the run ends)\n`);
  // The one way past the least-privilege rule, said before anything runs (and again with each check that used it).
  if (config.read_only && config.allow_privileged_role) {
    process.stderr.write('WARNING: --allow-privileged-role: your SQL may run as a role that could write or act outside a read-only transaction; stackprobe reports that role\'s powers with each check that used it\n');
  }
  const view = createProgressView({ tty: Boolean(process.stderr.isTTY) && !process.env.CI, stream: process.stderr, color: useColor(process.stderr, flags.color) });
  try {
    logger.log.info({ mode: config.mode, readOnly: config.read_only, checks: checks.map((c) => c.id) }, 'run started');
    const result = await run({ config, checks, signal: controller.signal, log: logger.log, onEvent: (e) => { view.onEvent(e); dashboard?.onEvent(e); } });
    await view.done();
    const comparison = baseline ? compareRuns(baseline, result, { maxRegression, minDeltaMs: config.report.min_regression_ms }) : undefined;
    // A full disk loses the files, not the results: the summary below is still printed, with why nothing was written.
    let written: string[] = [];
    let writeFailure: OutputError | undefined;
    try {
      written = await writeReports(result, outDir, config.formats, comparison ? { comparison } : {});
    } catch (err) {
      if (!(err instanceof OutputError)) throw err;
      writeFailure = err;
      logger.log.error({ err: err.message }, 'writing the reports failed');
    }
    const html = written.find((f) => f.endsWith('.html'));
    await dashboard?.finish(result, { ...(comparison ? { comparison } : {}), ...(html ? { reportFile: html } : {}) });
    logger.log.info({ files: written, summary: result.summary, regressions: comparison?.regressions.length }, 'run finished');
    // An interrupted run keeps its complete, marked directory, but `latest` stays on the newest run that finished, so
    // `compare results/latest …` never takes a partial run as its baseline.
    const latestNote = writeFailure
      ? `not written: ${writeFailure.message}`
      : result.interrupted
        ? await interruptedNote(outDir)
        : await pointLatest(outDir, result.startedAt).catch((err: unknown) => {
          // The reports are whole; only the pointer to them could not be written (a disk that filled just now).
          if (!(err instanceof OutputError)) throw err;
          writeFailure = err;
          return `latest not moved: ${err.message}`;
        });
    const reports = { dir: outDir, files: [...written, logFile], ...(latestNote ? { note: latestNote } : {}) };
    const screen = screenSize(human);
    human.write(renderConsoleSummary(result, { color, width: screen.columns, height: screen.rows, verbose: flags.verbose === true, reports }));
    if (comparison) human.write(`\nBaseline ${config.report.baseline}: ${comparisonHeadline(comparison)}\n`);
    for (const d of comparison?.targetDifferences ?? []) human.write(`Warning: the baseline tested another ${d.service} target (${d.baseline}, now ${d.current})\n`);
    if (flags.json) process.stdout.write(renderJson(result));
    let code = exitCodeFor(result);
    if (writeFailure) {
      process.stderr.write(`stackprobe: ${writeFailure.message}\n`);
      if (code === 0) code = 1;
    }
    const logFailure = logger.failure();
    if (logFailure) process.stderr.write(`stackprobe: ${logFailure}\n`);
    if (comparison && comparison.regressions.length > 0 && config.report.fail_on_regression && code === 0) code = 1;
    if (config.report.push_url) {
      try {
        await pushToGateway(config.report.push_url, config.report.push_job, renderProm(result));
        human.write(`Pushed the key figures to the Pushgateway (job ${config.report.push_job})\n`);
      } catch (err) {
        // The reports are written; a failed push is reported and fails the run so CI notices, but loses nothing.
        process.stderr.write(`stackprobe: ${describeError(err)}\n`);
        logger.log.error({ err: describeError(err) }, 'push failed');
        if (code === 0) code = 1;
      }
    }
    return code;
  } finally {
    await dashboard?.close();
    await view.done();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await logger.close();
  }
}
