// cache.server's persistence and replication: fork time of the last save, AOF rewrite, replicas and their offset lag.
import type { CacheConfig } from '../../config/sections/cache.js';
import { parseReplicas } from '../../targets/redis/info.js';
import type { Problem } from './server-findings.js';

const num = (info: Record<string, string>, key: string): number | undefined => (info[key] === undefined ? undefined : Number(info[key]));
const orNull = (v: number | undefined) => (v === undefined || v < 0 || !Number.isFinite(v) ? null : v);

/** What INFO says of saving: the last fork, the last BGSAVE and AOF rewrite, and whether they succeeded. */
export function persistenceFacts(info: Record<string, string>): Record<string, unknown> {
  const fork = num(info, 'latest_fork_usec');
  return {
    latest_fork_ms: fork === undefined ? null : fork / 1000,
    rdb_changes_since_last_save: orNull(num(info, 'rdb_changes_since_last_save')),
    rdb_last_bgsave_status: info.rdb_last_bgsave_status ?? null,
    rdb_last_bgsave_s: orNull(num(info, 'rdb_last_bgsave_time_sec')),
    rdb_bgsave_in_progress: info.rdb_bgsave_in_progress === '1',
    aof_enabled: info.aof_enabled === '1',
    aof_last_rewrite_s: orNull(num(info, 'aof_last_rewrite_time_sec')),
    aof_rewrite_in_progress: info.aof_rewrite_in_progress === '1',
    aof_last_bgrewrite_status: info.aof_last_bgrewrite_status ?? null,
    aof_last_write_status: info.aof_last_write_status ?? null,
  };
}

export function persistenceProblems(info: Record<string, string>, cfg: CacheConfig): Problem[] {
  const out: Problem[] = [];
  const forkMs = (num(info, 'latest_fork_usec') ?? 0) / 1000;
  if (forkMs >= cfg.server.max_fork_ms) {
    out.push({ problem: 'slow_fork', finding: {
      severity: 'warn', title: `the last fork took ${forkMs.toFixed(0)} ms (at or above ${cfg.server.max_fork_ms} ms): the server answered nothing meanwhile`,
      detail: `BGSAVE, an AOF rewrite and a replica's full sync each fork the process; the fork copies the page tables of ${info.used_memory_human ?? '?'} of data, and every client waits for it.`,
      recommendation: 'Disable transparent huge pages, keep the instance smaller (or shard it), save less often (save, auto-aof-rewrite-percentage), or save on a replica instead of the primary.',
      data: { latest_fork_ms: forkMs },
    } });
  }
  const failed = (key: string) => info[key] !== undefined && info[key] !== 'ok';
  if (failed('rdb_last_bgsave_status')) {
    out.push({ problem: 'save_failed', finding: {
      severity: 'warn', title: 'the last BGSAVE failed', detail: `rdb_last_bgsave_status is ${info.rdb_last_bgsave_status}; with stop-writes-on-bgsave-error yes the server now refuses writes.`,
      recommendation: 'Read the server log for the reason (disk full, permissions, fork failing for lack of memory: vm.overcommit_memory=1).',
    } });
  }
  if (failed('aof_last_bgrewrite_status') || failed('aof_last_write_status')) {
    out.push({ problem: 'aof_failed', finding: {
      severity: 'warn', title: `the append-only file failed: last rewrite ${info.aof_last_bgrewrite_status}, last write ${info.aof_last_write_status}`,
      detail: 'Writes acknowledged since may not be on disk.', recommendation: 'Read the server log (disk full, permissions, fsync errors) and fix the disk before relying on the AOF.',
    } });
  }
  return out;
}

export interface ReplicaFacts {
  id: string;
  state: string;
  lag_bytes: number;
  lag_s: number;
}

/** On a primary, each replica's offset behind the primary's; on a replica, its link to the primary. */
export function replicationFacts(info: Record<string, string>): { role: string; replicas: ReplicaFacts[]; link?: Record<string, unknown> } {
  const role = info.role ?? 'unknown';
  const masterOffset = num(info, 'master_repl_offset') ?? 0;
  const replicas = parseReplicas(info).map((r) => ({ id: r.id, state: r.state, lag_bytes: Math.max(0, masterOffset - r.offset), lag_s: r.lag_s }));
  if (role !== 'slave') return { role, replicas };
  return { role, replicas, link: {
    status: info.master_link_status ?? null, last_io_s: orNull(num(info, 'master_last_io_seconds_ago')),
    sync_in_progress: info.master_sync_in_progress === '1', down_s: orNull(num(info, 'master_link_down_since_seconds')),
  } };
}

export function replicationProblems(info: Record<string, string>, cfg: CacheConfig): Problem[] {
  const { role, replicas, link } = replicationFacts(info);
  const out: Problem[] = [];
  for (const r of replicas) {
    const behind = r.lag_bytes >= cfg.server.max_replica_lag_bytes || r.lag_s >= cfg.server.max_replica_lag_s;
    if (r.state !== 'online' || behind) {
      out.push({ problem: 'replica_lag', finding: {
        severity: 'warn', subject: r.id,
        title: `replica ${r.id} is ${r.state === 'online' ? `${r.lag_bytes} bytes behind and last acknowledged ${r.lag_s} s ago` : `not online (state ${r.state})`}`,
        detail: `Limits: ${cfg.server.max_replica_lag_bytes} bytes, ${cfg.server.max_replica_lag_s} s. Reads from a lagging replica return old values, and a failover to it loses the writes it has not received.`,
        recommendation: 'Look at the replica\'s network and load, its client-output-buffer-limit replica (a replica dropped at the limit resyncs in a loop), and repl-backlog-size (a backlog too small forces full syncs).',
        data: { lag_bytes: r.lag_bytes, lag_s: r.lag_s, state: r.state },
      } });
    }
  }
  if (role === 'slave' && link && (link.status !== 'up' || (typeof link.last_io_s === 'number' && link.last_io_s >= cfg.server.max_replica_lag_s))) {
    out.push({ problem: 'master_link', finding: {
      severity: 'warn', title: `this server is a replica whose link to its primary is ${link.status === 'up' ? `silent for ${String(link.last_io_s)} s` : String(link.status)}`,
      detail: 'Its values are as old as the last data it received.', recommendation: 'Check the primary is up and reachable from the replica, and the replica\'s masterauth.',
      data: link,
    } });
  }
  return out;
}
