// Turns a registry into run.json metrics and back, and merges serialised metrics exactly (histograms added, not averaged).
import { MetricRegistry, metricKey } from './registry.js';
import { Trend } from './trend.js';
import type { SerializedMetric, TimeSeries, TrendMetric } from '../result/model.js';

export function serializeMetrics(registry: MetricRegistry, durationSec: number): SerializedMetric[] {
  const out: SerializedMetric[] = [];
  const ref = registry.headlineRef;
  // A headline named without tags is the figure over all of that metric's series (e.g. query_duration of every query).
  const isHeadline = (name: string, tags: Record<string, string>) =>
    ref !== undefined && ref.name === name && (Object.keys(ref.tags).length === 0 || metricKey(ref.name, ref.tags) === metricKey(name, tags));
  const meaningOf = (name: string, tags: Record<string, string>, type: SerializedMetric['type']) => {
    const m = registry.metaOf(name, type);
    return {
      meaning: m.meaning, better: m.better,
      ...(m.description ? { description: m.description } : {}),
      ...(m.basis && m.basis !== 'measured' ? { basis: m.basis } : {}),
      ...(m.controlFor ? { controlFor: m.controlFor } : {}),
      ...(m.operation ? { operation: m.operation } : {}),
      ...(isHeadline(name, tags) ? { headline: true } : {}),
    };
  };
  for (const e of registry.trends.values()) {
    out.push({ type: 'trend', name: e.name, tags: e.tags, unit: e.unit, ...meaningOf(e.name, e.tags, 'trend'), summary: e.metric.summary(), histogram: e.metric.encode() });
  }
  for (const e of registry.rates.values()) {
    out.push({ type: 'rate', name: e.name, tags: e.tags, unit: e.unit, ...meaningOf(e.name, e.tags, 'rate'), hits: e.metric.hits, total: e.metric.total, value: e.metric.value });
  }
  for (const e of registry.counters.values()) {
    const rated = registry.metaOf(e.name, 'counter').perSecond === true;
    const perSecond = rated && durationSec > 0 ? e.metric.count / durationSec : undefined;
    out.push({ type: 'counter', name: e.name, tags: e.tags, unit: e.unit, ...meaningOf(e.name, e.tags, 'counter'), count: e.metric.count, ...(perSecond !== undefined ? { perSecond } : {}) });
  }
  for (const e of registry.gauges.values()) {
    const g = e.metric;
    out.push({ type: 'gauge', name: e.name, tags: e.tags, unit: e.unit, ...meaningOf(e.name, e.tags, 'gauge'), value: g.value, min: g.samples ? g.min : 0, max: g.samples ? g.max : 0 });
  }
  return out;
}

export function serializeSeries(registry: MetricRegistry): TimeSeries[] {
  return [...registry.series.values()].map((s) => ({ name: s.name, tags: s.tags, unit: s.unit, points: s.points.toArray() }));
}

/** Merges trend metrics into one trend (their histograms added); used for tag-less thresholds and overall response time. */
export function mergeTrends(metrics: TrendMetric[]): Trend {
  const merged = new Trend();
  for (const m of metrics) merged.merge(Trend.decode(m.histogram));
  return merged;
}

/** Merges the same metrics from several results (segments, workers): counts add, histograms add, gauges keep extremes. */
export function mergeMetricLists(lists: SerializedMetric[][], durationSec: number): SerializedMetric[] {
  const byKey = new Map<string, SerializedMetric[]>();
  for (const list of lists) {
    for (const m of list) {
      const key = `${m.type}:${metricKey(m.name, m.tags)}`;
      const group = byKey.get(key) ?? [];
      group.push(m);
      byKey.set(key, group);
    }
  }
  const out: SerializedMetric[] = [];
  for (const group of byKey.values()) {
    const first = group[0]!;
    switch (first.type) {
      case 'trend': {
        const t = mergeTrends(group as TrendMetric[]);
        out.push({ ...first, summary: t.summary(), histogram: t.encode() });
        break;
      }
      case 'rate': {
        let hits = 0;
        let total = 0;
        for (const m of group) if (m.type === 'rate') { hits += m.hits; total += m.total; }
        out.push({ ...first, hits, total, value: total === 0 ? 0 : hits / total });
        break;
      }
      case 'counter': {
        let count = 0;
        for (const m of group) if (m.type === 'counter') count += m.count;
        const rated = first.perSecond !== undefined;
        out.push({ ...first, count, ...(rated ? { perSecond: durationSec > 0 ? count / durationSec : 0 } : {}) });
        break;
      }
      case 'gauge': {
        const gs = group.filter((m) => m.type === 'gauge');
        out.push({ ...first, value: gs[gs.length - 1]!.value, min: Math.min(...gs.map((g) => g.min)), max: Math.max(...gs.map((g) => g.max)) });
        break;
      }
    }
  }
  return out;
}
