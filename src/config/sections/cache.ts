// Config section `cache`: options of the cache category (Redis). Owned by that category; wired into ConfigSchema in ../schema.ts.
import { z } from 'zod';
import { MAX_TIMER_MS } from './load.js';

/**
 * A cache value of more than 1 MiB measures the network and the allocator, not a cache; the whole working set and the
 * replies in flight are bounded by MAX_CACHE_DATA_BYTES so the client never builds gigabytes at once.
 */
export const MAX_VALUE_BYTES = 1024 * 1024;
export const MAX_CACHE_DATA_BYTES = 256 * 1024 * 1024;

/** Seconds that still fit Node's timer range once turned into milliseconds. */
const MAX_TIMER_S = Math.floor(MAX_TIMER_MS / 1000);

const positive = (max: number) =>
  z.number({ error: 'expected a positive number' }).positive({ error: 'expected a positive number' }).max(max, { error: `expected a positive number of at most ${max}` });
const positiveInt = (max: number) =>
  z.number({ error: 'expected a positive integer' }).int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' })
    .max(max, { error: `expected a positive integer of at most ${max}` });
const share = () => z.number({ error: 'expected a share between 0 and 1' }).min(0, { error: 'expected a share between 0 and 1' }).max(1, { error: 'expected a share between 0 and 1' });

/** cache.keyspace: how much of the application's key space is read, and when a pattern or a key becomes a finding. */
const KeyspaceSection = z
  .strictObject({
    max_keys: positiveInt(10_000_000).default(20_000).describe('Keys read with SCAN at most; with DBSIZE known, counts and memory per pattern are scaled by DBSIZE / sampled'),
    max_ms: positiveInt(MAX_TIMER_MS).default(3000).describe('The SCAN sample stops after this long'),
    memory_keys_per_pattern: positiveInt(10_000_000).default(5000).describe('Keys per pattern measured with MEMORY USAGE; the rest of the pattern is counted and estimated from their mean'),
    memory_samples: z.number({ error: 'expected a whole number >= 0' }).int({ error: 'expected a whole number >= 0' }).min(0, { error: 'expected a whole number >= 0' }).max(10_000, { error: 'expected at most 10000' })
      .default(64).describe('MEMORY USAGE … SAMPLES n: elements sampled per aggregate key (0 walks every element, which blocks the server on a big key)'),
    max_patterns: positiveInt(1000).default(20).describe('Patterns shown and recorded, largest memory first; the rest are summed as {other}'),
    no_ttl_min_share: share().default(0.1).describe('A pattern without TTL on most of its keys is a finding when it holds at least this share of the sampled memory'),
    big_key_mb: positive(1_000_000).default(10).describe('A key of at least this many MB (MEMORY USAGE) is a finding: deleting it with DEL blocks the server'),
  })
  .prefault({});

/** cache.server: the window its rates are taken over, and when clients, persistence and replicas become findings. */
const ServerSection = z
  .strictObject({
    window_s: positive(MAX_TIMER_S).optional().describe('Seconds between the two INFO samples whose difference gives hit rate, evictions, expiries and commands over the window; default 1 in quick mode, 10 in full, 0.1 on stackprobe\'s private redis-server (no client but stackprobe, so nothing to count)'),
    slow_command_ms: positive(60_000).default(1).describe('A command whose mean time per call over the window (INFO commandstats) is at least this is a finding: Redis runs one command at a time, so every client waits for it'),
    output_buffer_mb: positive(1_000_000).default(16).describe('A client whose output buffer (CLIENT LIST omem) holds at least this many MB is a finding: it reads its replies slower than it asks for them'),
    idle_client_s: positiveInt(31_536_000).default(3600).describe('Clients idle at least this long are counted per client name (connections a pool holds and never uses)'),
    max_clients_listed: positiveInt(1_000_000).default(10_000).describe('CLIENT LIST is read only when connected_clients is at most this (its reply grows with every client)'),
    max_fork_ms: positive(3_600_000).default(500).describe('A fork (BGSAVE, AOF rewrite, full sync) that took at least this long (latest_fork_usec) is a finding: the server answers nothing while it forks'),
    max_replica_lag_bytes: positiveInt(1e15).default(1024 * 1024).describe('A replica this many bytes behind its primary\'s replication offset is a finding'),
    max_replica_lag_s: positiveInt(86_400).default(10).describe('A replica that has not acknowledged for this many seconds (INFO replication lag) is a finding'),
    hot_keys: positiveInt(1000).default(10).describe('With an LFU maxmemory-policy, the most read keys of the SCAN sample (scan_sample_keys, OBJECT FREQ) shown as their pattern'),
  })
  .prefault({});

/** cache.stampede: a hot key expiring under concurrent readers of stackprobe's own cache-aside path. */
export const STAMPEDE_PROTECTIONS = ['none', 'lock', 'early-refresh'] as const;
const StampedeSection = z
  .strictObject({
    protection: z.array(z.enum(STAMPEDE_PROTECTIONS, { error: 'expected none, lock or early-refresh' }), { error: 'expected a list of protections' })
      .min(1, { error: 'expected at least one protection' }).default([...STAMPEDE_PROTECTIONS])
      .describe('Cache-aside paths measured, each over its own expiries: none (every reader that misses loads), lock (SET NX: one loads, the others wait for its value), early-refresh (one reader, holding the lock, reloads before the TTL ends while the others keep reading the old value)'),
    readers: positiveInt(1_000).optional().describe('Concurrent readers of the hot key; default cache.concurrency'),
    expiries: positiveInt(1_000).default(5).describe('Expiries of the hot key measured per protection'),
    ttl_ms: positiveInt(600_000).optional().describe('TTL the hot key is written with in each round (it expires, or is refreshed, within the round); default 120 in quick mode, 300 in full'),
    lock_ms: positiveInt(600_000).default(2000).describe('TTL of the lock of the lock and early-refresh paths; a load slower than this lets a second reader load'),
    refresh_ahead_ms: positiveInt(600_000).optional().describe('early-refresh: a reader that sees less than this much TTL left reloads the value (holding the lock); default 100 in quick mode, 150 in full'),
  })
  .prefault({});

export const CacheSection = z
  .strictObject({
    key_prefix: z
      .string({ error: 'expected a key prefix' })
      .min(1, { error: 'expected a non-empty key prefix' })
      .default('stackprobe:')
      .describe('Every key stackprobe writes starts with this plus a per-run id; keys outside it are never touched'),
    concurrency: positiveInt(10_000).default(8).describe('Operations in flight for cache.latency and cache.hit_rate'),
    connections: positiveInt(1_000).default(4).describe('Redis connections the in-flight operations share (their commands are pipelined on each)'),
    duration_s: positive(MAX_TIMER_S).optional().describe('Seconds per operation in cache.latency; default 1 in quick mode (ending from 0.5 s on once the operation has 2,000 successes, enough for its p95), 10 in full (ending from 2 s on once it has 10,000, enough for its p99); a number set here always runs in full'),
    arrival_rate: positive(1_000_000).optional().describe('Operations per second for cache.latency (open loop, latency from the intended start); default closed loop'),
    hit_rate_duration_s: positive(MAX_TIMER_S).optional().describe('Seconds of the cache-aside workload in cache.hit_rate; default 20 in full mode, and in quick mode 2 to 4: until its reads are twice those a lossless cache needs to reach thresholds.cache_hit_rate'),
    concurrency_levels: z
      .array(positiveInt(10_000), { error: 'expected a list of positive integers' })
      .min(1, { error: 'expected at least one concurrency level' })
      .max(32, { error: 'expected at most 32 concurrency levels' })
      .default([1, 8, 32, 128])
      .describe('In-flight operations per step of cache.concurrency'),
    step_duration_s: positive(MAX_TIMER_S).optional().describe('Seconds per step of cache.concurrency; default 0.5 in quick mode, 2 in full'),
    key_space: positiveInt(1_000_000).default(2000).describe('Distinct keys the cache-aside workload reads'),
    zipf_skew: z.number({ error: 'expected a number >= 0' }).min(0, { error: 'expected a number >= 0' }).max(10, { error: 'expected a skew of at most 10' }).default(1.1).describe('Zipf exponent of the key popularity (0 = uniform; ~1 = typical web traffic)'),
    ttl_s: positiveInt(31_536_000).default(300).describe('TTL of every key stackprobe writes (seconds)'),
    value_bytes: positiveInt(MAX_VALUE_BYTES).default(512).describe('Size of values written by cache.latency and cache.concurrency (and by cache.hit_rate without PostgreSQL); at most 1 MiB, with key_space × value_bytes (written to Redis) and concurrency × batch_size × value_bytes (replies in flight) at most 256 MiB each'),
    batch_size: positiveInt(10_000).default(10).describe('Keys per MGET and commands per pipeline in cache.latency'),
    miss_cost_ms: z.number({ error: 'expected a number >= 0' }).min(0, { error: 'expected a number >= 0' }).max(60_000, { error: 'expected at most 60000 ms' }).default(2).describe('Simulated load time of a miss when there is no PostgreSQL target (ms)'),
    command_timeout_ms: positiveInt(MAX_TIMER_MS).default(2000).describe('A Redis command slower than this fails with a timeout'),
    max_error_rate: share().default(0.01).describe('Cache operations: the error share of each operation (failed, timed out and dropped over attempted) must stay below this'),
    max_hit_rate_shortfall: share().default(0.02).describe('cache.hit_rate: how far the measured hit rate may fall below the rate the key distribution predicts for the reads made, beyond the noise of the draw, before the check fails'),
    max_timeouts: z
      .number({ error: 'expected a whole number >= 0' }).int({ error: 'expected a whole number >= 0' }).min(0, { error: 'expected a whole number >= 0' }).max(1_000_000, { error: 'expected at most 1000000' })
      .default(0)
      .describe('Cache operations that may hit command_timeout_ms before a check fails: a command that waited that long is a stall, not noise'),
    max_fragmentation_ratio: positive(1_000).default(1.5).describe('cache.server: mem_fragmentation_ratio above this is a finding (when used memory is at least fragmentation_min_mb)'),
    fragmentation_min_mb: positive(10_000_000).default(64).describe('cache.server: below this used memory the fragmentation ratio is not judged (it is noise on small instances)'),
    max_no_ttl_share: share().default(0.5).describe('cache.server: share of sampled keys without a TTL above which a finding is made'),
    min_lookups: positiveInt(1e12).default(1000).describe('cache.server: the server hit rate is judged only after this many lookups (keyspace_hits + keyspace_misses)'),
    scan_sample_keys: positiveInt(1_000_000).default(1000).describe('cache.server: at most this many keys are sampled with SCAN for the TTL check'),
    scan_time_ms: positiveInt(MAX_TIMER_MS).default(2000).describe('cache.server: the SCAN sample stops after this long'),
    keyspace: KeyspaceSection.describe('cache.keyspace: the application\'s own key space by pattern'),
    server: ServerSection.describe('cache.server: the window of its rates, clients, persistence and replicas'),
    stampede: StampedeSection.describe('cache.stampede: a hot key expiring under concurrent readers'),
  })
  .superRefine((c, ctx) => {
    // Every key holds the same value, written 500 keys per pipeline, and every in-flight MGET returns batch_size of them:
    // a 16 MiB value once meant 8.4 GB built in one pipeline. Both products are bounded, naming the fields.
    if (c.value_bytes > MAX_VALUE_BYTES) return; // already said
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
    const written = c.key_space * c.value_bytes;
    if (written > MAX_CACHE_DATA_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['value_bytes'], input: c.value_bytes, message: `expected key_space × value_bytes of at most ${mib(MAX_CACHE_DATA_BYTES)} (the data written to Redis; here ${c.key_space} × ${c.value_bytes} = ${mib(written)})` });
    }
    const inFlight = c.concurrency * c.batch_size * c.value_bytes;
    if (inFlight > MAX_CACHE_DATA_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['value_bytes'], input: c.value_bytes, message: `expected concurrency × batch_size × value_bytes of at most ${mib(MAX_CACHE_DATA_BYTES)} (the replies in flight at once; here ${c.concurrency} × ${c.batch_size} × ${c.value_bytes} = ${mib(inFlight)})` });
    }
  })
  .prefault({})
  .describe('Options of the cache category');

export type CacheConfig = z.output<typeof CacheSection>;
export type StampedeProtection = (typeof STAMPEDE_PROTECTIONS)[number];
