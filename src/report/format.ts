// Number, duration and label formatting shared by the reporters: ms to 3 significant digits, ratios as %, counts grouped.
import { builtinChecks, categoryTitles } from '../checks/index.js';
import { metricKey } from '../metrics/registry.js';
import type { CheckResult, CheckStatus, Rating, ThresholdOutcome } from '../result/model.js';
import { formatMs, formatNumber } from '../util/number-format.js';
import { parseThreshold } from '../verdict/threshold-parser.js';

const MISSING = '–';

export { formatMs, formatNumber };

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

/** A check's duration, empty for one that never started (skipped, or failed before running for want of a service). */
export function checkDuration(c: { durationMs: number }): string {
  return c.durationMs > 0 ? formatDuration(c.durationMs) : '';
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

/**
 * A counter as a user reads it: `500 rows`, or `1,250 (595/s)` when the check declared a per-second rate meaningful
 * (requests); a count of things found (orphaned rows) never gets a rate.
 */
export function formatCounter(m: { count: number; unit: string; perSecond?: number; meaning?: string }): string {
  const count = formatValue(m.count, m.unit);
  const rate = shownPerSecond(m);
  return rate === undefined ? count : `${count} (${formatNumber(rate)}/s)`;
}

/**
 * A counter's per-second rate when it means something: files of schema 2 carry `perSecond` only for counters declared
 * `perSecond` (src/metrics/meaning.ts); older files (no `meaning`) carried it on every counter, so it is not shown for
 * them, nor ever for defects (`float_money_columns 1 (74.5/s)` says nothing).
 */
export function shownPerSecond(m: { perSecond?: number; meaning?: string }): number | undefined {
  if (m.perSecond === undefined || m.meaning === undefined || m.meaning === 'defects') return undefined;
  return m.perSecond;
}

/** `query_duration{query:point_lookup}`: the same spelling thresholds use to select a metric. */
export function metricLabel(m: { name: string; tags: Record<string, string> }): string {
  return metricKey(m.name, m.tags);
}

export function statusWord(status: CheckStatus): string {
  return status.toUpperCase();
}

export function formatRatingValue(r: Rating): string {
  switch (r.kind) {
    case 'response_time_ms': return formatMs(r.value);
    case 'throughput_rps': return `${formatNumber(r.value)} req/s`;
    case 'hit_rate': return formatPercent(r.value);
  }
}

export function formatThresholdActual(t: ThresholdOutcome): string {
  if (t.actual === null) return 'not recorded';
  return formatValue(t.actual, t.unit);
}

/** The limit an expression sets, in the outcome's unit (`100 ms`, `95.0%`); the expression itself when it does not parse. */
export function formatThresholdLimit(t: ThresholdOutcome): string {
  try {
    return formatValue(parseThreshold(t.expression, 'threshold').value, t.unit);
  } catch (err) {
    // A hand-edited run.json may hold anything: the expression as written still says what the limit was.
    void err;
    return t.expression;
  }
}

/**
 * `query_duration{query:x} p(95)<100 → measured 134 ms, limit 100 ms`: which threshold, the figure and the limit, so a
 * FAIL or WARN line can be acted on without opening run.json. An untrusted miss says why it is not a verdict.
 */
export function formatThreshold(t: ThresholdOutcome): string {
  const measured = t.actual === null ? 'not recorded' : `measured ${formatThresholdActual(t)}`;
  const untrusted = t.untrusted ? ' (untrusted: stackprobe\'s own client was saturated while it measured)' : '';
  return `${t.metric} ${t.expression} → ${measured}, limit ${formatThresholdLimit(t)}${untrusted}`;
}

/** Why a check did not simply pass: its reason, else its missed thresholds (at most `max`, then how many more). */
export function whyText(c: CheckResult, max = Number.POSITIVE_INFINITY): string {
  if (c.reason) return c.reason;
  const missed = c.thresholds.filter((t) => !t.ok);
  const shown = missed.slice(0, max).map((t) => formatThreshold(t)).join('; ');
  return missed.length > max ? `${shown} (+${missed.length - max} more)` : shown;
}

/** The built-in categories in the order their checks run (src/checks/index.ts); plugin categories come after. */
const CATEGORY_ORDER = [...new Set(builtinChecks.map((c) => c.category))];

export function categoryTitle(category: string): string {
  return Object.hasOwn(categoryTitles, category) ? categoryTitles[category]! : category;
}

/** Checks grouped by category, the built-in categories in the order of src/checks/index.ts, plugin categories after in order of appearance. */
export function groupByCategory<T extends { category: string }>(checks: T[]): Array<{ category: string; checks: T[] }> {
  const groups = new Map<string, T[]>();
  for (const c of checks) {
    const list = groups.get(c.category) ?? [];
    list.push(c);
    groups.set(c.category, list);
  }
  const rank = (cat: string) => {
    const i = CATEGORY_ORDER.indexOf(cat);
    return i === -1 ? CATEGORY_ORDER.length : i;
  };
  return [...groups.entries()]
    .map(([category, list], order) => ({ category, checks: list, order }))
    .sort((a, b) => rank(a.category) - rank(b.category) || a.order - b.order)
    .map(({ category, checks: list }) => ({ category, checks: list }));
}
