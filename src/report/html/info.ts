// A check's free-form figures (info) as HTML that fits its card: rows of objects as tables, objects as key/value tables,
// short lists inline; keys in a reader's words (info-labels.ts); nesting past a few levels falls back to wrapped JSON,
// never a line that spills out of the page.
import { formatNumber } from '../format.js';
import { esc } from './escape.js';
import { infoLabel } from './info-labels.js';

type Row = Record<string, unknown>;
const MAX_DEPTH = 3;
const MAX_ITEMS = 50;
const MAX_ROWS = 100;

const isObject = (v: unknown): v is Row => v !== null && typeof v === 'object' && !Array.isArray(v);

function json(v: unknown): string {
  return `<code class="json">${esc(JSON.stringify(v) ?? String(v))}</code>`;
}

function rowsTable(list: Row[], depth: number): string {
  const keys = [...new Set(list.flatMap((r) => Object.keys(r)))];
  const shown = list.slice(0, MAX_ROWS);
  const cell = (v: unknown) => `<td${typeof v === 'number' ? ' class="n"' : ''}>${infoCell(v, depth + 1)}</td>`;
  const more = list.length > MAX_ROWS ? `<p class="muted">${list.length - MAX_ROWS} more rows in run.json.</p>` : '';
  return `<div class="scroll"><table class="inner"><thead><tr>${keys.map((k) => `<th>${esc(infoLabel(k))}</th>`).join('')}</tr></thead><tbody>${shown.map((r) => `<tr>${keys.map((k) => cell(r[k])).join('')}</tr>`).join('')}</tbody></table></div>${more}`;
}

function kvTable(o: Row, depth: number): string {
  const entries = Object.entries(o);
  if (entries.length === 0) return '–';
  return `<table class="kv">${entries.map(([k, v]) => `<tr><th>${esc(infoLabel(k))}</th><td>${infoCell(v, depth + 1)}</td></tr>`).join('')}</table>`;
}

export function infoCell(v: unknown, depth = 0): string {
  if (typeof v === 'number') return esc(formatNumber(v));
  if (typeof v === 'string') return esc(v);
  if (v === null || v === undefined || typeof v === 'boolean') return esc(String(v));
  if (depth >= MAX_DEPTH) return json(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '–';
    if (v.every(isObject)) return rowsTable(v, depth);
    if (v.every((x) => !isObject(x) && !Array.isArray(x))) {
      const more = v.length > MAX_ITEMS ? ` … +${v.length - MAX_ITEMS} more` : '';
      return esc(v.slice(0, MAX_ITEMS).map((x) => (typeof x === 'number' ? formatNumber(x) : String(x))).join(', ') + more);
    }
    return json(v);
  }
  if (isObject(v)) return kvTable(v, depth);
  return esc(String(v));
}
