// The metrics cache.server records, declared once: name, kind, unit, meaning, which way is better, and where from.
import { metric } from '../../metrics/declare.js';
import { unit } from '../../metrics/unit.js';


export const SERVER_METRICS = {
  problems: metric.counter({ name: 'cache_server_problems', unit: unit.count(), meaning: 'defects', better: 'lower', description: 'problems found in the server\'s own figures, by kind' }),
  usedMemory: metric.gauge({ name: 'redis_used_memory_mb', unit: unit.megabytes, meaning: 'size', better: 'none', description: 'INFO used_memory' }),
  maxmemory: metric.gauge({ name: 'redis_maxmemory_mb', unit: unit.megabytes, meaning: 'size', better: 'none', description: 'INFO maxmemory (0: no limit)' }),
  fragmentation: metric.gauge({ name: 'redis_fragmentation_ratio', unit: unit.ratio, meaning: 'state', better: 'lower', description: 'used_memory_rss / used_memory' }),
  connectedClients: metric.gauge({ name: 'redis_connected_clients', unit: unit.count('clients'), meaning: 'state', better: 'none', description: 'INFO connected_clients at the end of the window' }),
  blockedClients: metric.gauge({ name: 'redis_blocked_clients', unit: unit.count('clients'), meaning: 'state', better: 'none', description: 'clients waiting in a blocking command (BLPOP, XREAD BLOCK …) at the end of the window' }),
  outputBufferMax: metric.gauge({ name: 'redis_client_output_buffer_max_mb', unit: unit.megabytes, meaning: 'state', better: 'lower', description: 'the largest output buffer of a client (CLIENT LIST omem), replicas excluded' }),
  evictedTotal: metric.gauge({ name: 'redis_evicted_keys', unit: unit.count(), meaning: 'state', better: 'lower', basis: 'cumulative', description: 'keys evicted since the counters were reset' }),
  expiredTotal: metric.gauge({ name: 'redis_expired_keys', unit: unit.count(), meaning: 'state', better: 'none', basis: 'cumulative', description: 'keys expired since the counters were reset' }),
  hitRateTotal: metric.gauge({ name: 'redis_server_hit_rate', unit: unit.ratio, meaning: 'share', better: 'higher', basis: 'cumulative', description: 'keyspace_hits / lookups since the counters were reset (every client)' }),
  windowHitRate: metric.gauge({ name: 'redis_window_hit_rate', unit: unit.ratio, meaning: 'share', better: 'higher', description: 'keyspace_hits / lookups over the window (every client)' }),
  windowLookups: metric.gauge({ name: 'redis_window_lookups', unit: unit.count(), meaning: 'count', better: 'none', description: 'keyspace_hits + keyspace_misses over the window' }),
  windowEvicted: metric.gauge({ name: 'redis_window_evicted_keys', unit: unit.count(), meaning: 'count', better: 'lower', description: 'keys evicted over the window' }),
  windowExpired: metric.gauge({ name: 'redis_window_expired_keys', unit: unit.count(), meaning: 'count', better: 'none', description: 'keys expired over the window' }),
  windowCommands: metric.gauge({ name: 'redis_window_commands_per_s', unit: unit.perSecond(), meaning: 'state', better: 'none', description: 'commands processed per second over the window, cache.server\'s own INFO excluded: the application\'s traffic' }),
  commandMs: metric.gauge({ name: 'redis_command_mean_ms', unit: unit.ms, meaning: 'duration', better: 'lower', description: 'server time per call over the window (INFO commandstats), for the commands that took the most of it' }),
  commandP99: metric.gauge({ name: 'redis_command_p99_upper_ms', unit: unit.ms, meaning: 'duration', better: 'lower', description: 'upper bound of the power-of-two bucket holding p99 over the window (LATENCY HISTOGRAM)' }),
  latestFork: metric.gauge({ name: 'redis_latest_fork_ms', unit: unit.ms, meaning: 'duration', better: 'lower', basis: 'cumulative', description: 'how long the last fork (BGSAVE, AOF rewrite, full sync) stopped the server' }),
  replicaLagBytes: metric.gauge({ name: 'redis_replica_lag_bytes', unit: unit.bytes, meaning: 'state', better: 'lower', description: 'a replica\'s offset behind its primary\'s master_repl_offset' }),
  keysSampled: metric.gauge({ name: 'keys_sampled', unit: unit.count(), meaning: 'count', better: 'none', description: 'keys read with SCAN for the TTL sample' }),
  noTtlShare: metric.gauge({ name: 'keys_without_ttl_share', unit: unit.ratio, meaning: 'share', better: 'lower', description: 'sampled keys without a TTL' }),
  clusterSlots: metric.gauge({ name: 'redis_cluster_slots', unit: unit.count('slots'), meaning: 'state', better: 'none', description: 'hash slots a Redis Cluster master serves (CLUSTER NODES), by master; untagged: every master\'s together (16384 when the cluster covers every slot)' }),
  clusterKeys: metric.gauge({ name: 'redis_cluster_keys', unit: unit.count('keys'), meaning: 'state', better: 'none', description: 'keys of a Redis Cluster master (INFO keyspace db0), by master; untagged: the whole cluster\'s' }),
} as const;

/** Per-command gauges are kept for this many commands (those that took the most server time): bounded cardinality. */
export const COMMANDS_RECORDED = 10;
