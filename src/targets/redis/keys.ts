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
