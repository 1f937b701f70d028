// Merges the per-second series of several results: a series its check declares `sum` adds up by second, one declared
// `same` (a level every segment records alike) is taken once, and everything else stays apart, tagged with its segment.
import type { SeriesMerge } from '../checks/types.js';
import type { TimeSeries } from '../result/model.js';
import { metricKey } from '../metrics/registry.js';

function combine(series: TimeSeries[], op: (a: number, b: number) => number): TimeSeries {
  const bySecond = new Map<number, number>();
  for (const s of series) {
    for (const [t, v] of s.points) {
      const sec = Math.round(t);
      const prev = bySecond.get(sec);
      bySecond.set(sec, prev === undefined ? v : op(prev, v));
    }
  }
  const points = [...bySecond.entries()].sort((a, b) => a[0] - b[0]) as Array<[number, number]>;
  return { ...series[0]!, points };
}

const OPS: Record<SeriesMerge, (a: number, b: number) => number> = { sum: (a, b) => a + b, same: Math.max };

/**
 * `lists[i]` is segment `labels[i]`'s series; `declared` is how the check's series combine (its MergeHooks.series). A
 * series without a declaration is never combined: a per-second percentile of several machines cannot be rebuilt from
 * their per-second percentiles, nor can an undeclared figure be assumed to add up.
 */
export function mergeSeries(lists: TimeSeries[][], labels: string[], declared: Readonly<Record<string, SeriesMerge>> = {}): TimeSeries[] {
  const groups = new Map<string, { how: SeriesMerge; series: TimeSeries[] }>();
  const out: TimeSeries[] = [];
  lists.forEach((list, i) => {
    for (const s of list) {
      const how = Object.hasOwn(declared, s.name) ? declared[s.name] : undefined;
      if (how) {
        const key = metricKey(s.name, s.tags);
        const group = groups.get(key) ?? { how, series: [] };
        group.series.push(s);
        groups.set(key, group);
      } else {
        out.push({ ...s, tags: { ...s.tags, segment: labels[i]! } });
      }
    }
  });
  const merged = [...groups.values()].map((g) => combine(g.series, OPS[g.how]));
  return [...merged, ...out];
}
