// Test helper: declarations for metrics a test records by hand, with the registry's former defaults (a trend in ms
// meaning a duration, a rate a share, a counter a count, a gauge a state) unless a test's book says otherwise.
import { metric, type CounterDecl, type GaugeDecl, type RateDecl, type SeriesDecl, type TrendDecl } from '../../src/metrics/declare.js';
import type { Better, MetricBasis, MetricMeaning, OperationPart } from '../../src/metrics/meaning.js';
import { unitOfLabel } from '../../src/metrics/unit.js';

export interface Meaning {
  meaning: MetricMeaning;
  better?: Better;
  perSecond?: boolean;
  basis?: MetricBasis;
  controlFor?: string;
  description?: string;
  operation?: OperationPart;
}

/** Declarations by name: `book` gives the meaning of the names a test declares itself (what it once `describe`d). */
export function decls(book: Record<string, Meaning> = {}) {
  const of = (name: string, meaning: MetricMeaning): Meaning => book[name] ?? { meaning };
  return {
    trend: (name: string, unit = 'ms'): TrendDecl => metric.trend({ name, unit: unitOfLabel(unit), ...of(name, 'duration') }),
    rate: (name: string): RateDecl => metric.rate({ name, ...of(name, 'share') }),
    counter: (name: string, unit = 'count'): CounterDecl => metric.counter({ name, unit: unitOfLabel(unit), ...of(name, 'count') }),
    gauge: (name: string, unit = ''): GaugeDecl => metric.gauge({ name, unit: unitOfLabel(unit), ...of(name, 'state') }),
    series: (name: string, unit = ''): SeriesDecl => metric.series({ name, unit: unitOfLabel(unit) }),
  };
}

/** Declarations with the defaults alone. */
export const D = decls();
