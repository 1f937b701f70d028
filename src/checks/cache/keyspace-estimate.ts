// Scales a key-space sample to the whole database: keys and memory per pattern, with the standard error of each count.
import { isVariable } from './keyspace-patterns.js';
import type { KeySize, KeyspaceSample, PatternSample } from './keyspace-sample.js';

export interface PatternEstimate {
  pattern: string;
  /** Keys of the pattern in the database (estimate), its standard error, and how many were sampled. */
  keys: number;
  keys_se: number;
  sampled: number;
  memory_bytes: number;
  /** Of INFO used_memory (undefined when INFO did not say). */
  memory_share?: number;
  /** Of the memory of every pattern together. */
  key_memory_share: number;
  without_ttl_share: number;
  ttl_p50_s?: number;
  ttl_max_s?: number;
  types: Record<string, number>;
  largest: KeySize[];
  big_keys: number;
}

/** The `q` quantile (0..1) of values, nearest rank. */
export function quantile(values: number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * Standard error of a count estimated as N·p̂ from n of N keys drawn without replacement:
 * N·sqrt(p̂(1-p̂)/n · (N-n)/(N-1)) — the binomial error with the finite-population correction (0 when n = N).
 */
export function countStandardError(seen: number, sampled: number, total: number): number {
  if (sampled === 0 || total <= 1 || sampled >= total) return 0;
  const p = seen / sampled;
  return total * Math.sqrt(((p * (1 - p)) / sampled) * ((total - sampled) / (total - 1)));
}

function estimateOne(p: PatternSample, s: KeyspaceSample, scale: number, total: number): Omit<PatternEstimate, 'memory_share' | 'key_memory_share'> {
  const ttlS = (v: number | undefined) => (v === undefined ? undefined : Math.round(v / 100) / 10);
  // A literal pattern is exactly one key, and a big key is rare: both are counted as seen, never multiplied by the
  // sampling factor (one 20 MB hash seen in a 2 % sample is one hash, not fifty).
  const variable = isVariable(p.pattern) && scale > 1;
  const small = p.seen - p.bigKeys;
  const meanSmall = p.smallMeasured > 0 ? p.smallBytes / p.smallMeasured : 0;
  const keys = variable ? small * scale + p.bigKeys : p.seen;
  const p50 = ttlS(quantile(p.ttlsMs, 0.5));
  const max = ttlS(quantile(p.ttlsMs, 1));
  return {
    pattern: p.pattern, keys: Math.round(keys), keys_se: variable ? Math.round(countStandardError(p.seen, s.sampled, total)) : 0, sampled: p.seen,
    memory_bytes: Math.round(p.bigBytes + meanSmall * small * (variable ? scale : 1)),
    without_ttl_share: p.seen ? p.withoutTtl / p.seen : 0,
    ...(p50 === undefined ? {} : { ttl_p50_s: p50 }), ...(max === undefined ? {} : { ttl_max_s: max }),
    types: p.types, largest: p.largest, big_keys: p.bigKeys,
  };
}

/** Every pattern's estimate, largest memory first; `usedMemory` from INFO memory. */
export function estimatePatterns(s: KeyspaceSample, usedMemory: number | undefined): PatternEstimate[] {
  const total = Math.max(s.dbsize, s.sampled);
  const scale = s.complete || s.sampled === 0 ? 1 : total / s.sampled;
  const rows = [...s.patterns.values()].map((p) => estimateOne(p, s, scale, total));
  const keyMemory = rows.reduce((n, r) => n + r.memory_bytes, 0);
  return rows
    .map((r) => ({
      ...r,
      key_memory_share: keyMemory ? r.memory_bytes / keyMemory : 0,
      ...(usedMemory ? { memory_share: Math.min(1, r.memory_bytes / usedMemory) } : {}),
    }))
    .sort((a, b) => b.memory_bytes - a.memory_bytes || b.keys - a.keys);
}

/** The first `n` patterns as they are, the rest summed into `{other}` (so a key space of a million shapes stays readable). */
export function topPatterns(all: PatternEstimate[], n: number): PatternEstimate[] {
  if (all.length <= n) return all;
  const rest = all.slice(n);
  const sum = (f: (p: PatternEstimate) => number) => rest.reduce((acc, p) => acc + f(p), 0);
  const keys = sum((p) => p.keys);
  const other: PatternEstimate = {
    pattern: '{other}', keys, keys_se: 0, sampled: sum((p) => p.sampled), memory_bytes: sum((p) => p.memory_bytes),
    key_memory_share: sum((p) => p.key_memory_share), without_ttl_share: keys ? sum((p) => p.without_ttl_share * p.keys) / keys : 0,
    types: {}, largest: [], big_keys: sum((p) => p.big_keys),
    ...(rest[0]!.memory_share === undefined ? {} : { memory_share: sum((p) => p.memory_share ?? 0) }),
  };
  return [...all.slice(0, n), other];
}
