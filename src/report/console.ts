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
import { provenanceSentences, rankRecommendations, recommendationLabel } from './provenance.js';

export { rankRecommendations, recommendationLabel };
import { palette, truncate, wrap, type Palette } from './text.js';

export interface ConsoleOptions {
  color: boolean;
  /** The terminal's columns; the summary uses at most 100 (wider lines read badly) and at least 60. */
  width?: number;
  /**
   * The terminal's rows: the one-screen summary uses at most one fewer (the shell's prompt follows it), so the verdict on
   * its second line is still on screen when it ends. 24 unless given; at least 16.
   */
  height?: number;
  /** Every check with all its figures and every recommendation (the long form). */
  verbose?: boolean;
  /** Where this run's files went, for the last lines. */
  reports?: { dir: string; files: string[]; note?: string };
}

const MAX_RECOMMENDATIONS = 5;
/** A recommendation longer than this many lines is left to report.md rather than cut. */
const MAX_RECOMMENDATION_LINES = 3;

export function renderConsoleSummary(raw: RunResult, opts: ConsoleOptions): string {
  // Names, reasons and findings come from databases and files: shown as text, never as terminal commands.
  const result = terminalSafeDeep(raw);
  const p = palette(opts.color);
  const width = Math.min(100, Math.max(60, opts.width ?? 100));
  if (opts.verbose) {
    const full = renderConsoleFull(raw, opts);
    return `${[full.trimEnd(), ...reportLines(raw, opts.reports, p, width, false)].join('\n')}\n`;
  }
  const budget = Math.max(16, opts.height ?? 24) - 1;
  // What must be on the screen: the verdict, the targets, whose figures these are, and where the reports went; the
  // failures and warnings next; latency and advice fill what is left.
  const head = [...headline(result, p, width), ...targetLines(result, p, width), ...provenanceLines(result, p, width)];
  const tail = reportLines(result, opts.reports, p, width, true);
  let room = budget - head.length - tail.length;
  // The latency per category before the findings beside the thresholds: the thresholds themselves come first.
  const latency = latencyLines(result, width);
  let problems = problemLines(result, p, width, room - latency.length);
  // Every FAIL before the latency: without room for both, the latency goes.
  const withLatency = problems.length + latency.length <= room && shownProblems(problems) >= Math.min(failures(result), shownProblems(problemLines(result, p, width, room)));
  if (!withLatency) problems = problemLines(result, p, width, room);
  room -= problems.length + (withLatency ? latency.length : 0);
  const lines = [...head, ...problems, ...(withLatency ? latency : [])];
  appendAll(lines, recommendationLines(result, p, width, room), tail);
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
  const indent = ' '.repeat(2 + keyWidth);
  const lines: string[] = [];
  for (const [key, t] of Object.entries(env.targets)) {
    const own = t.private ? ' · stackprobe\'s private server, not yours (removed)' : '';
    // The server's own short version (server_version) rather than version()'s line with the compiler in it.
    const short = t.settings?.server_version ? `PostgreSQL ${t.settings.server_version.split(' ')[0]}` : t.version ?? t.kind;
    appendAll(lines, wrap(`${t.url} · ${short}${own}`, width, `  ${key.padEnd(keyWidth)}`, indent));
  }
  const untested = Object.entries(env.unavailable).filter(([key]) => !(key in unopened) && !(key in env.targets));
  if (untested.length) {
    const why = wrap(`not tested: ${untested.map(([key, reason]) => `${key} (${reason})`).join('; ')}`, width, '  ', '  ');
    const said = why.length <= 2 ? why : wrap(`not tested: ${untested.map(([key]) => key).join(', ')} (why: --verbose, or report.md)`, width, '  ', '  ');
    appendAll(lines, said.map(p.dim));
  }
  return lines;
}

/** Whose figures these are and what the run wrote where: on the first screen, because the figures read as the user's. */
function provenanceLines(result: RunResult, p: Palette, width: number): string[] {
  const { figures, written } = provenanceSentences(result);
  const lines: string[] = [];
  if (figures) appendAll(lines, wrap(figures, width, 'Figures  ', ' '.repeat(9)));
  if (written) appendAll(lines, wrap(written, width, 'Wrote    ', ' '.repeat(9)).map(p.dim));
  return lines;
}

const failures = (result: RunResult) => result.checks.filter((c) => c.status === 'fail' || c.status === 'untrusted').length;
const shownProblems = (lines: string[]) => lines.filter((l) => /^ {2}\S/.test(l) && !l.startsWith('  … and ')).length;

/** The threshold that decided a check's status, in full (which, measured, limit), and how many more it missed. */
function decidingThreshold(c: CheckResult): string | undefined {
  const level = c.status === 'warn' ? 'warn' : 'fail';
  const decisive = c.thresholds.filter((x) => !x.ok && x.level === level);
  const missed = decisive.length ? decisive : c.thresholds.filter((x) => !x.ok);
  if (missed.length === 0) return undefined;
  return `${formatThreshold(missed[0]!)}${missed.length > 1 ? ` (+${missed.length - 1} more)` : ''}`;
}

/** The check's worst finding of the severity its status calls for, with its subject. */
function worstFinding(c: CheckResult): string | undefined {
  const wanted = c.status === 'warn' ? ['warn', 'error'] : ['error', 'warn'];
  const finding = wanted.map((severity) => c.findings.find((x) => x.severity === severity)).find((f) => f !== undefined);
  return finding ? `${finding.title}${finding.subject && !finding.title.includes(finding.subject) ? ` (${finding.subject})` : ''}` : undefined;
}

/**
 * What went wrong in a check, in words: its reason, else the threshold that decided its status (which, measured, limit)
 * with its worst finding beside it, else that finding.
 */
export function findingText(c: CheckResult): string {
  if (c.reason) return c.reason;
  const threshold = decidingThreshold(c);
  const said = worstFinding(c);
  return [threshold, said].filter(Boolean).join(' · ');
}

/**
 * The failures and warnings in `room` lines: each at least with what decided it (the threshold, measured and limit, or
 * the reason), then with its finding where there is room; those that do not fit are counted on a last line.
 */
function problemLines(result: RunResult, p: Palette, width: number, room: number): string[] {
  const problems = groupByCategory(result.checks).flatMap((g) => g.checks);
  const sorted = (['fail', 'untrusted', 'warn'] as const).flatMap((st) => problems.filter((c) => c.status === st));
  if (sorted.length === 0) return [];
  // The ids are not padded to one column: on 80 columns the threshold, its figure and its limit then fit on the line.
  const block = (c: CheckResult, text: string): string[] => {
    const word = statusWord(c.status);
    const lead = `  ${word}  ${c.id}  `;
    // An id too long to leave room starts the text on the next line rather than being cut.
    // A figure stays on the line of its unit (`limit 0.01 ms`, never `limit 0.01` then `ms`).
    const glued = text.replace(/(\d) (?=[A-Za-zµ%/]+\b)/g, '$1\u00a0');
    const out = (lead.length > width / 2 ? [lead.trimEnd(), ...wrap(glued, width, ' '.repeat(6), ' '.repeat(6))] : wrap(glued, width, lead, ' '.repeat(6))).map((l) => l.replace(/\u00a0/g, ' '));
    out[0] = `  ${p.status(c.status, word)}${out[0]!.slice(2 + word.length)}`;
    return out;
  };
  const short = sorted.map((c) => block(c, c.reason ?? decidingThreshold(c) ?? worstFinding(c) ?? c.title));
  const long = sorted.map((c, i) => {
    const full = block(c, findingText(c) || c.title);
    // The finding beside the threshold only when the whole of it fits in three lines: never cut mid-sentence.
    return full.length <= Math.max(3, short[i]!.length) ? full : short[i]!;
  });
  const header = ['', p.bold(`Failures and warnings (${sorted.length})`)];
  let left = room - header.length;
  // As many as fit in their short form, keeping a line for how many more; then the finding for those with room.
  let shown = 0;
  while (shown < sorted.length && short[shown]!.length <= left - (shown + 1 < sorted.length ? 1 : 0)) left -= short[shown++]!.length;
  if (shown < sorted.length) left -= 1;
  const blocks = short.slice(0, Math.max(1, shown));
  for (let i = 0; i < blocks.length; i++) {
    const extra = long[i]!.length - blocks[i]!.length;
    if (extra > 0 && extra <= left) {
      blocks[i] = long[i]!;
      left -= extra;
    }
  }
  const lines = [...header, ...blocks.flat()];
  const more = sorted.length - blocks.length;
  if (more > 0) lines.push(p.dim(`  … and ${more} more (--verbose, or report.md)`));
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
  for (const r of rankRecommendations(result)) {
    const isRepeat = [...repeats].some((k) => k.startsWith(`${r.checkId}\u0000`) && r.text.startsWith(k.slice(r.checkId.length + 1)));
    if (isRepeat || seen.has(r.text)) continue;
    seen.add(r.text);
    out.push(r);
    if (out.length >= max) break;
  }
  return out;
}

/** The top recommendations that fit in `room` lines, each whole (the rest are in report.md, as the last line says). */
function recommendationLines(result: RunResult, p: Palette, width: number, room: number): string[] {
  const recs = topRecommendations(result, Number.POSITIVE_INFINITY);
  if (recs.length === 0 || room < 4) return [];
  const lines = ['', p.bold('Top recommendations')];
  let left = room - lines.length;
  let n = 0;
  for (const r of recs) {
    if (n >= MAX_RECOMMENDATIONS) break;
    const first = `  ${n + 1}. `;
    const text = wrap(`${recommendationLabel(r, result)}: ${r.about ? `${r.about}: ` : ''}${r.text}`, width, first, ' '.repeat(first.length));
    if (text.length > MAX_RECOMMENDATION_LINES || text.length > left) continue;
    appendAll(lines, text.map((l) => (r.severity === 'error' ? p.red(l) : l)));
    left -= text.length;
    n++;
  }
  return n > 0 ? lines : [];
}

function reportLines(result: RunResult, reports: ConsoleOptions['reports'], p: Palette, width: number, hint: boolean): string[] {
  const n = result.recommendations.length;
  const hintLine = p.dim(`Every check and figure${n ? `, ${n === 1 ? 'the recommendation' : `all ${n} recommendations`}` : ''}: --verbose, or report.md.`);
  if (!reports) return hint ? ['', hintLine] : [];
  const rel = (f: string) => {
    const r = path.relative(process.cwd(), f);
    return r === '' || r.startsWith('..') ? f : r;
  };
  const dir = rel(reports.dir);
  const names = reports.files.map((f) => (path.dirname(f) === reports.dir ? path.basename(f) : rel(f)));
  // The file names when they fit on the directory's line; the directory alone otherwise (the hint names report.md).
  const withNames = wrap(`${dir}${path.sep} (${names.join(', ')})`, width, 'Reports  ', ' '.repeat(9));
  const lines = ['', ...(withNames.length === 1 ? withNames : wrap(`${dir}${path.sep}`, width, 'Reports  ', ' '.repeat(9)))];
  if (reports.note) appendAll(lines, wrap(reports.note, width, '         ').map(p.dim));
  if (hint) lines.push(hintLine);
  return lines;
}
