// cache.keyspace: the application's own key space by pattern (keys, memory, TTLs, big keys), from a bounded SCAN sample. Reads only.
import { parseInfo } from '../../targets/redis/info.js';
import type { Check, CheckContext } from '../types.js';
import { redisOf } from './common.js';
import { estimatePatterns, topPatterns, type PatternEstimate } from './keyspace-estimate.js';
import { keyspaceProblems } from './keyspace-findings.js';
import { combineMasters, sampleCluster, type MasterSample } from './keyspace-cluster.js';
import { sampleKeyspace, type KeyspaceSample, type SampleLimits } from './keyspace-sample.js';
import { CACHE_KEYSPACE_KEYS, CACHE_KEYSPACE_KEYS_SAMPLED, CACHE_KEYSPACE_PATTERN_KEYS, CACHE_KEYSPACE_PATTERN_MEMORY_MB, CACHE_KEYSPACE_PATTERN_MEMORY_SHARE, CACHE_KEYSPACE_PATTERN_WITHOUT_TTL_SHARE, CACHE_KEYSPACE_PROBLEMS } from './metrics.js';

const MB = 1024 * 1024;
const round = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;

function describeMetrics(ctx: CheckContext): void {
  const m = ctx.metrics;
  // Shown against a baseline, not judged: a family's share grows with the application as often as with a defect.
  m.headline('cache_keyspace_problems');
}

function recordPattern(ctx: CheckContext, p: PatternEstimate): void {
  const tags = { pattern: p.pattern };
  ctx.metrics.gauge(CACHE_KEYSPACE_PATTERN_KEYS, tags).set(p.keys);
  ctx.metrics.gauge(CACHE_KEYSPACE_PATTERN_MEMORY_MB, tags).set(round(p.memory_bytes / MB));
  if (p.memory_share !== undefined) ctx.metrics.gauge(CACHE_KEYSPACE_PATTERN_MEMORY_SHARE, tags).set(round(p.memory_share));
  ctx.metrics.gauge(CACHE_KEYSPACE_PATTERN_WITHOUT_TTL_SHARE, tags).set(round(p.without_ttl_share));
}

/** A pattern as shown in `info.patterns`: rounded, the largest keys as sizes (they all share the pattern). */
function patternRow(p: PatternEstimate): Record<string, unknown> {
  return {
    pattern: p.pattern, keys: p.keys, keys_se: p.keys_se, sampled: p.sampled, memory_mb: round(p.memory_bytes / MB),
    ...(p.memory_share === undefined ? {} : { used_memory_share: round(p.memory_share) }), key_memory_share: round(p.key_memory_share),
    without_ttl_share: round(p.without_ttl_share), ttl_p50_s: p.ttl_p50_s, ttl_max_s: p.ttl_max_s, types: p.types,
    largest: p.largest.map((k) => `${k.type} ${k.bytes} B`), big_keys: p.big_keys,
  };
}

interface Sampled {
  dbsize: number;
  sampled: number;
  complete: boolean;
  stoppedBy?: KeyspaceSample['stoppedBy'];
  elapsedMs: number;
  usedMemory?: number;
  patterns: PatternEstimate[];
}

/** A single server: one SCAN sample scaled to its DBSIZE. */
async function sampleServer(ctx: CheckContext, limits: SampleLimits): Promise<Sampled> {
  const client = redisOf(ctx).client;
  const info = parseInfo(await client.info('memory'));
  const usedMemory = info.used_memory === undefined ? undefined : Number(info.used_memory);
  ctx.progress('sampling the key space with SCAN');
  const s = await sampleKeyspace(client, limits, ctx.signal);
  return { ...s, ...(usedMemory === undefined ? {} : { usedMemory }), patterns: estimatePatterns(s, usedMemory) };
}

/** A master's row of `info.masters`, and its keys as a gauge tagged with it. */
function masterRow(ctx: CheckContext, m: MasterSample): Record<string, unknown> {
  ctx.metrics.gauge(CACHE_KEYSPACE_KEYS, { master: m.master }).set(m.sample.dbsize);
  return {
    master: m.master, slots: m.slots, keys: m.sample.dbsize, sampled: m.sample.sampled, complete: m.sample.complete,
    used_memory_mb: m.usedMemory === undefined ? undefined : round(m.usedMemory / MB, 1),
    key_memory_mb: round(m.patterns.reduce((n, p) => n + p.memory_bytes, 0) / MB, 1),
  };
}

/** A Redis Cluster: every master sampled (./keyspace-cluster.ts), its row shown, the patterns of all of them together. */
async function sampleAllMasters(ctx: CheckContext, limits: SampleLimits): Promise<Sampled> {
  const t0 = performance.now();
  const masters = await sampleCluster(ctx, redisOf(ctx).cluster!, limits);
  ctx.info('masters', masters.map((m) => masterRow(ctx, m)));
  const stopped = masters.find((m) => m.sample.stoppedBy)?.sample.stoppedBy;
  const memories = masters.map((m) => m.usedMemory);
  return {
    dbsize: masters.reduce((n, m) => n + m.sample.dbsize, 0), sampled: masters.reduce((n, m) => n + m.sample.sampled, 0),
    complete: masters.every((m) => m.sample.complete), ...(stopped ? { stoppedBy: stopped } : {}), elapsedMs: performance.now() - t0,
    ...(memories.every((v) => v !== undefined) ? { usedMemory: memories.reduce((n: number, v) => n + v!, 0) } : {}),
    patterns: combineMasters(masters),
  };
}

export const cacheKeyspaceCheck: Check = {
  id: 'cache.keyspace',
  category: 'cache',
  title: 'Redis key space: memory, TTLs and big keys by key pattern',
  needs: ['redis'],
  typicalQuickMs: 500,
  metrics: [CACHE_KEYSPACE_KEYS, CACHE_KEYSPACE_KEYS_SAMPLED, CACHE_KEYSPACE_PATTERN_KEYS, CACHE_KEYSPACE_PATTERN_MEMORY_MB, CACHE_KEYSPACE_PATTERN_MEMORY_SHARE, CACHE_KEYSPACE_PATTERN_WITHOUT_TTL_SHARE, CACHE_KEYSPACE_PROBLEMS],
  thresholds: () => ({ cache_keyspace_problems: [{ warn: 'count==0' }] }),
  async run(ctx) {
    const cfg = ctx.config.cache;
    const k = cfg.keyspace;
    describeMetrics(ctx);
    const limits = { maxKeys: k.max_keys, maxMs: k.max_ms, memoryKeysPerPattern: k.memory_keys_per_pattern, memorySamples: k.memory_samples, bigKeyBytes: k.big_key_mb * MB };
    const sample = redisOf(ctx).cluster ? await sampleAllMasters(ctx, limits) : await sampleServer(ctx, limits);
    const usedMemory = sample.usedMemory;
    ctx.metrics.gauge(CACHE_KEYSPACE_KEYS).set(sample.dbsize);
    ctx.metrics.gauge(CACHE_KEYSPACE_KEYS_SAMPLED).set(sample.sampled);
    const all = sample.patterns;
    const shown = topPatterns(all, k.max_patterns);
    for (const p of shown) recordPattern(ctx, p);
    ctx.info('sample', {
      dbsize: sample.dbsize, sampled: sample.sampled, complete: sample.complete, stopped_by: sample.stoppedBy ?? 'end of key space',
      elapsed_ms: Math.round(sample.elapsedMs), patterns: all.length, ...(redisOf(ctx).cluster ? { masters: redisOf(ctx).cluster!.masters.length } : {}), used_memory_mb: usedMemory === undefined ? undefined : round(usedMemory / MB, 1),
      memory_usage_samples: k.memory_samples,
    });
    ctx.info('patterns', shown.map(patternRow));
    // Recorded even when zero, so the threshold has a value to pass on.
    ctx.metrics.counter(CACHE_KEYSPACE_PROBLEMS);
    for (const p of keyspaceProblems(all, cfg)) {
      // Tagged with the pattern too, so the finding about it (subject = pattern) stands for the unmet threshold.
      ctx.metrics.counter(CACHE_KEYSPACE_PROBLEMS, { problem: p.problem, pattern: p.finding.subject ?? '' }).add();
      ctx.finding(p.finding);
    }
  },
};
