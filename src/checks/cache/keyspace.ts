// cache.keyspace: the application's own key space by pattern (keys, memory, TTLs, big keys), from a bounded SCAN sample. Reads only.
import { parseInfo } from '../../targets/redis/info.js';
import type { Check, CheckContext } from '../types.js';
import { redisOf } from './common.js';
import { estimatePatterns, topPatterns, type PatternEstimate } from './keyspace-estimate.js';
import { keyspaceProblems } from './keyspace-findings.js';
import { sampleKeyspace } from './keyspace-sample.js';
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
    const client = redisOf(ctx).client;
    const info = parseInfo(await client.info('memory'));
    const usedMemory = info.used_memory === undefined ? undefined : Number(info.used_memory);
    ctx.progress('sampling the key space with SCAN');
    const sample = await sampleKeyspace(client, {
      maxKeys: k.max_keys, maxMs: k.max_ms, memoryKeysPerPattern: k.memory_keys_per_pattern, memorySamples: k.memory_samples, bigKeyBytes: k.big_key_mb * MB,
    }, ctx.signal);
    ctx.metrics.gauge(CACHE_KEYSPACE_KEYS).set(sample.dbsize);
    ctx.metrics.gauge(CACHE_KEYSPACE_KEYS_SAMPLED).set(sample.sampled);
    const all = estimatePatterns(sample, usedMemory);
    const shown = topPatterns(all, k.max_patterns);
    for (const p of shown) recordPattern(ctx, p);
    ctx.info('sample', {
      dbsize: sample.dbsize, sampled: sample.sampled, complete: sample.complete, stopped_by: sample.stoppedBy ?? 'end of key space',
      elapsed_ms: Math.round(sample.elapsedMs), patterns: all.length, used_memory_mb: usedMemory === undefined ? undefined : round(usedMemory / MB, 1),
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
