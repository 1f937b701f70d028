// What `stackprobe merge` does with a load check beyond adding its metrics up: the stage analysis is recomputed from the
// merged raw metrics, and the per-second request and error counts add up across segments.
import type { MergeHooks } from '../types.js';
import { rederiveLoad } from './rederive.js';

/**
 * `load_p95` (and any per-second percentile) is not merged, on purpose: a p95 of one second over several machines needs
 * that second's histograms, which run.json does not keep; the worst segment's p95 is not the p95 of the whole (it
 * overstates it), nor is an average. Each segment's p95 series is kept, tagged with its segment, and the merged result's
 * p95 over the run comes from the merged histograms, exactly.
 */
export const loadMerge: MergeHooks = {
  rederive: (merged) => rederiveLoad(merged, merged.metrics),
  series: {
    load_throughput: 'sum',
    load_errors_per_s: 'sum',
    // Every segment records the whole profile's level for the stage, so any one of them is the merged value.
    load_stage_level: 'same',
  },
};
