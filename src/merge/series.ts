// Merges the per-second series of several results: request and error counts add up by second, the stage level (the
// whole profile's, the same in every segment) is taken once, and everything else stays apart, tagged with its segment.
import type { TimeSeries } from '../result/model.js';
import { metricKey } from '../metrics/registry.js';

const SUMMED = new Set(['load_throughput', 'load_errors_per_s']);
/** Every segment records the whole profile's level for the stage, so any one of them is the merged value. */
const SAME_IN_EVERY_SEGMENT = new Set(['load_stage_level']);
/**
 * Not merged, on purpose: `load_p95` (and any per-second percentile). A p95 of one second over several machines needs
 * that second's histograms, which run.json does not keep; the worst segment's p95 is not the p95 of the whole (it
 * overstates it), nor is an average. Each segment's p95 series is kept, tagged with its segment, and the merged
 * result's p95 over the run comes from the merged histograms, exactly.
 */
export const NOT_MERGED_PERCENTILES = new Set(['load_p95']);

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
      if (SUMMED.has(s.name) || SAME_IN_EVERY_SEGMENT.has(s.name)) {
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
