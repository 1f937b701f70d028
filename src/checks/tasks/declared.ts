// Metric declarations of the tasks checks as data: described once from the declaration, recorded by its name and unit.
import type { Better, MetricBasis, MetricMeaning } from '../../metrics/meaning.js';
import type { Counter, Gauge, MetricKind, MetricRegistry, Rate, Tags } from '../../metrics/registry.js';
import type { Trend } from '../../metrics/trend.js';

/** What a metric is, declared once per check module: its kind, unit, meaning and which way is better. */
export interface MetricDeclaration {
  name: string;
  kind: MetricKind;
  unit: string;
  meaning: MetricMeaning;
  better: Better;
  description: string;
  basis?: MetricBasis;
}

/** Describes every declared metric in the registry (call once at the start of run). */
export function declareMetrics(m: MetricRegistry, decls: Record<string, MetricDeclaration>): void {
  for (const d of Object.values(decls)) {
    m.describe(d.name, { meaning: d.meaning, better: d.better, description: d.description, ...(d.basis ? { basis: d.basis } : {}) });
  }
}

export function gaugeOf(m: MetricRegistry, d: MetricDeclaration, tags: Tags = {}): Gauge {
  return m.gauge(d.name, tags, d.unit);
}

export function counterOf(m: MetricRegistry, d: MetricDeclaration, tags: Tags = {}): Counter {
  return m.counter(d.name, tags, d.unit);
}

export function trendOf(m: MetricRegistry, d: MetricDeclaration, tags: Tags = {}): Trend {
  return m.trend(d.name, tags, d.unit);
}

export function rateOf(m: MetricRegistry, d: MetricDeclaration, tags: Tags = {}): Rate {
  return m.rate(d.name, tags);
}
