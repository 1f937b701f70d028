// The metric registry a check records into: trends, rates, counters, gauges and one-second time series, keyed by name + tags.
// Recording takes a declaration (src/metrics/declare.ts): `trend(decl, tags)`, never a bare name, so an undeclared
// metric cannot be recorded (a type error, not a test).
import { sameDeclaration, type CounterDecl, type GaugeDecl, type MetricDecl, type RateDecl, type SeriesDecl, type TrendDecl } from './declare.js';
import { defaultMeta, type MetricMeta } from './meaning.js';
import { SeriesPoints } from './series-points.js';
import { Trend } from './trend.js';
import { unitLabel } from './unit.js';

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
  /** [seconds since the check started, value], appended with `points.push([t, v])` (compact: series-points.ts). */
  points: SeriesPoints;
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
  /** The declaration of every metric recorded through one, by name. */
  readonly declarations = new Map<string, MetricDecl>();
  /** The check's headline figure: a metric name and optional tags, set with `headline()`. */
  headlineRef: { name: string; tags: Tags } | undefined;

  /** The meaning of a metric: declared, or the neutral default for its type. */
  metaOf(name: string, type: 'trend' | 'rate' | 'counter' | 'gauge'): MetricMeta {
    return this.meta.get(name) ?? defaultMeta(type);
  }

  /**
   * Marks the figure that answers the check's question; reporters show it first and compare judges it. Without tags it
   * means every series of that name taken together (their histograms merged).
   */
  headline(metric: string | MetricDecl, tags: Tags = {}): void {
    this.headlineRef = { name: typeof metric === 'string' ? metric : metric.name, tags: { ...tags } };
  }

  /** Records the declaration of `decl.name`; a second, different declaration of one name is a programming error. */
  declare(decl: MetricDecl): string {
    // A JavaScript plugin gets no type error for a bare name: it gets this instead of a TypeError deep in the registry.
    if (typeof decl !== 'object' || decl === null || typeof decl.name !== 'string') {
      throw new TypeError(`a metric is recorded through its declaration, not ${typeof decl === 'string' ? `by its name ('${decl}')` : 'a ' + typeof decl}: declare it once with metric.trend({ name, meaning, unit, … }) (or counter/rate/gauge) and pass that (docs/plugins.md)`);
    }
    const known = this.declarations.get(decl.name);
    if (known && !sameDeclaration(known, decl)) throw new Error(`metric ${decl.name} is declared twice, differently`);
    if (!known) {
      this.declarations.set(decl.name, decl);
      this.meta.set(decl.name, {
        meaning: decl.meaning, better: decl.better,
        ...(decl.perSecond ? { perSecond: true } : {}),
        ...(decl.description ? { description: decl.description } : {}),
        ...(decl.basis ? { basis: decl.basis } : {}),
        ...(decl.controlFor ? { controlFor: decl.controlFor } : {}),
        ...(decl.operation ? { operation: decl.operation } : {}),
      });
    }
    return unitLabel(decl.unit);
  }

  trend(d: TrendDecl, tags: Tags = {}): Trend {
    const u = this.declare(d);
    return this.getOrCreate(this.trends, d.name, tags, u, () => new Trend());
  }

  rate(d: RateDecl, tags: Tags = {}): Rate {
    const u = this.declare(d);
    return this.getOrCreate(this.rates, d.name, tags, u, () => new Rate());
  }

  counter(d: CounterDecl, tags: Tags = {}): Counter {
    const u = this.declare(d);
    return this.getOrCreate(this.counters, d.name, tags, u, () => new Counter());
  }

  gauge(d: GaugeDecl, tags: Tags = {}): Gauge {
    const u = this.declare(d);
    return this.getOrCreate(this.gauges, d.name, tags, u, () => new Gauge());
  }

  /** A one-second time series; `points.push([t, v])` (or `points.add(t, v)`) appends, the caller owns the clock. */
  timeSeries(d: SeriesDecl, tags: Tags = {}): SeriesEntry {
    // A series shares its name with the gauge or trend it plots; only its unit is taken from the declaration.
    const key = metricKey(d.name, tags);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { name: d.name, tags: { ...tags }, unit: unitLabel(d.unit), points: new SeriesPoints() };
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
