// The cache checks' headline charts: the measured hit rate against what the key distribution allows (cache.hit_rate),
// and throughput by concurrency (cache.concurrency).
import type { HeadlineView } from '../types.js';
import type { ChartSeries, Headline } from '../../result/model.js';
import { formatNumber } from '../../util/number-format.js';
import { CACHE_HIT_RATE_SERIES } from './metrics.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

export function hitRateHeadline(view: HeadlineView): Headline | undefined {
  const s = view.timeSeries.find((x) => x.name === CACHE_HIT_RATE_SERIES.name && x.points.length > 0);
  if (!s) return undefined;
  const expected = num(obj(view.info.hit_rate).expected);
  const points = s.points.map(([x, y]) => [x, y * 100] as [number, number]);
  const low = Math.min(...points.map((p) => p[1]).filter(Number.isFinite), expected !== undefined ? expected * 100 : 100);
  return {
    panels: [{
      kind: 'line', caption: 'Hit rate measured against expected: does the cache keep what it should?',
      title: 'Cache hit rate over time', xTitle: 's since the check started', yTitle: 'hit rate (%)',
      series: [{ label: 'measured hit rate', points }],
      yMin: Math.max(0, Math.floor((low - 5) / 10) * 10),
      ...(expected !== undefined ? { yMarks: [{ at: expected * 100, label: `expected ${formatNumber(expected * 100)} % for this key distribution`, kind: 'good' as const }] } : {}),
    }],
  };
}

export function concurrencyHeadline(view: HeadlineView): Headline | undefined {
  const curve = Array.isArray(view.info.curve) ? view.info.curve.map(obj) : [];
  if (curve.length < 3) return undefined;
  const series: ChartSeries[] = [{ label: 'operations/s', points: curve.map((r) => [num(r.concurrency) ?? Number.NaN, num(r.ops_per_s) ?? Number.NaN]) }];
  return {
    panels: [{
      kind: 'line', caption: 'Cache throughput by concurrency: where does it stop growing?',
      title: 'Cache throughput by concurrency', xTitle: 'requests in flight', yTitle: 'operations/s', series,
    }],
  };
}
