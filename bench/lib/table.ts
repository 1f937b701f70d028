// Pure formatting of the result rows into the printed table (fixed-width columns) and the list of commands.
import type { Row } from './types.js';

/** A number with a sensible precision for a table: 3 significant digits below 100, whole numbers above. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 100) return Math.round(v).toLocaleString('en-US');
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a === 0) return '0';
  return v.toPrecision(3);
}

export function formatValue(row: Pick<Row, 'value' | 'unit'>): string {
  const unit = row.unit === '×' ? '×' : row.unit ? ` ${row.unit}` : '';
  return `${formatNumber(row.value)}${unit}`;
}

export function statusOf(row: Row): string {
  if (row.met === undefined) return '';
  return row.met ? 'met' : 'MISSED';
}

/** Pads cells into aligned columns; the first row is the header. */
export function columns(cells: string[][]): string {
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((r) => [...(r[c] ?? '')].length)));
  const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function renderTable(rows: Row[]): string {
  const cells = [['fig', 'measure', 'value', 'target', 'status', 'detail', 'cmd']];
  const commands: string[] = [];
  for (const r of rows) {
    let ref = '';
    if (r.command) {
      let i = commands.indexOf(r.command);
      if (i < 0) i = commands.push(r.command) - 1;
      ref = `[${i + 1}]`;
    }
    cells.push([String(r.figure), r.measure, formatValue(r), r.target ?? '', statusOf(r), r.note ?? '', ref]);
  }
  const list = commands.map((c, i) => `[${i + 1}] ${c}`).join('\n');
  return `${columns(cells)}\n\nCommands:\n${list}`;
}
