// Metrics of a cache check declared once, as data ({ name, kind, unit, meaning, better, description, basis? }), and
// recorded through the registry from that declaration, so a metric's unit and meaning live in one place.
import type { Better, MetricBasis, MetricMeaning } from '../../metrics/meaning.js';
import type { Counter, Gauge, MetricKind, MetricRegistry, Rate, Tags } from '../../metrics/registry.js';
import type { Trend } from '../../metrics/trend.js';

export interface MetricDecl<K extends MetricKind = MetricKind> {
  name: string;
  kind: K;
  unit: string;
  meaning: MetricMeaning;
  better: Better;
  description: string;
  basis?: MetricBasis;
}

/** Tells the registry what every metric of `decls` means (before anything is recorded). */
export function declareAll(m: MetricRegistry, decls: Record<string, MetricDecl>): void {
  for (const d of Object.values(decls)) {
    m.describe(d.name, { meaning: d.meaning, better: d.better, description: d.description, ...(d.basis ? { basis: d.basis } : {}) });
  }
}

export const gaugeOf = (m: MetricRegistry, d: MetricDecl<'gauge'>, tags: Tags = {}): Gauge => m.gauge(d.name, tags, d.unit);
export const counterOf = (m: MetricRegistry, d: MetricDecl<'counter'>, tags: Tags = {}): Counter => m.counter(d.name, tags, d.unit);
export const trendOf = (m: MetricRegistry, d: MetricDecl<'trend'>, tags: Tags = {}): Trend => m.trend(d.name, tags, d.unit);
export const rateOf = (m: MetricRegistry, d: MetricDecl<'rate'>, tags: Tags = {}): Rate => m.rate(d.name, tags);

/** Sets a gauge when the value is a finite number (a figure the server did not give is left out, not recorded as 0). */
export function setGauge(m: MetricRegistry, d: MetricDecl<'gauge'>, value: number | undefined, tags: Tags = {}): void {
  if (value !== undefined && Number.isFinite(value)) gaugeOf(m, d, tags).set(value);
}
