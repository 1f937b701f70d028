// The reporters' entry point: render a result in a named format, or write the report files into an output directory.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunResult } from '../result/model.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';

export type ReportFormat = 'json' | 'md';

/** The file each format is written to inside the output directory. */
export const REPORT_FILES: Record<ReportFormat, string> = { json: 'run.json', md: 'report.md' };

export function renderFormat(result: RunResult, format: ReportFormat): string {
  switch (format) {
    case 'json': return renderJson(result);
    case 'md': return renderMarkdown(result);
  }
}

/** Writes one file per format (duplicates once) into `dir`, creating it; returns the paths written, in order. */
export async function writeReports(result: RunResult, dir: string, formats: ReportFormat[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const format of new Set(formats)) {
    const file = path.join(dir, REPORT_FILES[format]);
    await writeFile(file, renderFormat(result, format), 'utf8');
    written.push(file);
  }
  return written;
}

export { renderConsoleSummary, type ConsoleOptions } from './console.js';
export { renderJson, parseRunJson } from './json.js';
export { renderMarkdown } from './markdown.js';
export { createProgressView, type ProgressView, type ProgressOptions } from './progress.js';
