// The end-of-run console summary that fits one screen (like k6's): verdict, targets, each failure with its finding,
// the top recommendations and where the reports are. `--verbose` prints every check and figure (console-full.ts).
import path from 'node:path';
import { latencyByCategory } from '../compare/latency.js';
import type { CheckResult, Recommendation, RunResult } from '../result/model.js';
import { appendAll } from '../util/append.js';
import { terminalSafeDeep } from '../util/terminal-safe.js';
import { renderConsoleFull } from './console-full.js';
import { formatDuration, formatMs, formatNumber, formatThreshold, groupByCategory, statusWord } from './format.js';
import { oneLine } from './progress-text.js';
import { palette, truncate, wrap, type Palette } from './text.js';

export interface ConsoleOptions {
  color: boolean;
  /** The terminal's columns; the summary uses at most 100 (wider lines read badly) and at least 60. */
  width?: number;
  /** Every check with all its figures and every recommendation (the long form). */
  verbose?: boolean;
  /** Where this run's files went, for the last lines. */
  reports?: { dir: string; files: string[]; note?: string };
}

/** A screen: at most this many failures and warnings are listed, then how many more. */
const MAX_PROBLEMS = 8;
const MAX_RECOMMENDATIONS = 5;

export function renderConsoleSummary(raw: RunResult, opts: ConsoleOptions): string {
  const full = opts.verbose ? renderConsoleFull(raw, opts) : undefined;
  // Names, reasons and findings come from databases and files: shown as text, never as terminal commands.
  const result = terminalSafeDeep(raw);
  const p = palette(opts.color);
  const width = Math.min(100, Math.max(60, opts.width ?? 100));
  const lines = full ? [full.trimEnd()] : [...headline(result, p, width), ...targetLines(result, p, width)];
  if (!full) {
    appendAll(lines, problemLines(result, p, width), latencyLines(result, width), recommendationLines(result, p, width));
  }
  appendAll(lines, reportLines(opts.reports, p, width, !full));
  return `${lines.join('\n')}\n`;
}

/** One word for the whole run, as CI sees it (the exit code follows the same rule), and its colour. */
function verdict(result: RunResult, p: Palette): [string, (s: string) => string] {
  const s = result.summary;
  if (result.interrupted) return ['INTERRUPTED', p.yellow];
  if (Object.keys(result.environment.unopened ?? {}).length > 0 || s.failed > 0) return ['FAIL', p.red];
  // Never a PASS: a threshold was missed, but while stackprobe itself could not keep up (exit code 3).
  if ((s.untrusted ?? 0) > 0) return ['UNTRUSTED', (t) => p.status('untrusted', t)];
  return s.warned > 0 ? ['PASS with warnings', p.yellow] : ['PASS', p.green];
}

function headline(result: RunResult, p: Palette, width: number): string[] {
  const s = result.summary;
  const env = result.environment;
  const mode = `${result.mode === 'load-test' ? 'load test' : `${result.mode} run`}${result.readOnly ? ' (read-only)' : ''}`;
  const counts = `${s.total} ${s.total === 1 ? 'check' : 'checks'}: ${s.passed} passed, ${s.warned} warned, ${s.failed} failed, ${s.untrusted ? `${s.untrusted} untrusted, ` : ''}${s.skipped} skipped`;
  const lines = [truncate(`${env.tool.name} ${env.tool.version} · ${mode} · ${formatDuration(result.durationMs)} · ${result.startedAt}`, width)];
  const [word, style] = verdict(result, p);
  const said = wrap(`${word} · ${counts}`, width);
  said[0] = said[0]!.replace(word, p.bold(style(word)));
  appendAll(lines, said);
  if (result.interrupted) appendAll(lines, wrap('Stopped early: checks that had not finished are marked SKIP and the figures are partial.', width).map(p.yellow));
  // A service that could not be opened: the one line that says which and why (every check points here).
  // Not wrapped: the one line to read, grep and paste (the terminal folds it if it must).
  for (const [key, why] of Object.entries(env.unopened ?? {})) lines.push(p.red(`✗ ${key}: ${oneLine(why)}`));
  return lines;
}

function targetLines(result: RunResult, p: Palette, width: number): string[] {
  const env = result.environment;
  const unopened = env.unopened ?? {};
  const keys = [...Object.keys(env.targets), ...Object.keys(env.unavailable)];
  const keyWidth = Math.max(6, ...keys.map((k) => k.length)) + 2;
  const lines: string[] = [];
  for (const [key, t] of Object.entries(env.targets)) {
    const own = t.private ? ' · private, started by stackprobe (not your server)' : '';
    lines.push(truncate(`  ${key.padEnd(keyWidth)}${t.url} · ${t.version ?? t.kind}${own}`, width));
  }
  for (const [key, why] of Object.entries(env.unavailable)) {
    if (key in unopened || key in env.targets) continue;
    lines.push(p.dim(truncate(`  ${key.padEnd(keyWidth)}not tested: ${why}`, width)));
  }
  return lines;
}

/**
 * What went wrong in a check, in words: its reason, else the threshold that decided its status (which, measured, limit),
 * else its worst finding.
 */
export function findingText(c: CheckResult): string {
  if (c.reason) return c.reason;
  const level = c.status === 'warn' ? 'warn' : 'fail';
  const decisive = c.thresholds.filter((x) => !x.ok && x.level === level);
  const wanted = c.status === 'warn' ? ['warn', 'error'] : ['error', 'warn'];
  const finding = wanted.map((severity) => c.findings.find((x) => x.severity === severity)).find((f) => f !== undefined);
  const said = finding ? `${finding.title}${finding.subject && !finding.title.includes(finding.subject) ? ` (${finding.subject})` : ''}` : undefined;
  if (decisive.length) {
    const more = decisive.length > 1 ? ` (+${decisive.length - 1} more)` : '';
    return `${formatThreshold(decisive[0]!)}${more}${said ? ` · ${said}` : ''}`;
  }
  if (said) return said;
  const t = c.thresholds.find((x) => !x.ok);
  return t ? formatThreshold(t) : '';
}

function problemLines(result: RunResult, p: Palette, width: number): string[] {
  const problems = groupByCategory(result.checks).flatMap((g) => g.checks);
  const sorted = (['fail', 'untrusted', 'warn'] as const).flatMap((st) => problems.filter((c) => c.status === st));
  if (sorted.length === 0) return [];
  const idWidth = Math.min(24, Math.max(...sorted.map((c) => c.id.length)));
  // UNTRUSTED is longer than FAIL and WARN: one width for the column, so the ids line up.
  const wordWidth = Math.max(4, ...sorted.map((c) => statusWord(c.status).length));
  const lines = ['', p.bold(`Failures and warnings (${sorted.length})`)];
  for (const c of sorted.slice(0, MAX_PROBLEMS)) {
    const word = statusWord(c.status).padEnd(wordWidth);
    const lead = `  ${word}  ${truncate(c.id, idWidth).padEnd(idWidth)}  `;
    const text = wrap(findingText(c) || c.title, width, lead, ' '.repeat(lead.length)).slice(0, 2);
    text[0] = `  ${p.status(c.status, word)}${text[0]!.slice(2 + word.length)}`;
    appendAll(lines, text);
  }
  if (sorted.length > MAX_PROBLEMS) lines.push(p.dim(`  … and ${sorted.length - MAX_PROBLEMS} more (--verbose, or report.md)`));
  return lines;
}

/** p95 per category of the operations each timed (a single p95 over everything is dominated by cache GETs). */
function latencyLines(result: RunResult, width: number): string[] {
  const cats = latencyByCategory(result);
  if (cats.length === 0) return [];
  const text = cats.map((c) => `${c.category} ${formatMs(c.summary.percentiles.p95 ?? Number.NaN)}`).join(' · ');
  return ['', ...wrap(`${text} (${formatNumber(cats.reduce((n, c) => n + c.summary.count, 0))} operations)`, width, 'Latency p95  ', ' '.repeat(13))];
}

/**
 * The advice worth a line of its own: not a restatement of a missed threshold or of a failure's reason (both are
 * already above), each text once, most severe first.
 */
export function topRecommendations(result: RunResult, max = MAX_RECOMMENDATIONS): Recommendation[] {
  const repeats = new Set<string>();
  for (const c of result.checks) {
    for (const t of c.thresholds) if (!t.ok) repeats.add(`${c.id}\u0000${t.metric} missed ${t.expression}`);
    if (c.reason) repeats.add(`${c.id}\u0000${c.title} could not complete: ${c.reason}`);
  }
  const seen = new Set<string>();
  const out: Recommendation[] = [];
  for (const r of result.recommendations) {
    const isRepeat = [...repeats].some((k) => k.startsWith(`${r.checkId}\u0000`) && r.text.startsWith(k.slice(r.checkId.length + 1)));
    if (isRepeat || seen.has(r.text)) continue;
    seen.add(r.text);
    out.push(r);
    if (out.length >= max) break;
  }
  return out;
}

function recommendationLines(result: RunResult, p: Palette, width: number): string[] {
  const recs = topRecommendations(result);
  if (recs.length === 0) return [];
  const lines = ['', p.bold('Top recommendations')];
  recs.forEach((r, i) => {
    const first = `  ${i + 1}. `;
    const text = wrap(`${r.checkId}: ${r.text}`, width, first, ' '.repeat(first.length));
    // Two lines each: the whole text is in report.md.
    if (text.length > 2) {
      text.length = 2;
      text[1] = text[1]!.length < width - 1 ? `${text[1]} …` : `${text[1]!.slice(0, width - 1)}…`;
    }
    appendAll(lines, text.map((l) => (r.severity === 'error' ? p.red(l) : l)));
  });
  return lines;
}

function reportLines(reports: ConsoleOptions['reports'], p: Palette, width: number, hint: boolean): string[] {
  if (!reports) return hint ? ['', p.dim('Every check and figure: --verbose, or report.md.')] : [];
  const rel = (f: string) => {
    const r = path.relative(process.cwd(), f);
    return r === '' || r.startsWith('..') ? f : r;
  };
  const dir = rel(reports.dir);
  const names = reports.files.map((f) => (path.dirname(f) === reports.dir ? path.basename(f) : rel(f)));
  const lines = ['', ...wrap(`${dir}${path.sep} (${names.join(', ')})`, width, 'Reports  ', ' '.repeat(9))];
  if (reports.note) appendAll(lines, wrap(reports.note, width, '         ').map(p.dim));
  if (hint) lines.push(p.dim('Every check and figure: --verbose, or report.md.'));
  return lines;
}
