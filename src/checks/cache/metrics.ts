// The metrics the cache checks record, each declared once (src/metrics/declare.ts).
import { operationMetrics } from '../../exec/recorder.js';
import { metric, type TrendDecl } from '../../metrics/declare.js';
import { unit } from '../../metrics/unit.js';

export const CACHE_CONCURRENCY_THROUGHPUT = metric.gauge({ name: 'cache_concurrency_throughput', meaning: 'state', operation: { name: 'cache_concurrency', role: 'throughput' }, unit: unit.perSecond("ops") });
export const CACHE_CONNECTIONS_LOST = metric.counter({ name: 'cache_connections_lost', meaning: 'count', better: 'lower', description: 'connections of the check that the server or the network closed, or that stalled past the command timeout', unit: unit.count() });
export const CACHE_HIT_DURATION = metric.trend({ name: 'cache_hit_duration', meaning: 'duration', description: 'reads that hit: a subset of cache_read_duration', unit: unit.ms });
export const CACHE_HIT_RATE = metric.rate({ name: 'cache_hit_rate', better: 'higher', basis: 'derived', description: 'reads that hit over reads completed' });
export const CACHE_HIT_RATE_EXPECTED = metric.gauge({ name: 'cache_hit_rate_expected', meaning: 'share', better: 'higher', basis: 'expected', description: 'the hit rate a cache that loses no key reaches for these reads (Zipf over the key space, cold start)', unit: unit.ratio });
export const CACHE_HIT_RATE_SERIES = metric.series({ name: 'cache_hit_rate', unit: unit.ratio });
export const CACHE_HIT_RATE_SHORTFALL = metric.gauge({ name: 'cache_hit_rate_shortfall', meaning: 'share', better: 'lower', description: 'expected − measured hit rate beyond the noise of the draw', unit: unit.ratio });
export const CACHE_KEYSPACE_KEYS = metric.gauge({ name: 'cache_keyspace_keys', meaning: 'state', description: 'DBSIZE of the database read', unit: unit.count() });
export const CACHE_KEYSPACE_KEYS_SAMPLED = metric.gauge({ name: 'cache_keyspace_keys_sampled', meaning: 'count', description: 'keys read with SCAN (every key when the sample is complete)', unit: unit.count() });
export const CACHE_KEYSPACE_PATTERN_KEYS = metric.gauge({ name: 'cache_keyspace_pattern_keys', meaning: 'state', description: 'keys of the pattern (estimate: sampled × DBSIZE / sampled keys)', unit: unit.count() });
export const CACHE_KEYSPACE_PATTERN_MEMORY_MB = metric.gauge({ name: 'cache_keyspace_pattern_memory_mb', meaning: 'size', description: 'MEMORY USAGE of the pattern\'s keys (estimate)', unit: unit.megabytes });
export const CACHE_KEYSPACE_PATTERN_MEMORY_SHARE = metric.gauge({ name: 'cache_keyspace_pattern_memory_share', meaning: 'share', better: 'none', description: 'the pattern\'s memory over INFO used_memory', unit: unit.ratio });
export const CACHE_KEYSPACE_PATTERN_WITHOUT_TTL_SHARE = metric.gauge({ name: 'cache_keyspace_pattern_without_ttl_share', meaning: 'share', better: 'lower', description: 'sampled keys of the pattern without a TTL', unit: unit.ratio });
export const CACHE_KEYSPACE_PROBLEMS = metric.counter({ name: 'cache_keyspace_problems', meaning: 'defects', description: 'problems found in the key space, by kind', unit: unit.count() });
export const CACHE_LOAD_DURATION = metric.trend({ name: 'cache_load_duration', meaning: 'duration', description: 'the load of a miss alone (PostgreSQL or the fixed cost)', unit: unit.ms });
export const CACHE_MISS_DURATION = metric.trend({ name: 'cache_miss_duration', meaning: 'duration', description: 'reads that missed (GET, load, SET): a subset of cache_read_duration', unit: unit.ms });
export const CACHE_OP_THROUGHPUT = metric.gauge({ name: 'cache_op_throughput', meaning: 'state', operation: { name: 'cache_op', role: 'throughput' }, unit: unit.perSecond("ops") });
export const CACHE_SERVER_HIT_RATE = metric.gauge({ name: 'cache_server_hit_rate', meaning: 'share', better: 'none', description: 'keyspace_hits / lookups over the workload, from the server (other clients included)', unit: unit.ratio });

/**
 * PINGs on the same connections beside the operations of `beside`: the network's and the client's share of their latency.
 * A duration, not a latency: PINGs are no user operation, and the run's response time must not average them in; as the
 * control of `beside`, compare reads its shift as the environment's, not the cache's.
 */
export function pingControl(beside: TrendDecl): TrendDecl {
  return metric.trend({
    name: 'cache_ping_duration', meaning: 'duration', better: 'lower', controlFor: beside.name, unit: unit.ms,
    description: 'a PING on the same connections, beside the operations: the network\'s and the client\'s share of their latency',
  });
}

const CACHE_OPERATION = {
  errors: 'attempts that did not succeed (failed, timed out or dropped) over attempts',
  dropped: 'operations the open loop could not start: every in-flight slot busy',
  timeouts: 'operations that hit the command timeout: a stalled or overloaded Redis',
  noun: 'operations', meaning: 'latency',
} as const;
export const CACHE_READ = operationMetrics('cache_read', { ...CACHE_OPERATION, description: 'one cache-aside read (GET, and on a miss the load and the SET), timed once' });
export const CACHE_OP = operationMetrics('cache_op', { ...CACHE_OPERATION, description: 'one GET, SET, MGET or pipeline, timed once' });
export const CACHE_CONCURRENCY = operationMetrics('cache_concurrency', { ...CACHE_OPERATION, description: 'one GET or SET at a concurrency level, timed once' });

