// The `cache` category's checks, in run order: the server's view and the key space first (read-only, before stackprobe's own traffic), then the workloads.
import type { Check } from '../types.js';
import { cacheConcurrencyCheck } from './concurrency.js';
import { cacheHitRateCheck } from './hit-rate.js';
import { cacheKeyspaceCheck } from './keyspace.js';
import { cacheLatencyCheck } from './latency.js';
import { cacheServerCheck } from './server.js';
import { cacheStampedeCheck } from './stampede.js';

export { cacheConcurrencyCheck, cacheHitRateCheck, cacheKeyspaceCheck, cacheLatencyCheck, cacheServerCheck, cacheStampedeCheck };

export const cacheChecks: Check[] = [cacheServerCheck, cacheKeyspaceCheck, cacheLatencyCheck, cacheHitRateCheck, cacheStampedeCheck, cacheConcurrencyCheck];
