// Number, duration and label formatting shared by the reporters: ms to 3 significant digits, ratios as %, counts grouped.
import { categoryTitles, groupByCategory } from '../checks/categories.js';
import { metricKey } from '../metrics/registry.js';
import type { CheckResult, CheckStatus, Rating, ThresholdOutcome } from '../result/model.js';
import { formatBytes, formatDuration, formatMs, formatNumber, formatPercent, formatValue } from '../util/number-format.js';
import { parseThreshold } from '../verdict/threshold-parser.js';

export { formatBytes, formatDuration, formatMs, formatNumber, formatPercent, formatValue, groupByCategory };

/** A check's duration, empty for one that never started (skipped, or failed before running for want of a service). */
export function checkDuration(c: { durationMs: number }): string {
  return c.durationMs > 0 ? formatDuration(c.durationMs) : '';
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

export function categoryTitle(category: string): string {
  return Object.hasOwn(categoryTitles, category) ? categoryTitles[category]! : category;
}
