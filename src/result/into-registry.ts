// Adds serialised metrics into a live registry exactly: histograms added, rate and counter counts added, gauge extremes
// kept, each recorded through a declaration: the receiving registry's own when it has one, else the one the figures
// carry (run.json keeps every metric's type, meaning, better direction and unit).
import { metric, type MetricDecl } from '../metrics/declare.js';
import type { MetricRegistry } from '../metrics/registry.js';
import { Trend } from '../metrics/trend.js';
import { unitOfLabel } from '../metrics/unit.js';
import type { SerializedMetric } from './model.js';

/** The declaration a serialised metric was recorded under, rebuilt from what run.json keeps of it. */
export function declarationOf(m: SerializedMetric): MetricDecl {
  const spec = {
    name: m.name, meaning: m.meaning, better: m.better, unit: unitOfLabel(m.unit),
    ...(m.description ? { description: m.description } : {}), ...(m.basis ? { basis: m.basis } : {}),
    ...(m.operation ? { operation: m.operation } : {}),
  };
  switch (m.type) {
    case 'trend': return metric.trend({ ...spec, ...(m.controlFor ? { controlFor: m.controlFor } : {}) });
    case 'rate': return metric.rate(spec);
    // A per-second figure is kept only for a counter declared with one.
    case 'counter': return metric.counter({ ...spec, ...(m.perSecond !== undefined ? { perSecond: true } : {}) });
    case 'gauge': return metric.gauge(spec);
  }
}

function declFor<T extends SerializedMetric['type']>(registry: MetricRegistry, m: SerializedMetric & { type: T }): MetricDecl<T> {
  const known = registry.declarations.get(m.name);
  // The meaning travels with the figures; one the receiving check declared itself wins.
  if (known && known.type !== m.type) throw new Error(`metric ${m.name} is a ${m.type} here and declared a ${known.type}`);
  return (known ?? declarationOf(m)) as MetricDecl<T>;
}

export function mergeIntoRegistry(registry: MetricRegistry, metrics: SerializedMetric[]): void {
  for (const m of metrics) {
    switch (m.type) {
      case 'trend':
        registry.trend(declFor(registry, m), m.tags).merge(Trend.decode(m.histogram));
        break;
      case 'rate': {
        const r = registry.rate(declFor(registry, m), m.tags);
        r.hits += m.hits;
        r.total += m.total;
        break;
      }
      case 'counter':
        registry.counter(declFor(registry, m), m.tags).add(m.count);
        break;
      case 'gauge': {
        const g = registry.gauge(declFor(registry, m), m.tags);
        // min and max first so the extremes survive, then the last value.
        g.set(m.min);
        g.set(m.max);
        g.set(m.value);
        break;
      }
    }
  }
}
