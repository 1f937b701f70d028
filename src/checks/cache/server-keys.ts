// cache.server's key sample: SCAN for keys without a TTL and, under an LFU policy, the hottest keys by OBJECT FREQ. Reads only.
import type { RedisClient as Redis } from '../../targets/redis/types.js';
import { keyPattern } from './keyspace-patterns.js';

export interface HotKey {
  /** The key folded into its pattern: never the whole key name. */
  pattern: string;
  /** OBJECT FREQ: the LFU counter, logarithmic (lfu-log-factor) and decaying (lfu-decay-time), 0..255. */
  freq: number;
}

export interface KeySample {
  sampled: number;
  withoutTtl: number;
  /** Only with an LFU policy (OBJECT FREQ answers nothing else); the `top` highest, highest first. */
  hot?: HotKey[];
}

export interface KeySampleOptions {
  max: number;
  ms: number;
  /** Read OBJECT FREQ too (the policy is *-lfu), keeping the `top` highest. */
  lfuTop?: number;
}

/** Up to `max` keys from SCAN within `ms`: their PTTL and, under LFU, their OBJECT FREQ, pipelined per SCAN batch. */
export async function sampleKeys(client: Redis, opts: KeySampleOptions, signal: AbortSignal): Promise<KeySample> {
  const deadline = performance.now() + opts.ms;
  let cursor = '0';
  let sampled = 0;
  let withoutTtl = 0;
  const hot: Array<{ key: string; freq: number }> = [];
  do {
    const [next, keys] = await client.scan(cursor, 'COUNT', 100);
    cursor = next;
    const batch = keys.slice(0, opts.max - sampled);
    if (batch.length) {
      const pipe = client.pipeline();
      // OBJECT FREQ looks the key up without touching it, so reading it does not make the key hotter.
      for (const k of batch) {
        pipe.pttl(k);
        if (opts.lfuTop) pipe.object('FREQ', k);
      }
      const replies = (await pipe.exec()) ?? [];
      const per = opts.lfuTop ? 2 : 1;
      batch.forEach((key, i) => {
        const [err, ttl] = replies[i * per] ?? [];
        if (err || ttl === -2) return; // gone between SCAN and PTTL
        sampled++;
        if (ttl === -1) withoutTtl++;
        if (!opts.lfuTop) return;
        const [ferr, freq] = replies[i * per + 1] ?? [];
        if (!ferr && typeof freq === 'number') keepTop(hot, { key, freq }, opts.lfuTop);
      });
    }
  } while (cursor !== '0' && sampled < opts.max && performance.now() < deadline && !signal.aborted);
  return { sampled, withoutTtl, ...(opts.lfuTop ? { hot: hot.map((h) => ({ pattern: keyPattern(h.key), freq: h.freq })) } : {}) };
}

/** Keeps the `n` highest in `list` (descending): a bounded top list, whatever the sample's size. */
function keepTop(list: Array<{ key: string; freq: number }>, item: { key: string; freq: number }, n: number): void {
  if (list.length >= n && item.freq <= list[list.length - 1]!.freq) return;
  const at = list.findIndex((x) => x.freq < item.freq);
  list.splice(at < 0 ? list.length : at, 0, item);
  if (list.length > n) list.pop();
}

/** How to find hot keys when OBJECT FREQ cannot (the policy is not LFU), for the report. */
export const HOT_KEYS_WITHOUT_LFU = 'OBJECT FREQ (and redis-cli --hotkeys) needs an LFU maxmemory-policy (allkeys-lfu, volatile-lfu). Otherwise: count reads per key pattern in the application, or take a short MONITOR sample on a replica (MONITOR costs the server a large share of its throughput while it runs).';
