// The readings resource sources take once a second, each declared once (src/metrics/declare.ts): the load checks record
// them as gauges (last, min, max) and one-second series of the same name.
import { metric } from '../metrics/declare.js';
import { unit } from '../metrics/unit.js';

const level = (name: string, u: Parameters<typeof metric.gauge>[0]['unit'], description: string) =>
  metric.gauge({ name, meaning: 'state', unit: u, description });

export const HOST_CPU_PERCENT = level('host_cpu_percent', unit.percent, 'CPU busy on the machine stackprobe runs on');
export const HOST_MEMORY_USED_MB = level('host_memory_used_mb', unit.megabytes, 'memory in use on the machine stackprobe runs on');
export const HOST_LOAD_1M = level('host_load_1m', unit.number, 'the machine\'s one-minute load average');
export const HOST_DISK_READ_MB_S = level('host_disk_read_mb_s', unit.megabytesPerSecond, 'disk reads on the machine');
export const HOST_DISK_WRITE_MB_S = level('host_disk_write_mb_s', unit.megabytesPerSecond, 'disk writes on the machine');
export const HOST_DISK_FREE_GB = level('host_disk_free_gb', unit.gigabytes, 'free space on the output directory\'s file system');
export const PROCESS_CPU_PERCENT = level('process_cpu_percent', unit.percent, 'CPU stackprobe\'s own process used (one core is 100 %)');
export const PROCESS_RSS_MB = level('process_rss_mb', unit.megabytes, 'stackprobe\'s own resident memory');
export const PROCESS_EVENT_LOOP_DELAY_P99_MS = level('process_event_loop_delay_p99_ms', unit.ms, 'p99 of stackprobe\'s event loop delay over the second');
export const PG_CONNECTIONS = level('pg_connections', unit.count('connections'), 'sessions on the target database');
export const PG_COMMITS_PER_S = level('pg_commits_per_s', unit.perSecond(), 'commits per second (pg_stat_database)');
export const PG_ROLLBACKS_PER_S = level('pg_rollbacks_per_s', unit.perSecond(), 'rollbacks per second (pg_stat_database)');
export const PG_BLKS_HIT_PER_S = level('pg_blks_hit_per_s', unit.perSecond(), 'buffer hits per second (pg_stat_database)');
export const PG_BLKS_READ_PER_S = level('pg_blks_read_per_s', unit.perSecond(), 'blocks read per second (pg_stat_database)');
export const PG_TEMP_FILES_PER_S = level('pg_temp_files_per_s', unit.perSecond(), 'temporary files per second (pg_stat_database)');
export const PG_TEMP_MB_PER_S = level('pg_temp_mb_per_s', unit.megabytesPerSecond, 'temporary file bytes per second (pg_stat_database)');
export const PG_DEADLOCKS_PER_S = level('pg_deadlocks_per_s', unit.perSecond(), 'deadlocks per second (pg_stat_database)');
export const REDIS_CLIENTS = level('redis_clients', unit.count('clients'), 'clients connected to Redis');
export const REDIS_MEMORY_MB = level('redis_memory_mb', unit.megabytes, 'Redis used_memory');
export const REDIS_OPS_PER_S = level('redis_ops_per_s', unit.perSecond(), 'commands Redis processed per second (every client)');
export const TASK_QUEUE_DEPTH = level('task_queue_depth', unit.count('messages'), 'messages waiting in the task queue');
export const RESOURCE_SAMPLE_ERRORS = metric.counter({ name: 'resource_sample_errors', meaning: 'count', better: 'lower', unit: unit.count('samples'), description: 'resource samples that failed, by source' });

/** Every metric the resource monitor may record, for the `metrics` list of a check that runs it. */
export const RESOURCE_METRICS = [
  HOST_CPU_PERCENT, HOST_MEMORY_USED_MB, HOST_LOAD_1M, HOST_DISK_READ_MB_S, HOST_DISK_WRITE_MB_S, HOST_DISK_FREE_GB,
  PROCESS_CPU_PERCENT, PROCESS_RSS_MB, PROCESS_EVENT_LOOP_DELAY_P99_MS, PG_CONNECTIONS, PG_COMMITS_PER_S,
  PG_ROLLBACKS_PER_S, PG_BLKS_HIT_PER_S, PG_BLKS_READ_PER_S, PG_TEMP_FILES_PER_S, PG_TEMP_MB_PER_S, PG_DEADLOCKS_PER_S,
  REDIS_CLIENTS, REDIS_MEMORY_MB, REDIS_OPS_PER_S, TASK_QUEUE_DEPTH, RESOURCE_SAMPLE_ERRORS,
];
