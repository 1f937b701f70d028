// The `cache` category's checks, in run order: the server's view first (read-only, before stackprobe's own traffic), then the workloads.
import type { Check } from '../types.js';
import { cacheConcurrencyCheck } from './concurrency.js';
import { cacheHitRateCheck } from './hit-rate.js';
import { cacheLatencyCheck } from './latency.js';
import { cacheServerCheck } from './server.js';

export { cacheConcurrencyCheck, cacheHitRateCheck, cacheLatencyCheck, cacheServerCheck };

export const cacheChecks: Check[] = [cacheServerCheck, cacheLatencyCheck, cacheHitRateCheck, cacheConcurrencyCheck];
