// Merges the per-second series of several results: request counts add up by second, latencies keep the worst second,
// and everything else (resources of each machine) stays apart, tagged with the segment it came from.
import type { TimeSeries } from '../result/model.js';
import { metricKey } from '../metrics/registry.js';

const SUMMED = new Set(['load_throughput', 'load_errors_per_s']);
/** A per-second p95 cannot be merged exactly without that second's histogram: the worst segment's is the upper bound. */
const MAXED = new Set(['load_p95', 'load_stage_level']);

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

/** `lists[i]` is segment `labels[i]`'s series. */
export function mergeSeries(lists: TimeSeries[][], labels: string[]): TimeSeries[] {
  const groups = new Map<string, TimeSeries[]>();
  const out: TimeSeries[] = [];
  lists.forEach((list, i) => {
    for (const s of list) {
      if (SUMMED.has(s.name) || MAXED.has(s.name)) {
        const key = metricKey(s.name, s.tags);
        groups.set(key, [...(groups.get(key) ?? []), s]);
      } else {
        out.push({ ...s, tags: { ...s.tags, segment: labels[i]! } });
      }
    }
  });
  const merged = [...groups.values()].map((g) => combine(g, SUMMED.has(g[0]!.name) ? (a, b) => a + b : Math.max));
  return [...merged, ...out];
}
