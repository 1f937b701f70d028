// stackprobe's key namespace: the per-run prefix, the SCAN pattern for it, and removing everything under it.
import { randomBytes } from 'node:crypto';
import type { RedisClient as Redis } from './types.js';

/** `stackprobe:` + a random run id: concurrent runs (and tests) never share keys. */
export function runKeyPrefix(base: string): string {
  return `${base}${randomBytes(5).toString('hex')}:`;
}

/** A SCAN MATCH pattern that matches exactly the keys starting with `prefix` (glob characters escaped). */
export function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
}

/** SCAN + UNLINK of the prefix, bounded in time so a huge keyspace cannot hold up the end of a run. */
export async function removeKeys(client: Redis, prefix: string, budgetMs = 30_000): Promise<number> {
  if (client.status !== 'ready') return 0;
  const deadline = performance.now() + budgetMs;
  let cursor = '0';
  let removed = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', prefixPattern(prefix), 'COUNT', 1000);
    cursor = next;
    // SCAN's MATCH is a glob: check the prefix again so nothing outside it can ever be deleted.
    const ours = keys.filter((k) => k.startsWith(prefix));
    if (ours.length) removed += await client.unlink(...ours);
  } while (cursor !== '0' && performance.now() < deadline);
  return removed;
}

/**
 * The hash tag every key starting with `prefix` hashes by (Redis Cluster: the text between the first `{` and the first
 * `}` after it, when not empty), or undefined when the prefix does not fix it (keys then spread over every slot).
 */
export function prefixHashTag(prefix: string): string | undefined {
  const open = prefix.indexOf('{');
  if (open < 0) return undefined;
  const close = prefix.indexOf('}', open + 1);
  return close > open + 1 ? prefix.slice(open + 1, close) : undefined;
}

/**
 * On a Redis Cluster the run's prefix carries its run id as a hash tag (`stackprobe:{ab12cd34ef}:`), so every key
 * stackprobe writes lives in one slot, on one master: the checks that write work there without cross-slot errors.
 * A prefix that already fixes a tag is kept.
 */
export function clusterKeyPrefix(prefix: string): string {
  if (prefixHashTag(prefix) !== undefined) return prefix;
  const tagged = prefix.replace(/([^:{}]+):$/, '{$1}:');
  if (prefixHashTag(tagged) === undefined) throw new Error(`the key prefix "${prefix}" cannot carry a Redis Cluster hash tag: end it with "<name>:" or put a {tag} in cache.key_prefix`);
  return tagged;
}
