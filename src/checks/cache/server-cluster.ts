// cache.server on a Redis Cluster: the same window of two INFO samples on every master at once, each master's slots,
// memory, keys, hit rate, evictions and commands, and the cluster's totals. Reads only.
import type { RedisClient } from '../../targets/redis/types.js';
import { sleep } from '../../exec/timeout.js';
import type { MetricRegistry } from '../../metrics/registry.js';
import { parseKeyspaceEntry } from '../../targets/redis/info.js';
import type { RedisCluster } from '../../targets/redis/target.js';
import { endClient } from '../../targets/redis/target.js';
import { describeError } from '../../util/errors.js';
import type { CheckContext } from '../types.js';
import { redisOf } from './common.js';
import { serverProblems, type Problem } from './server-findings.js';
import { SERVER_METRICS as M } from './server-metrics.js';
import { persistenceProblems, replicationProblems } from './server-persistence.js';
import { takeSample, windowDelta, type WindowDelta } from './server-window.js';

/** Every hash slot of a Redis Cluster. */
export const CLUSTER_SLOTS = 16384;
const MB = 1024 * 1024;
const round = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;
const num = (info: Record<string, string>, key: string): number => Number(info[key] ?? 0) || 0;

/** One master's figures over the window, as `info.masters` shows them. */
export interface MasterRow {
  master: string;
  id: string;
  slots: number;
  slot_ranges: string[];
  used_memory_mb: number;
  maxmemory_mb: number;
  keys: number;
  /** Over the window; null when the master had no lookup in it or a counter was reset. */
  hit_rate: number | null;
  lookups: number;
  evicted_keys: number;
  commands_per_s: number;
}

interface MasterWindow {
  address: string;
  info: Record<string, string>;
  window: WindowDelta;
}

function masterRow(m: RedisCluster['masters'][number], w: MasterWindow): MasterRow {
  const d = w.window;
  return {
    master: m.address, id: m.id.slice(0, 12), slots: m.slotCount, slot_ranges: m.slots.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)),
    used_memory_mb: round(num(w.info, 'used_memory') / MB), maxmemory_mb: round(num(w.info, 'maxmemory') / MB),
    keys: parseKeyspaceEntry(w.info.db0 ?? '').keys ?? 0,
    hit_rate: d.reset || d.hitRate === undefined ? null : round(d.hitRate), lookups: d.reset ? 0 : d.hits + d.misses,
    evicted_keys: d.reset ? 0 : d.evicted, commands_per_s: d.reset ? 0 : d.commandsPerS,
  };
}

function recordMaster(m: MetricRegistry, row: MasterRow): void {
  const tags = { master: row.master };
  m.gauge(M.clusterSlots, tags).set(row.slots);
  m.gauge(M.clusterKeys, tags).set(row.keys);
  m.gauge(M.usedMemory, tags).set(row.used_memory_mb);
  if (row.hit_rate !== null) m.gauge(M.windowHitRate, tags).set(row.hit_rate);
  m.gauge(M.windowLookups, tags).set(row.lookups);
  m.gauge(M.windowEvicted, tags).set(row.evicted_keys);
  m.gauge(M.windowCommands, tags).set(row.commands_per_s);
}

/** The cluster's totals: sums, and the hit rate of every master's lookups together (not a mean of rates). */
function totals(rows: MasterRow[], windows: MasterWindow[]): Record<string, number | null> {
  const counted = windows.filter((w) => !w.window.reset);
  const hits = counted.reduce((n, w) => n + w.window.hits, 0);
  const lookups = counted.reduce((n, w) => n + w.window.hits + w.window.misses, 0);
  const sum = (f: (r: MasterRow) => number) => rows.reduce((n, r) => n + f(r), 0);
  return {
    masters: rows.length, slots: sum((r) => r.slots), keys: sum((r) => r.keys), used_memory_mb: round(sum((r) => r.used_memory_mb)),
    lookups, hit_rate: lookups > 0 ? round(hits / lookups) : null, evicted_keys: sum((r) => r.evicted_keys),
    commands_per_s: round(sum((r) => r.commands_per_s), 2), masters_reset: windows.length - counted.length,
  };
}

/** A master's problem, named with its address so the finding says which node to look at. */
function ofMaster(p: Problem, address: string): Problem {
  return { problem: p.problem, finding: { ...p.finding, title: `master ${address}: ${p.finding.title}`, subject: `${p.finding.subject ?? p.problem} ${address}`, data: { ...p.finding.data, master: address } } };
}

function uncovered(slots: number): Problem[] {
  if (slots >= CLUSTER_SLOTS) return [];
  return [{ problem: 'cluster_slots_uncovered', finding: {
    severity: 'error', title: `the cluster's masters serve ${slots} of ${CLUSTER_SLOTS} hash slots`,
    detail: 'A key whose slot no master serves cannot be read or written (CLUSTERDOWN, unless cluster-require-full-coverage is no).',
    recommendation: 'Assign the missing slots (redis-cli --cluster fix), or bring back the failed master or promote its replica.',
    data: { slots },
  } }];
}

/** A connection to one master; a failure names the master (a failed node, an address announced behind NAT). */
export async function connectMaster(cluster: RedisCluster, m: RedisCluster['masters'][number]): Promise<RedisClient> {
  try {
    return await cluster.connect(m);
  } catch (err) {
    throw new Error(`cannot read cluster master ${m.address} (flags ${m.flags.filter((f) => f !== 'myself').join(',')}): ${describeError(err)}`);
  }
}

/** The window on every master (connections of their own, quit at the end), then rows, totals, gauges and problems. */
export async function runClusterServer(ctx: CheckContext, cluster: RedisCluster, windowMs: number): Promise<{ problems: Problem[]; hitRate?: number; lookups: number }> {
  const timeoutMs = redisOf(ctx).timeouts.commandMs + 500;
  const conns: RedisClient[] = [];
  ctx.defer(() => Promise.all(conns.map((c) => endClient(c))));
  for (const m of cluster.masters) conns.push(await connectMaster(cluster, m));
  ctx.progress(`reading INFO of ${conns.length} cluster masters over a window`);
  const before = await Promise.all(conns.map((c) => takeSample(c, timeoutMs)));
  await sleep(windowMs, ctx.signal);
  const after = await Promise.all(conns.map((c) => takeSample(c, timeoutMs)));
  const windows: MasterWindow[] = cluster.masters.map((m, i) => ({ address: m.address, info: after[i]!.info, window: windowDelta(before[i]!, after[i]!) }));
  const rows = cluster.masters.map((m, i) => masterRow(m, windows[i]!));
  const total = totals(rows, windows);
  ctx.info('masters', rows);
  ctx.info('cluster', { ...total, home: `${cluster.home.address} (slot ${cluster.homeSlot}): the master holding stackprobe's own keys, where the synthetic cache checks run` });
  ctx.info('not_read_on_a_cluster', 'clients, SLOWLOG, per-command latency and the TTL key sample are read on a single server only (cache.keyspace samples the keys of every master)');
  const m = ctx.metrics;
  for (const row of rows) recordMaster(m, row);
  m.gauge(M.clusterSlots).set(total.slots ?? 0);
  m.gauge(M.clusterKeys).set(total.keys ?? 0);
  m.gauge(M.usedMemory).set(total.used_memory_mb ?? 0);
  if (total.hit_rate !== null && total.hit_rate !== undefined) m.gauge(M.windowHitRate).set(total.hit_rate);
  m.gauge(M.windowLookups).set(total.lookups ?? 0);
  m.gauge(M.windowEvicted).set(total.evicted_keys ?? 0);
  m.gauge(M.windowCommands).set(total.commands_per_s ?? 0);
  const cfg = ctx.config.cache;
  const problems = [
    ...uncovered(total.slots ?? 0),
    ...windows.flatMap((w) => [
      ...serverProblems({ info: w.info, window: w.window, sampled: 0, withoutTtl: 0 }, cfg, ctx.config.thresholds.cache_hit_rate),
      ...persistenceProblems(w.info, cfg), ...replicationProblems(w.info, cfg),
    ].map((p) => ofMaster(p, w.address))),
  ];
  return { problems, lookups: total.lookups ?? 0, ...(typeof total.hit_rate === 'number' ? { hitRate: total.hit_rate } : {}) };
}
