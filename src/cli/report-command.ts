// `stackprobe report RUN.json`: rebuilds every report format from run.json alone (the reference tool's --report-only).
import path from 'node:path';
import { renderConsoleSummary } from '../report/console.js';
import { writeReports } from '../report/index.js';
import { readRunFile } from '../result/read.js';
import { ConfigError } from '../util/errors.js';
import { prepareOutputDir } from '../util/output-dir.js';
import { EXIT } from './exit-codes.js';
import { splitList } from './flags.js';
import { useColor } from './tty.js';

const FORMATS = ['json', 'md', 'html', 'junit', 'prom', 'console'] as const;
type Format = (typeof FORMATS)[number];

export async function reportCommand(file: string, opts: { format?: string; output?: string; color?: boolean }): Promise<number> {
  const formats = splitList(opts.format ?? 'md,console');
  for (const f of formats) {
    if (!(FORMATS as readonly string[]).includes(f)) throw new ConfigError(`--format: expected some of ${FORMATS.join(', ')}, got ${JSON.stringify(f)}`);
  }
  const result = await readRunFile(file);
  const fileFormats = formats.filter((f): f is Exclude<Format, 'console'> => f !== 'console');
  const outDir = fileFormats.length ? await prepareOutputDir(opts.output ?? path.dirname(file), opts.output !== undefined ? '--output' : 'the directory of run.json') : '';
  const written = fileFormats.length ? await writeReports(result, outDir, fileFormats) : [];
  if (formats.includes('console')) process.stdout.write(renderConsoleSummary(result, { color: useColor(process.stdout, opts.color), width: process.stdout.columns ?? 100 }));
  if (written.length) process.stdout.write(`Wrote ${written.map((f) => path.relative(process.cwd(), f) || f).join(', ')}\n`);
  // Reporting succeeded; gating CI on the run's verdict is `run`'s (and later `compare`'s) job.
  return EXIT.ok;
}
