// How long a check is expected to take, for the progress view's ETA: a quick run's measured durations (a 2-core host,
// local services, 2026-11), times the mode's scale, capped by the check's budget. An estimate, shown with `~`.
import type { Config } from '../config/schema.js';

/** Milliseconds per check in a quick run; checks not listed (plugins) take the typical value. */
const QUICK_MS: Record<string, number> = {
  'pool.acquire': 800, 'pool.contention': 2100, 'pool.sizing': 13_600, 'queries.basic': 9300, 'queries.financial': 9200,
  'backup.roundtrip': 1000, 'cache.latency': 6300, 'cache.hit_rate': 4100, 'cache.concurrency': 4100, 'load.mixed': 9200,
  'tasks.roundtrip': 5000, 'tasks.throughput': 8000, 'tasks.errors': 5000, 'tasks.bullmq': 5000, 'load.replay': 9000,
  'backup.restore_drill': 10_000,
};
const TYPICAL_MS = 100;
/** Full runs measure longer and on more data; a load test runs its stages. Rough, corrected by what the run measures. */
const MODE_SCALE: Record<Config['mode'], number> = { quick: 1, full: 4, 'load-test': 3 };

export function estimateMs(checkId: string, config: Pick<Config, 'mode' | 'timeouts'>): number {
  const base = (QUICK_MS[checkId] ?? TYPICAL_MS) * MODE_SCALE[config.mode];
  return Math.min(base, config.timeouts.check_ms);
}
