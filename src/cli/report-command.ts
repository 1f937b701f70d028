// `stackprobe report RUN`: rebuilds every report format from run.json alone (the reference tool's --report-only).
import path from 'node:path';
import { ConfigError, OutputError } from '../util/errors.js';
import { EXIT } from './exit-codes.js';
import { splitList } from './flags.js';
import { screenSize, useColor } from './tty.js';

const FORMATS = ['json', 'md', 'html', 'junit', 'prom', 'console'] as const;
type Format = (typeof FORMATS)[number];
/** Every file format and the console summary. */
export const DEFAULT_REPORT_FORMATS = 'md,html,junit,json,prom,console';

export async function reportCommand(given: string, opts: { format?: string; output?: string; color?: boolean; verbose?: boolean }): Promise<number> {
  // Loaded when the command runs, not when the CLI starts: `--version`, `--help` and the other commands stay quick.
  const [{ locateRunJson }, { renderConsoleSummary }, { writeReports }, { readRunFile }, { prepareOutputDir }] = await Promise.all([
    import('../compare/locate.js'), import('../report/console.js'), import('../report/index.js'), import('../result/read.js'), import('../util/output-dir.js'),
  ]);
  const formats = splitList(opts.format ?? DEFAULT_REPORT_FORMATS);
  for (const f of formats) {
    if (!(FORMATS as readonly string[]).includes(f)) throw new ConfigError(`--format: expected some of ${FORMATS.join(', ')}, got ${JSON.stringify(f)}`);
  }
  const file = await locateRunJson(given);
  const result = await readRunFile(file);
  const outDir = opts.output ?? path.dirname(file);
  // Rebuilding next to the source: run.json is the source itself, never rewritten from its own parse.
  const sameFile = path.resolve(outDir, 'run.json') === path.resolve(file);
  const fileFormats = formats.filter((f): f is Exclude<Format, 'console'> => f !== 'console' && !(f === 'json' && sameFile));
  if (fileFormats.length) await prepareOutputDir(outDir, opts.output !== undefined ? '--output' : 'the directory of run.json');
  // A full disk loses the files, not the summary: it is printed, then the write's error (OutputError, exit 1).
  const writing = fileFormats.length ? writeReports(result, path.resolve(outDir), fileFormats) : Promise.resolve([]);
  const written = await writing.catch((err: unknown) => (err instanceof OutputError ? err : Promise.reject(err)));
  if (formats.includes('console')) {
    process.stdout.write(renderConsoleSummary(result, { color: useColor(process.stdout, opts.color), width: screenSize(process.stdout).columns, height: screenSize(process.stdout).rows, verbose: opts.verbose === true }));
  }
  if (written instanceof OutputError) throw written;
  if (written.length) process.stdout.write(`Wrote ${written.map((f) => path.relative(process.cwd(), f) || f).join(', ')}\n`);
  // Reporting succeeded; gating CI on the run's verdict is `run`'s (and later `compare`'s) job.
  return EXIT.ok;
}
