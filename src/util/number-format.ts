// Numbers as a reader sees them, shared by the reporters and by the labels a check writes into its headline chart.

const GROUPED = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const MISSING = '–';

/** Integers and values ≥ 1000 grouped by thousands (`12,345`); smaller fractions to 3 significant digits (`3.13`, `0.041`). */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return MISSING;
  if (Number.isInteger(n) || Math.abs(n) >= 1000) return GROUPED.format(n);
  return String(Number(n.toPrecision(3)));
}

export function formatMs(ms: number): string {
  return Number.isFinite(ms) ? `${formatNumber(ms)} ms` : MISSING;
}
