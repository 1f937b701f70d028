// Config section `cache`: options of the cache category (Redis). Owned by that category; wired into ConfigSchema in ../schema.ts.
import { z } from 'zod';

const positive = () => z.number({ error: 'expected a positive number' }).positive({ error: 'expected a positive number' });
const positiveInt = () => z.number({ error: 'expected a positive integer' }).int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' });
const share = () => z.number({ error: 'expected a share between 0 and 1' }).min(0, { error: 'expected a share between 0 and 1' }).max(1, { error: 'expected a share between 0 and 1' });

export const CacheSection = z
  .strictObject({
    key_prefix: z
      .string({ error: 'expected a key prefix' })
      .min(1, { error: 'expected a non-empty key prefix' })
      .default('stackprobe:')
      .describe('Every key stackprobe writes starts with this plus a per-run id; keys outside it are never touched'),
    concurrency: positiveInt().default(8).describe('Operations in flight for cache.latency and cache.hit_rate'),
    connections: positiveInt().default(4).describe('Redis connections the in-flight operations share (ioredis pipelines on each)'),
    duration_s: positive().optional().describe('Seconds per operation in cache.latency; default 1.5 in quick mode, 10 in full'),
    arrival_rate: positive().optional().describe('Operations per second for cache.latency (open loop, latency from the intended start); default closed loop'),
    hit_rate_duration_s: positive().optional().describe('Seconds of the cache-aside workload in cache.hit_rate; default 4 in quick mode, 20 in full'),
    concurrency_levels: z
      .array(positiveInt(), { error: 'expected a list of positive integers' })
      .min(1, { error: 'expected at least one concurrency level' })
      .default([1, 8, 32, 128])
      .describe('In-flight operations per step of cache.concurrency'),
    step_duration_s: positive().optional().describe('Seconds per step of cache.concurrency; default 1 in quick mode, 5 in full'),
    key_space: positiveInt().default(2000).describe('Distinct keys the cache-aside workload reads'),
    zipf_skew: z.number({ error: 'expected a number >= 0' }).min(0, { error: 'expected a number >= 0' }).default(1.1).describe('Zipf exponent of the key popularity (0 = uniform; ~1 = typical web traffic)'),
    ttl_s: positiveInt().default(300).describe('TTL of every key stackprobe writes (seconds)'),
    value_bytes: positiveInt().default(512).describe('Size of values written by cache.latency and cache.concurrency (and by cache.hit_rate without PostgreSQL)'),
    batch_size: positiveInt().default(10).describe('Keys per MGET and commands per pipeline in cache.latency'),
    miss_cost_ms: z.number({ error: 'expected a number >= 0' }).min(0, { error: 'expected a number >= 0' }).default(2).describe('Simulated load time of a miss when there is no PostgreSQL target (ms)'),
    command_timeout_ms: positiveInt().default(2000).describe('A Redis command slower than this fails with a timeout'),
    max_error_rate: share().default(0.01).describe('Cache operations: error share must stay below this'),
    max_fragmentation_ratio: positive().default(1.5).describe('cache.server: mem_fragmentation_ratio above this is a finding (when used memory is at least fragmentation_min_mb)'),
    fragmentation_min_mb: positive().default(64).describe('cache.server: below this used memory the fragmentation ratio is not judged (it is noise on small instances)'),
    max_no_ttl_share: share().default(0.5).describe('cache.server: share of sampled keys without a TTL above which a finding is made'),
    min_lookups: positiveInt().default(1000).describe('cache.server: the server hit rate is judged only after this many lookups (keyspace_hits + keyspace_misses)'),
    scan_sample_keys: positiveInt().default(1000).describe('cache.server: at most this many keys are sampled with SCAN for the TTL check'),
    scan_time_ms: positiveInt().default(2000).describe('cache.server: the SCAN sample stops after this long'),
  })
  .prefault({})
  .describe('Options of the cache category');

export type CacheConfig = z.output<typeof CacheSection>;
