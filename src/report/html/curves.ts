// Curves hidden in a check's info: an array of flat rows with numbers (a pool-size sweep, a concurrency curve, load
// stages) is drawn as one line per numeric field against the first numeric field, and tabulated, whatever its names.
import { esc } from './escape.js';
import { lineChart } from './svg.js';

type Row = Record<string, unknown>;
const MAX_FIELDS = 3;

function isRowList(v: unknown): v is Row[] {
  return Array.isArray(v) && v.length > 0 && v.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r));
}

/** The numeric fields shared by every row, in the first row's key order. */
function numericKeys(rows: Row[]): string[] {
  return Object.keys(rows[0]!).filter((k) => rows.every((r) => typeof r[k] === 'number' && Number.isFinite(r[k])));
}

export function isCurve(v: unknown): v is Row[] {
  return isRowList(v) && v.length >= 2 && numericKeys(v).length >= 2;
}

/** Figures of one chart per numeric field of each curve-like info entry. */
export function curveFigures(info: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(info)) {
    if (!isCurve(value)) continue;
    const [x, ...fields] = numericKeys(value);
    for (const field of fields.slice(0, MAX_FIELDS)) {
      const points = value.map((r) => [r[x!] as number, r[field] as number] as [number, number]);
      const title = `${key}: ${field} by ${x}`;
      const svg = lineChart([{ label: field, points }], { title, xTitle: x!, yTitle: field });
      if (svg) out.push(`<figure><figcaption>${esc(title)}</figcaption>${svg}</figure>`);
    }
  }
  return out;
}
