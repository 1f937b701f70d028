// The metric registry a check records into: trends, rates, counters, gauges and one-second time series, keyed by name + tags.
import { defaultMeta, impliedBetter, type MetricBasis, type MetricMeaning, type MetricMeta } from './meaning.js';
import { Trend } from './trend.js';

export type Tags = Record<string, string>;
export type MetricKind = 'trend' | 'rate' | 'counter' | 'gauge';

export class Rate {
  hits = 0;
  total = 0;
  /** Adds one observation: `true` counts towards the rate (e.g. "this request failed"). */
  add(hit: boolean): void {
    this.total++;
    if (hit) this.hits++;
  }
  get value(): number {
    return this.total === 0 ? 0 : this.hits / this.total;
  }
}

export class Counter {
  count = 0;
  add(n = 1): void {
    this.count += n;
  }
}

export class Gauge {
  value = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  samples = 0;
  set(v: number): void {
    this.value = v;
    this.samples++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }
}

export interface MetricEntry<T> {
  name: string;
  tags: Tags;
  unit: string;
  metric: T;
}

export interface SeriesEntry {
  name: string;
  tags: Tags;
  unit: string;
  /** [seconds since the check started, value] */
  points: Array<[number, number]>;
}

export function metricKey(name: string, tags: Tags): string {
  const keys = Object.keys(tags).sort();
  if (keys.length === 0) return name;
  return `${name}{${keys.map((k) => `${k}:${tags[k]}`).join(',')}}`;
}

export class MetricRegistry {
  readonly trends = new Map<string, MetricEntry<Trend>>();
  readonly rates = new Map<string, MetricEntry<Rate>>();
  readonly counters = new Map<string, MetricEntry<Counter>>();
  readonly gauges = new Map<string, MetricEntry<Gauge>>();
  readonly series = new Map<string, SeriesEntry>();
  /** Declared meanings by metric name (every tag combination of a name shares one meaning). */
  readonly meta = new Map<string, MetricMeta>();
  /** The check's headline figure: a metric name and optional tags, set with `headline()`. */
  headlineRef: { name: string; tags: Tags } | undefined;

  /**
   * Declares what a metric means; call before or after recording. `better` defaults to what the meaning implies
   * (`latency`, `duration`, `defects`: lower; `throughput`: higher; the rest: none).
   */
  describe(name: string, meta: { meaning: MetricMeaning; better?: MetricMeta['better']; perSecond?: boolean; description?: string; basis?: MetricBasis; controlFor?: string }): this {
    this.meta.set(name, { ...meta, better: meta.better ?? impliedBetter(meta.meaning) });
    return this;
  }

  /** The meaning of a metric: declared, or the neutral default for its type. */
  metaOf(name: string, type: 'trend' | 'rate' | 'counter' | 'gauge'): MetricMeta {
    return this.meta.get(name) ?? defaultMeta(type);
  }

  /**
   * Marks the figure that answers the check's question; reporters show it first and compare judges it. Without tags it
   * means every series of that name taken together (their histograms merged).
   */
  headline(name: string, tags: Tags = {}): void {
    this.headlineRef = { name, tags: { ...tags } };
  }

  trend(name: string, tags: Tags = {}, unit = 'ms'): Trend {
    return this.getOrCreate(this.trends, name, tags, unit, () => new Trend());
  }

  rate(name: string, tags: Tags = {}): Rate {
    return this.getOrCreate(this.rates, name, tags, 'ratio', () => new Rate());
  }

  counter(name: string, tags: Tags = {}, unit = 'count'): Counter {
    return this.getOrCreate(this.counters, name, tags, unit, () => new Counter());
  }

  gauge(name: string, tags: Tags = {}, unit = ''): Gauge {
    return this.getOrCreate(this.gauges, name, tags, unit, () => new Gauge());
  }

  /** A one-second time series; `point(t, v)` appends, the caller owns the clock. */
  timeSeries(name: string, tags: Tags = {}, unit = ''): SeriesEntry {
    const key = metricKey(name, tags);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { name, tags: { ...tags }, unit, points: [] };
      this.series.set(key, entry);
    }
    return entry;
  }

  private getOrCreate<T>(map: Map<string, MetricEntry<T>>, name: string, tags: Tags, unit: string, make: () => T): T {
    const key = metricKey(name, tags);
    let entry = map.get(key);
    if (!entry) {
      entry = { name, tags: { ...tags }, unit, metric: make() };
      map.set(key, entry);
    }
    return entry.metric;
  }
}
