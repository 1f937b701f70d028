// Groups the figures one kind of operation recorded (its duration trend, its error share, its throughput gauge), by tags,
// so reporters can show one row per operation (query, command, …) instead of three scattered metrics. Which figures
// belong together is declared with them (`operation`, src/metrics/meaning.ts), never read from their names.
import { metricKey } from '../metrics/registry.js';
import type { OperationRole } from '../metrics/meaning.js';
import type { CheckResult, Rating, RateMetric, SerializedMetric, TrendMetric, GaugeMetric } from '../result/model.js';

export interface SeriesRow {
  /** The tag values that tell rows apart, e.g. `point_lookup`; the operation (or the trend) for an untagged one. */
  label: string;
  duration: TrendMetric;
  errors?: RateMetric;
  throughput?: GaugeMetric;
  band?: Rating['band'];
}

export interface SeriesTable {
  /** The tag key the rows differ by (`query`); empty for untagged series, one row per operation. */
  tagKey: string;
  rows: SeriesRow[];
  /** Every metric the table shows, so callers can list the rest separately. */
  consumed: Set<SerializedMetric>;
}

/** The trends a table has a row for: timings of operations or phases, not the no-op controls beside them. */
const isTiming = (m: SerializedMetric): m is TrendMetric => m.type === 'trend' && (m.meaning === 'latency' || m.meaning === 'duration') && m.controlFor === undefined;

export function seriesTables(c: CheckResult): SeriesTable[] {
  const tables = new Map<string, SeriesTable>();
  const part = new Map<string, SerializedMetric>();
  for (const m of c.metrics) if (m.operation) part.set(`${m.operation.name}\u0000${m.operation.role}\u0000${metricKey('', m.tags)}`, m);
  const partOf = (m: TrendMetric, role: OperationRole) => (m.operation ? part.get(`${m.operation.name}\u0000${role}\u0000${metricKey('', m.tags)}`) : undefined);
  for (const m of c.metrics) {
    if (!isTiming(m)) continue;
    const tagKeys = Object.keys(m.tags);
    const tagKey = tagKeys.join(',');
    const table = tables.get(tagKey) ?? { tagKey, rows: [], consumed: new Set<SerializedMetric>() };
    const errors = partOf(m, 'errors');
    const throughput = partOf(m, 'throughput');
    const rating = c.ratings.find((r) => r.kind === 'response_time_ms' && r.metric === metricKey(m.name, m.tags));
    table.rows.push({
      label: tagKeys.length ? tagKeys.map((k) => m.tags[k]).join(',') : m.operation?.name ?? m.name,
      duration: m,
      ...(errors?.type === 'rate' ? { errors } : {}),
      ...(throughput?.type === 'gauge' ? { throughput } : {}),
      ...(rating ? { band: rating.band } : {}),
    });
    for (const x of [m, errors, throughput]) if (x) table.consumed.add(x);
    tables.set(tagKey, table);
  }
  return [...tables.values()];
}
