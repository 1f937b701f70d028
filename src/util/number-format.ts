// Numbers, durations, sizes and shares as a reader sees them, shared by the reporters, the comparison and the labels a
// check writes into its headline chart.

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

/** A ratio as a percentage; a near miss is never rounded to 100 % and a rare event never to 0 %. */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return MISSING;
  const pct = ratio * 100;
  if (pct === 0 || pct === 100) return `${pct}%`;
  let digits = 1;
  while (digits < 4) {
    const shown = Number(pct.toFixed(digits));
    if (shown !== 0 && shown !== 100) break;
    digits++;
  }
  return `${pct.toFixed(digits)}%`;
}

/** A wall-clock span: `850 ms`, `2.1 s`, `3 min 05 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return MISSING;
  if (ms < 1000) return `${formatNumber(Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSec = Math.round(ms / 1000);
  const min = Math.floor(totalSec / 60);
  return `${formatNumber(min)} min ${String(totalSec % 60).padStart(2, '0')} s`;
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return MISSING;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${formatNumber(i === 0 ? v : Number(v.toPrecision(3)))} ${units[i]}`;
}

/** A value in a metric's unit, as a user reads it. */
export function formatValue(value: number, unit: string): string {
  switch (unit) {
    case 'ms': return formatMs(value);
    case 'ratio': return formatPercent(value);
    case 'bytes': return formatBytes(value);
    case '':
    case 'count': return formatNumber(value);
    default: return `${formatNumber(value)} ${unit}`;
  }
}
