// Reads a bounded SCAN sample of the key space and groups it by pattern: TYPE, PTTL and MEMORY USAGE, pipelined. Reads only.
import type { RedisClient as Redis } from '../../targets/redis/types.js';
import { keyPattern } from './keyspace-patterns.js';

export interface SampleLimits {
  maxKeys: number;
  maxMs: number;
  memoryKeysPerPattern: number;
  /** MEMORY USAGE … SAMPLES n. */
  memorySamples: number;
  /** A key of at least this many bytes is kept as a big key (never scaled, shown by pattern and size). */
  bigKeyBytes: number;
}

/** One key among the largest: its pattern and size only, never its name. */
export interface KeySize {
  pattern: string;
  type: string;
  bytes: number;
  encoding?: string;
}

export interface PatternSample {
  pattern: string;
  /** Sampled keys of the pattern (gone ones left out). */
  seen: number;
  /** Of them, measured with MEMORY USAGE (at most memoryKeysPerPattern). */
  measured: number;
  /** Bytes of the measured keys that are not big keys, and how many they are. */
  smallBytes: number;
  smallMeasured: number;
  /** Big keys of the pattern (counted as seen, never scaled). */
  bigKeys: number;
  bigBytes: number;
  withoutTtl: number;
  /** PTTLs (ms) of the keys that have one. */
  ttlsMs: number[];
  /** TYPE of the measured keys. */
  types: Record<string, number>;
  largest: KeySize[];
}

export interface KeyspaceSample {
  dbsize: number;
  sampled: number;
  /** The SCAN went round the whole key space (cursor back to 0): the sample is every key. */
  complete: boolean;
  elapsedMs: number;
  /** Why the sample stopped before the end: `max_keys`, `max_ms` or `aborted`. */
  stoppedBy?: 'max_keys' | 'max_ms' | 'aborted';
  patterns: Map<string, PatternSample>;
}

const LARGEST_PER_PATTERN = 3;

function patternOf(map: Map<string, PatternSample>, pattern: string): PatternSample {
  let p = map.get(pattern);
  if (!p) {
    p = { pattern, seen: 0, measured: 0, smallBytes: 0, smallMeasured: 0, bigKeys: 0, bigBytes: 0, withoutTtl: 0, ttlsMs: [], types: {}, largest: [] };
    map.set(pattern, p);
  }
  return p;
}

function keepLargest(p: PatternSample, k: KeySize): void {
  if (p.largest.length === LARGEST_PER_PATTERN && k.bytes <= p.largest[LARGEST_PER_PATTERN - 1]!.bytes) return;
  p.largest.push(k);
  p.largest.sort((a, b) => b.bytes - a.bytes);
  p.largest.length = Math.min(p.largest.length, LARGEST_PER_PATTERN);
}

/** A key as a command argument: text when it is valid UTF-8 (ioredis sends strings faster), else its exact bytes. */
function asArgument(key: Buffer): string | Buffer {
  const s = key.toString('utf8');
  return Buffer.byteLength(s) === key.length && !s.includes('\uFFFD') ? s : key;
}

const text = (v: unknown): string => (Buffer.isBuffer(v) ? v.toString('latin1') : String(v));

/** A command the server refused (a managed service's ACL or rename-command), named so the reason says what to allow. */
function refused(command: string, err: Error): Error {
  return new Error(`${command} was refused by the server (cache.keyspace reads with SCAN, DBSIZE, INFO, TYPE, PTTL and MEMORY USAGE): ${err.message}`);
}

/** TYPE, PTTL and (under the pattern's cap) MEMORY USAGE of one SCAN batch, in one pipeline; keys gone meanwhile are dropped. */
async function readBatch(client: Redis, keys: Buffer[], out: Map<string, PatternSample>, limits: SampleLimits): Promise<number> {
  const pipe = client.pipeline();
  const plan: Array<{ pattern: string; memory: boolean }> = [];
  const planned = new Map<string, number>();
  for (const raw of keys) {
    const pattern = keyPattern(raw.toString('latin1'));
    const key = asArgument(raw);
    const already = (out.get(pattern)?.measured ?? 0) + (planned.get(pattern) ?? 0);
    const memory = already < limits.memoryKeysPerPattern;
    if (memory) planned.set(pattern, (planned.get(pattern) ?? 0) + 1);
    plan.push({ pattern, memory });
    // TYPE only beside MEMORY USAGE: a pattern's keys past the cap are counted and their TTL read, nothing more.
    pipe.pttl(key);
    if (memory) pipe.type(key).call('MEMORY', 'USAGE', key, 'SAMPLES', String(limits.memorySamples));
  }
  const replies = (await pipe.exec()) ?? [];
  let i = 0;
  let kept = 0;
  for (const { pattern, memory } of plan) {
    const [ttlErr, ttl] = replies[i++] ?? [];
    const [typeErr, type] = memory ? replies[i++] ?? [] : [null, null];
    const [memErr, bytes] = memory ? replies[i++] ?? [] : [null, null];
    if (ttlErr) throw refused('PTTL', ttlErr);
    if (typeErr) throw refused('TYPE', typeErr);
    if (memErr) throw refused('MEMORY USAGE', memErr);
    // Expired or deleted between SCAN and the reads: not part of the key space any more.
    if (ttl === -2 || (memory && (text(type) === 'none' || bytes === null))) continue;
    kept++;
    const p = patternOf(out, pattern);
    p.seen++;
    if (ttl === -1) p.withoutTtl++;
    else p.ttlsMs.push(Number(ttl));
    if (!memory) continue;
    const size = Number(bytes);
    p.types[text(type)] = (p.types[text(type)] ?? 0) + 1;
    p.measured++;
    if (size >= limits.bigKeyBytes) {
      p.bigKeys++;
      p.bigBytes += size;
    } else {
      p.smallBytes += size;
      p.smallMeasured++;
    }
    keepLargest(p, { pattern, type: text(type), bytes: size });
  }
  return kept;
}

/** SCAN from the start until max_keys keys, max_ms or the end of the key space, whichever comes first. */
export async function sampleKeyspace(client: Redis, limits: SampleLimits, signal: AbortSignal): Promise<KeyspaceSample> {
  const t0 = performance.now();
  const deadline = t0 + limits.maxMs;
  const dbsize = Number(await client.dbsize());
  const patterns = new Map<string, PatternSample>();
  // SCAN may return a key twice (while the table rehashes): each is read once.
  const seen = new Set<string>();
  let cursor = '0';
  let sampled = 0;
  let stoppedBy: KeyspaceSample['stoppedBy'];
  let truncated = false;
  do {
    const [next, batch] = await client.scanBuffer(cursor, 'COUNT', 1000);
    cursor = text(next);
    const fresh: Buffer[] = [];
    for (const key of batch) {
      const id = key.toString('latin1');
      if (seen.has(id)) continue;
      if (seen.size >= limits.maxKeys) {
        truncated = true;
        continue;
      }
      seen.add(id);
      fresh.push(key);
    }
    if (fresh.length) sampled += await readBatch(client, fresh, patterns, limits);
    if (cursor === '0') break;
    if (seen.size >= limits.maxKeys) stoppedBy = 'max_keys';
    else if (signal.aborted) stoppedBy = 'aborted';
    else if (performance.now() >= deadline) stoppedBy = 'max_ms';
  } while (!stoppedBy);
  if (truncated) stoppedBy = 'max_keys';
  return { dbsize, sampled, complete: cursor === '0' && !stoppedBy, elapsedMs: performance.now() - t0, ...(stoppedBy ? { stoppedBy } : {}), patterns };
}
