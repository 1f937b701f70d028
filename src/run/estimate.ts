// How long a check is expected to take, for the progress view's ETA: the quick-run time the check declares
// (`typicalQuickMs`), times the mode's scale, capped by the check's budget. An estimate, shown with `~`.
import type { Check } from '../checks/types.js';
import type { Config } from '../config/schema.js';

/** A check that declares no time (a small catalog check, a plugin) takes about this long in a quick run. */
const TYPICAL_MS = 100;
/** Full runs measure longer and on more data; a load test runs its stages. Rough, corrected by what the run measures. */
const MODE_SCALE: Record<Config['mode'], number> = { quick: 1, full: 4, 'load-test': 3 };

export function estimateMs(check: Pick<Check, 'typicalQuickMs'>, config: Pick<Config, 'mode' | 'timeouts'>): number {
  const base = (check.typicalQuickMs ?? TYPICAL_MS) * MODE_SCALE[config.mode];
  return Math.min(base, config.timeouts.check_ms);
}
