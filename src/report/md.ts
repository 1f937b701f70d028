// Markdown building blocks: cell and inline escaping, code spans and GitHub-flavoured tables.
import { terminalSafe } from '../util/terminal-safe.js';

/**
 * Text that would otherwise start an HTML tag (`<script`, `</b`, `<!--`) is shown literally; escape sequences and other
 * control characters are dropped (a report read with `cat` must not drive the terminal).
 */
function escapeHtmlStart(s: string): string {
  return terminalSafe(s).replace(/<(?=[A-Za-z/!?])/g, '&lt;');
}

/** What would make a line a heading, quote or list item: `# `, `>`, `- `, `1. `; the last character gets escaped. */
const BLOCK_START = /^(\s*)(#{1,6}(?=\s|$)|>|[+*-](?=\s|$)|\d{1,9}[.)](?=\s|$))/;

/**
 * Free text in a paragraph or list item: no HTML, no line read as a heading, list item or quote,
 * and continuation lines indented to stay inside the item.
 */
export function escapeInline(s: string, indent = ''): string {
  return escapeHtmlStart(s)
    .split(/\r?\n/)
    .map((line) => line.replace(BLOCK_START, (_m: string, lead: string, mark: string) => `${lead}${mark.slice(0, -1)}\\${mark.slice(-1)}`))
    .join(`\n${indent}`);
}

/** Text for a heading or a one-line sentence: newlines (which would end the heading) become spaces. */
export function escapeLine(s: string): string {
  return escapeInline(s.replace(/\s*\r?\n\s*/g, ' '));
}

/** A table cell: `|` would end the cell and a newline the row. */
export function escapeCell(s: string): string {
  return escapeHtmlStart(s).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** An inline code span that survives backticks in its content; inside tables pass it through escapeCell's pipe rule. */
export function code(raw: string): string {
  // A newline would end a heading or list item the span sits in.
  const s = terminalSafe(raw).replace(/\r?\n/g, ' ');
  const runs = s.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** A code span for a table cell: pipes are escaped (GFM requires it even inside code spans), newlines flattened. */
export function codeCell(s: string): string {
  return code(s.replace(/\r?\n/g, ' ')).replace(/\|/g, '\\|');
}

export type Align = 'left' | 'right';

/**
 * A GFM table. Cells are taken as already formatted Markdown: pass text through `escapeCell` (or `codeCell`) first.
 * Returns no lines for no rows, so empty sections disappear.
 */
export function table(headers: string[], rows: string[][], align: Align[] = []): string[] {
  if (rows.length === 0) return [];
  const rule = headers.map((_, i) => (align[i] === 'right' ? '---:' : '---'));
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(rule), ...rows.map(line), ''];
}
