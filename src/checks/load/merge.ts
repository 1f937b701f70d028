// What `stackprobe merge` does with a load check beyond adding its metrics up: the stage analysis is recomputed from the
// merged raw metrics, and the per-second series combine as each is declared (src/checks/load/metrics.ts).
import { seriesMerges } from '../../metrics/declare.js';
import type { MergeHooks } from '../types.js';
import { SERIES } from './metrics.js';
import { rederiveLoad } from './rederive.js';

export const loadMerge: MergeHooks = {
  rederive: (merged) => rederiveLoad(merged, merged.metrics),
  series: seriesMerges(Object.values(SERIES)),
};
