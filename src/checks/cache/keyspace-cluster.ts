// cache.keyspace on a Redis Cluster: a SCAN sample of every master (SCAN reads one node's keys only), each scaled to its
// own master's DBSIZE, then one row per pattern for the whole cluster. Reads only.
import type { RedisClient } from '../../targets/redis/types.js';
import { parseInfo } from '../../targets/redis/info.js';
import { endClient, type RedisCluster } from '../../targets/redis/target.js';
import type { CheckContext } from '../types.js';
import { estimatePatterns, type PatternEstimate } from './keyspace-estimate.js';
import { connectMaster } from './server-cluster.js';
import { sampleKeyspace, type KeySize, type KeyspaceSample, type SampleLimits } from './keyspace-sample.js';

export interface MasterSample {
  master: string;
  slots: number;
  usedMemory?: number;
  sample: KeyspaceSample;
  patterns: PatternEstimate[];
}

/** The weighted `q` quantile: each value counts `weight` times (its master's sampling factor). */
function weightedQuantile(values: Array<{ v: number; w: number }>, q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a.v - b.v);
  const total = sorted.reduce((n, x) => n + x.w, 0);
  let acc = 0;
  for (const x of sorted) {
    acc += x.w;
    if (acc >= q * total) return x.v;
  }
  return sorted[sorted.length - 1]!.v;
}

/** A master's sampling factor: its keys over its sampled keys (1 when its sample is every key). */
const scaleOf = (s: KeyspaceSample) => (s.complete || s.sampled === 0 ? 1 : Math.max(s.dbsize, s.sampled) / s.sampled);

/** One pattern's rows of every master as one: counts and bytes add up, standard errors in quadrature, TTLs weighted. */
function combineOne(pattern: string, parts: Array<{ row: PatternEstimate; s: KeyspaceSample }>, usedMemory: number | undefined): Omit<PatternEstimate, 'key_memory_share'> {
  const sum = (f: (r: PatternEstimate) => number) => parts.reduce((n, p) => n + f(p.row), 0);
  const keys = sum((r) => r.keys);
  const memory = sum((r) => r.memory_bytes);
  const ttls = parts.flatMap(({ s }) => (s.patterns.get(pattern)?.ttlsMs ?? []).map((v) => ({ v, w: scaleOf(s) })));
  const ttlS = (v: number | undefined) => (v === undefined ? undefined : Math.round(v / 100) / 10);
  const p50 = ttlS(weightedQuantile(ttls, 0.5));
  const max = ttlS(weightedQuantile(ttls, 1));
  const types: Record<string, number> = {};
  for (const { row } of parts) for (const [t, n] of Object.entries(row.types)) types[t] = (types[t] ?? 0) + n;
  const largest: KeySize[] = parts.flatMap((p) => p.row.largest).sort((a, b) => b.bytes - a.bytes).slice(0, 3);
  return {
    pattern, keys, keys_se: Math.round(Math.sqrt(sum((r) => r.keys_se ** 2))), sampled: sum((r) => r.sampled), memory_bytes: memory,
    ...(usedMemory ? { memory_share: Math.min(1, memory / usedMemory) } : {}),
    without_ttl_share: keys ? sum((r) => r.without_ttl_share * r.keys) / keys : 0,
    ...(p50 === undefined ? {} : { ttl_p50_s: p50 }), ...(max === undefined ? {} : { ttl_max_s: max }),
    types, largest, big_keys: sum((r) => r.big_keys),
  };
}

/** Every master's patterns as the cluster's: largest memory first; `usedMemory` is every master's together. */
export function combineMasters(masters: MasterSample[]): PatternEstimate[] {
  const known = masters.every((m) => m.usedMemory !== undefined);
  const usedMemory = known ? masters.reduce((n, m) => n + m.usedMemory!, 0) : undefined;
  const byPattern = new Map<string, Array<{ row: PatternEstimate; s: KeyspaceSample }>>();
  for (const m of masters) for (const row of m.patterns) byPattern.set(row.pattern, [...(byPattern.get(row.pattern) ?? []), { row, s: m.sample }]);
  const rows = [...byPattern].map(([pattern, parts]) => combineOne(pattern, parts, usedMemory));
  const keyMemory = rows.reduce((n, r) => n + r.memory_bytes, 0);
  return rows.map((r) => ({ ...r, key_memory_share: keyMemory ? r.memory_bytes / keyMemory : 0 }))
    .sort((a, b) => b.memory_bytes - a.memory_bytes || b.keys - a.keys);
}

/** Samples every master in turn, each with an equal share of the key and time budget, on connections of its own. */
export async function sampleCluster(ctx: CheckContext, cluster: RedisCluster, limits: SampleLimits): Promise<MasterSample[]> {
  const n = cluster.masters.length;
  const share: SampleLimits = { ...limits, maxKeys: Math.max(1, Math.floor(limits.maxKeys / n)), maxMs: Math.max(1, Math.floor(limits.maxMs / n)) };
  const out: MasterSample[] = [];
  for (const m of cluster.masters) {
    const client: RedisClient = await connectMaster(cluster, m);
    try {
      const info = parseInfo(await client.info('memory'));
      const usedMemory = info.used_memory === undefined ? undefined : Number(info.used_memory);
      ctx.progress(`sampling the key space of ${m.address} with SCAN`);
      const sample = await sampleKeyspace(client, share, ctx.signal);
      out.push({ master: m.address, slots: m.slotCount, ...(usedMemory === undefined ? {} : { usedMemory }), sample, patterns: estimatePatterns(sample, usedMemory) });
    } finally {
      await endClient(client);
    }
  }
  return out;
}
