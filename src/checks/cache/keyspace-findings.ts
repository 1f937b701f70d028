// Judges the key space's patterns into problems: memory that never expires, Celery results kept forever, keys too big to delete.
import type { CacheConfig } from '../../config/sections/cache.js';
import type { Finding } from '../../result/model.js';
import type { PatternEstimate } from './keyspace-estimate.js';
import { isVariable } from './keyspace-patterns.js';

export interface KeyspaceProblem {
  /** Tag of `cache_keyspace_problems{problem:…}`. */
  problem: 'grows_without_expiry' | 'celery_results_never_expire' | 'big_key';
  finding: Finding;
}

const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
/** Celery's Redis result backend names its results so; the name only picks the advice, the missing TTL is the verdict. */
const CELERY_RESULT = /^celery-task(?:set)?-meta-/;

function withoutExpiry(p: PatternEstimate, cfg: CacheConfig): KeyspaceProblem | undefined {
  // A literal pattern is one key: its size is judged as a big key; here we look for key families that only ever grow.
  if (!isVariable(p.pattern) || p.without_ttl_share <= cfg.max_no_ttl_share || p.key_memory_share < cfg.keyspace.no_ttl_min_share) return undefined;
  return { problem: 'grows_without_expiry', finding: {
    severity: 'warn', subject: p.pattern,
    title: `${p.pattern}: ${pct(p.without_ttl_share)} of ~${p.keys} keys have no TTL and hold ${pct(p.key_memory_share)} of the keys' memory`,
    detail: `About ${mb(p.memory_bytes)}${p.memory_share === undefined ? '' : ` (${pct(p.memory_share)} of used_memory)`}; keys without a TTL stay until deleted or evicted, so this family grows with every new id.`,
    recommendation: 'Set a TTL when the key is written (SET … EX, EXPIRE), or delete it where its owner ends (logout, job done); keep data that must persist in a database.',
    data: { keys: p.keys, memory_bytes: p.memory_bytes, without_ttl_share: p.without_ttl_share },
  } };
}

function celeryResults(p: PatternEstimate, cfg: CacheConfig): KeyspaceProblem | undefined {
  if (!CELERY_RESULT.test(p.pattern) || p.without_ttl_share <= cfg.max_no_ttl_share) return undefined;
  return { problem: 'celery_results_never_expire', finding: {
    severity: 'warn', subject: p.pattern,
    title: `Celery results never expire: ${pct(p.without_ttl_share)} of ~${p.keys} ${p.pattern} keys have no TTL`,
    detail: `They hold about ${mb(p.memory_bytes)} and grow by one key per task run.`,
    recommendation: 'Set result_expires (e.g. app.conf.result_expires = 3600; Celery\'s default is one day, None keeps results forever), or ignore_result=True for tasks whose result nobody reads.',
    data: { keys: p.keys, memory_bytes: p.memory_bytes, without_ttl_share: p.without_ttl_share },
  } };
}

function bigKeys(p: PatternEstimate, cfg: CacheConfig): KeyspaceProblem | undefined {
  if (p.big_keys === 0) return undefined;
  const big = p.largest.filter((k) => k.bytes >= cfg.keyspace.big_key_mb * MB);
  const sizes = big.map((k) => `${k.type} ${mb(k.bytes)}`).join(', ');
  return { problem: 'big_key', finding: {
    severity: 'warn', subject: p.pattern,
    title: `${p.big_keys} key${p.big_keys === 1 ? '' : 's'} of ${p.pattern} at or above ${cfg.keyspace.big_key_mb} MB (${sizes})`,
    detail: 'DEL of a key this size frees it on the main thread and blocks every client meanwhile; so do its expiry, and reading it whole (HGETALL, SMEMBERS, ZRANGE 0 -1).',
    recommendation: 'Delete it with UNLINK (freed in the background; lazyfree-lazy-expire/-eviction/-user-del yes for the rest), read it with HSCAN/SSCAN/ZSCAN, and split it into smaller keys (e.g. by a hash of the field into N buckets).',
    data: { big_keys: p.big_keys, largest_bytes: big[0]?.bytes ?? 0 },
  } };
}

export function keyspaceProblems(patterns: PatternEstimate[], cfg: CacheConfig): KeyspaceProblem[] {
  return patterns.flatMap((p) => [celeryResults(p, cfg) ?? withoutExpiry(p, cfg), bigKeys(p, cfg)].filter((x): x is KeyspaceProblem => x !== undefined));
}
