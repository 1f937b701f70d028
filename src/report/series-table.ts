// Groups a check's `<x>_duration` trends with their `<x>_errors` rate and `<x>_throughput` gauge by tags, so reporters
// can show one row per operation (query, command, …) instead of three scattered metrics.
import { metricKey } from '../metrics/registry.js';
import type { CheckResult, Rating, RateMetric, SerializedMetric, TrendMetric, GaugeMetric } from '../result/model.js';

export interface SeriesRow {
  /** The tag values that tell rows apart, e.g. `point_lookup`; `all` for an untagged series. */
  label: string;
  duration: TrendMetric;
  errors?: RateMetric;
  throughput?: GaugeMetric;
  band?: Rating['band'];
}

export interface SeriesTable {
  /** The tag key the rows differ by (`query`); empty for untagged series, one row per metric prefix. */
  tagKey: string;
  rows: SeriesRow[];
  /** Every metric the table shows, so callers can list the rest separately. */
  consumed: Set<SerializedMetric>;
}

export function seriesTables(c: CheckResult): SeriesTable[] {
  const tables = new Map<string, SeriesTable>();
  const byKey = new Map(c.metrics.map((m) => [`${m.type}:${metricKey(m.name, m.tags)}`, m]));
  for (const m of c.metrics) {
    if (m.type !== 'trend' || !m.name.endsWith('_duration')) continue;
    const prefix = m.name.slice(0, -'_duration'.length);
    const tagKeys = Object.keys(m.tags);
    const tagKey = tagKeys.join(',');
    const table = tables.get(tagKey) ?? { tagKey, rows: [], consumed: new Set<SerializedMetric>() };
    const errors = byKey.get(`rate:${metricKey(`${prefix}_errors`, m.tags)}`) as RateMetric | undefined;
    const throughput = byKey.get(`gauge:${metricKey(`${prefix}_throughput`, m.tags)}`) as GaugeMetric | undefined;
    const rating = c.ratings.find((r) => r.kind === 'response_time_ms' && r.metric === metricKey(m.name, m.tags));
    table.rows.push({
      label: tagKeys.length ? tagKeys.map((k) => m.tags[k]).join(',') : prefix,
      duration: m,
      ...(errors ? { errors } : {}),
      ...(throughput ? { throughput } : {}),
      ...(rating ? { band: rating.band } : {}),
    });
    for (const x of [m, errors, throughput]) if (x) table.consumed.add(x);
    tables.set(tagKey, table);
  }
  return [...tables.values()];
}
