// The metrics cache.server records, declared once: name, kind, unit, meaning, which way is better, and where from.
import type { MetricDecl } from './declared.js';

const g = (d: Omit<MetricDecl<'gauge'>, 'kind'>): MetricDecl<'gauge'> => ({ kind: 'gauge', ...d });

export const SERVER_METRICS = {
  problems: { name: 'cache_server_problems', kind: 'counter', unit: 'count', meaning: 'defects', better: 'lower', description: 'problems found in the server\'s own figures, by kind' } as MetricDecl<'counter'>,
  usedMemory: g({ name: 'redis_used_memory_mb', unit: 'MB', meaning: 'size', better: 'none', description: 'INFO used_memory' }),
  maxmemory: g({ name: 'redis_maxmemory_mb', unit: 'MB', meaning: 'size', better: 'none', description: 'INFO maxmemory (0: no limit)' }),
  fragmentation: g({ name: 'redis_fragmentation_ratio', unit: 'ratio', meaning: 'state', better: 'lower', description: 'used_memory_rss / used_memory' }),
  connectedClients: g({ name: 'redis_connected_clients', unit: 'clients', meaning: 'state', better: 'none', description: 'INFO connected_clients at the end of the window' }),
  blockedClients: g({ name: 'redis_blocked_clients', unit: 'clients', meaning: 'state', better: 'none', description: 'clients waiting in a blocking command (BLPOP, XREAD BLOCK …) at the end of the window' }),
  outputBufferMax: g({ name: 'redis_client_output_buffer_max_mb', unit: 'MB', meaning: 'state', better: 'lower', description: 'the largest output buffer of a client (CLIENT LIST omem), replicas excluded' }),
  evictedTotal: g({ name: 'redis_evicted_keys', unit: 'count', meaning: 'state', better: 'lower', basis: 'cumulative', description: 'keys evicted since the counters were reset' }),
  expiredTotal: g({ name: 'redis_expired_keys', unit: 'count', meaning: 'state', better: 'none', basis: 'cumulative', description: 'keys expired since the counters were reset' }),
  hitRateTotal: g({ name: 'redis_server_hit_rate', unit: 'ratio', meaning: 'share', better: 'higher', basis: 'cumulative', description: 'keyspace_hits / lookups since the counters were reset (every client)' }),
  windowHitRate: g({ name: 'redis_window_hit_rate', unit: 'ratio', meaning: 'share', better: 'higher', description: 'keyspace_hits / lookups over the window (every client)' }),
  windowLookups: g({ name: 'redis_window_lookups', unit: 'count', meaning: 'count', better: 'none', description: 'keyspace_hits + keyspace_misses over the window' }),
  windowEvicted: g({ name: 'redis_window_evicted_keys', unit: 'count', meaning: 'count', better: 'lower', description: 'keys evicted over the window' }),
  windowExpired: g({ name: 'redis_window_expired_keys', unit: 'count', meaning: 'count', better: 'none', description: 'keys expired over the window' }),
  windowCommands: g({ name: 'redis_window_commands_per_s', unit: '/s', meaning: 'state', better: 'none', description: 'commands processed per second over the window, cache.server\'s own INFO excluded: the application\'s traffic' }),
  commandMs: g({ name: 'redis_command_mean_ms', unit: 'ms', meaning: 'duration', better: 'lower', description: 'server time per call over the window (INFO commandstats), for the commands that took the most of it' }),
  commandP99: g({ name: 'redis_command_p99_upper_ms', unit: 'ms', meaning: 'duration', better: 'lower', description: 'upper bound of the power-of-two bucket holding p99 over the window (LATENCY HISTOGRAM)' }),
  latestFork: g({ name: 'redis_latest_fork_ms', unit: 'ms', meaning: 'duration', better: 'lower', basis: 'cumulative', description: 'how long the last fork (BGSAVE, AOF rewrite, full sync) stopped the server' }),
  replicaLagBytes: g({ name: 'redis_replica_lag_bytes', unit: 'bytes', meaning: 'state', better: 'lower', description: 'a replica\'s offset behind its primary\'s master_repl_offset' }),
  keysSampled: g({ name: 'keys_sampled', unit: 'count', meaning: 'count', better: 'none', description: 'keys read with SCAN for the TTL sample' }),
  noTtlShare: g({ name: 'keys_without_ttl_share', unit: 'ratio', meaning: 'share', better: 'lower', description: 'sampled keys without a TTL' }),
} as const;

/** Per-command gauges are kept for this many commands (those that took the most server time): bounded cardinality. */
export const COMMANDS_RECORDED = 10;
