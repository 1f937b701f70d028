// The reporters' entry point: render a result in a named format, or write the report files into an output directory.
import path from 'node:path';
import type { Comparison } from '../compare/model.js';
import type { RunResult } from '../result/model.js';
import { renderHtml } from './html/index.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { DETAILS_FILE, renderMarkdown, renderMarkdownDetails } from './markdown.js';
import { renderProm } from './prom.js';
import { prepareOutputDir } from '../util/output-dir.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export type ReportFormat = 'json' | 'md' | 'html' | 'junit' | 'prom';

/** The file each format is written to inside the output directory. */
export const REPORT_FILES: Record<ReportFormat, string> = {
  json: 'run.json', md: 'report.md', html: 'report.html', junit: 'junit.xml', prom: 'stackprobe.prom',
};

export interface ReportOptions {
  /** A comparison with a baseline run (`run --baseline`): shown in the Markdown and HTML reports. */
  comparison?: Comparison;
  /** How the user named the directory (`--output`), for the message when it cannot be written. */
  label?: string;
}

export function renderFormat(result: RunResult, format: ReportFormat, opts: ReportOptions = {}): string {
  switch (format) {
    case 'json': return renderJson(result);
    case 'md': return renderMarkdown(result, opts);
    case 'html': return renderHtml(result, opts);
    case 'junit': return renderJunit(result);
    case 'prom': return renderProm(result);
  }
}

/**
 * Writes one file per format (duplicates once) into `dir`, creating it; returns the paths written, in order. Each file
 * is written whole or not at all (util/atomic-write.ts); a full disk throws OutputError naming the directory.
 */
export async function writeReports(result: RunResult, dir: string, formats: ReportFormat[], opts: ReportOptions = {}): Promise<string[]> {
  // Not mkdir({ recursive: true }): it never returns for a path such as /proc/x (see util/output-dir.ts).
  await prepareOutputDir(dir, opts.label ?? 'output directory');
  const written: string[] = [];
  for (const format of new Set(formats)) {
    const file = path.join(dir, REPORT_FILES[format]);
    await writeFileAtomic(file, renderFormat(result, format, opts));
    written.push(file);
    if (format === 'md') {
      // report.md stays under a GitHub comment's size; the full details go beside it.
      const details = path.join(dir, DETAILS_FILE);
      await writeFileAtomic(details, renderMarkdownDetails(result, opts));
      written.push(details);
    }
  }
  return written;
}

export { renderConsoleSummary, type ConsoleOptions } from './console.js';
export { renderJson, parseRunJson } from './json.js';
export { renderMarkdown, renderMarkdownDetails, MARKDOWN_LIMIT } from './markdown.js';
export { renderHtml, type HtmlOptions } from './html/index.js';
export { renderJunit } from './junit.js';
export { renderProm } from './prom.js';
export { pushToGateway, pushUrl, PushError } from './push.js';
export { createProgressView, type ProgressView, type ProgressOptions } from './progress.js';
