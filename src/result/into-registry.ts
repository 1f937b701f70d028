// Adds serialised metrics into a live registry exactly: histograms added, rate and counter counts added, gauge extremes
// kept, declared meanings carried over.
import type { MetricRegistry } from '../metrics/registry.js';
import { Trend } from '../metrics/trend.js';
import type { SerializedMetric } from './model.js';

export function mergeIntoRegistry(registry: MetricRegistry, metrics: SerializedMetric[]): void {
  for (const m of metrics) {
    // The meaning travels with the figures; one the receiving check declared itself wins.
    if (m.meaning && !registry.meta.has(m.name)) {
      registry.describe(m.name, { meaning: m.meaning, ...(m.better ? { better: m.better } : {}), ...(m.type === 'counter' && m.perSecond !== undefined ? { perSecond: true } : {}), ...(m.description ? { description: m.description } : {}), ...(m.basis ? { basis: m.basis } : {}), ...(m.controlFor ? { controlFor: m.controlFor } : {}) });
    }
    switch (m.type) {
      case 'trend':
        registry.trend(m.name, m.tags, m.unit).merge(Trend.decode(m.histogram));
        break;
      case 'rate': {
        const r = registry.rate(m.name, m.tags);
        r.hits += m.hits;
        r.total += m.total;
        break;
      }
      case 'counter':
        registry.counter(m.name, m.tags, m.unit).add(m.count);
        break;
      case 'gauge': {
        const g = registry.gauge(m.name, m.tags, m.unit);
        // min and max first so the extremes survive, then the last value.
        g.set(m.min);
        g.set(m.max);
        g.set(m.value);
        break;
      }
    }
  }
}
