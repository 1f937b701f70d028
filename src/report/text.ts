// Terminal text helpers for the console reporters: optional ANSI styles, padding, truncation and word wrapping.
import type { CheckStatus, Severity } from '../result/model.js';

type Style = (s: string) => string;

export interface Palette {
  bold: Style;
  dim: Style;
  red: Style;
  green: Style;
  yellow: Style;
  cyan: Style;
  status(status: CheckStatus, text: string): string;
  severity(severity: Severity, text: string): string;
}

const sgr = (open: number, close: number): Style => (s) => (s === '' ? s : `\u001b[${open}m${s}\u001b[${close}m`);
const plain: Style = (s) => s;

/** ANSI styles when `color`, identity functions otherwise: a report without color has no escape codes at all. */
export function palette(color: boolean): Palette {
  const bold = color ? sgr(1, 22) : plain;
  const dim = color ? sgr(2, 22) : plain;
  const red = color ? sgr(31, 39) : plain;
  const green = color ? sgr(32, 39) : plain;
  const yellow = color ? sgr(33, 39) : plain;
  const cyan = color ? sgr(36, 39) : plain;
  const gray = color ? sgr(90, 39) : plain;
  const magenta = color ? sgr(35, 39) : plain;
  const byStatus: Record<CheckStatus, Style> = { pass: green, warn: yellow, fail: red, untrusted: magenta, skip: gray };
  const bySeverity: Record<Severity, Style> = { info: cyan, warn: yellow, error: red };
  return {
    bold, dim, red, green, yellow, cyan,
    status: (status, text) => bold(byStatus[status](text)),
    severity: (severity, text) => bySeverity[severity](text),
  };
}

/** Cuts `s` to `width` characters, marking the cut with an ellipsis. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return '';
  return s.length <= width ? s : `${s.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * Word-wraps `text` (which may contain newlines) to `width` columns; the first line starts with `first`,
 * the others with `rest`. Words longer than a line are broken, so no line is ever wider than `width`.
 */
export function wrap(text: string, width: number, first = '', rest = first): string[] {
  const out: string[] = [];
  let prefix = first;
  for (const paragraph of text.split(/\r?\n/)) {
    let line = '';
    const room = () => Math.max(10, width - prefix.length);
    const flush = () => {
      out.push((prefix + line).trimEnd());
      prefix = rest;
      line = '';
    };
    // A no-break space (U+00A0) keeps a figure with its unit (`0.01 ms`): callers glue them, and turn it back after.
    for (let word of paragraph.split(/[^\S\u00a0]+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > room()) flush();
      while (word.length > room()) {
        if (line) flush();
        const n = room();
        out.push(prefix + word.slice(0, n));
        prefix = rest;
        word = word.slice(n);
      }
      line = line ? `${line} ${word}` : word;
    }
    flush();
  }
  return out;
}
