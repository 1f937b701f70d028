// The cache-aside read path cache.stampede drives, in three forms (no protection, a lock, early refresh), and one
// expiry of the hot key under concurrent readers with the database loads it caused counted.
import { randomBytes } from 'node:crypto';
import type { StampedeProtection } from '../../config/sections/cache.js';
import { sleep } from '../../exec/timeout.js';
import type { RedisCaller } from '../../targets/redis/wire/commands.js';

/** Deletes the lock only when it is still ours: a lock that expired and was taken by another reader stays. */
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";
/** A reader waiting for the lock holder's value looks again this often. */
const POLL_MS = 2;

export interface PathOptions {
  protection: StampedeProtection;
  key: string;
  lockKey: string;
  /** TTL of the key written at the start of a round: it expires (or is refreshed) inside the round. */
  ttlMs: number;
  /** TTL of a reloaded value: long, so one round measures one expiry. */
  reloadTtlS: number;
  lockMs: number;
  refreshAheadMs: number;
  /** The database load of a miss: the value for a generation. */
  load(): Promise<string>;
  signal: AbortSignal;
}

export interface ExpiryOutcome {
  /** Database loads this expiry caused. */
  loads: number;
  /** Most loads running at once. */
  peak: number;
  /** Each load's time (ms). */
  loadMs: number[];
  /** Per reader that missed: from its miss to having a value (ms). */
  waitMs: number[];
  /** Every reader saw the new value before the deadline. */
  complete: boolean;
  /** The newest generation written: the next round starts above it. */
  generation: number;
}

/** Values carry their generation (`7:…`), so a reader knows whether it read the old value or the reloaded one. */
const generationOf = (value: string): number => Number(value.slice(0, value.indexOf(':')));

/**
 * One expiry: the hot key is written with `ttlMs` at generation `gen`, `readers` read it in a loop through `conns`,
 * and the round ends when every reader has read a newer generation (or at `deadlineMs`).
 */
export async function runExpiry(conns: readonly RedisCaller[], readers: number, gen: number, opts: PathOptions, deadlineMs: number): Promise<ExpiryOutcome> {
  const out: ExpiryOutcome = { loads: 0, peak: 0, loadMs: [], waitMs: [], complete: false, generation: gen };
  const first = conns[0]!;
  await first.call(['SET', opts.key, `${gen}:${await opts.load()}`, 'PX', String(opts.ttlMs)]);
  await first.call(['DEL', opts.lockKey]);
  const deadline = performance.now() + deadlineMs;
  let inFlight = 0;
  let next = gen;
  const live = () => performance.now() < deadline && !opts.signal.aborted;

  const loadAndSet = async (c: RedisCaller): Promise<void> => {
    inFlight++;
    out.loads++;
    out.peak = Math.max(out.peak, inFlight);
    const t0 = performance.now();
    try {
      const value = await opts.load();
      out.loadMs.push(performance.now() - t0);
      await c.call(['SET', opts.key, `${++next}:${value}`, 'EX', String(opts.reloadTtlS)]);
    } finally {
      inFlight--;
    }
  };

  /** Under the lock: true when this reader loaded (or another did meanwhile); false when the lock is someone else's. */
  const loadUnderLock = async (c: RedisCaller): Promise<boolean> => {
    const token = randomBytes(8).toString('hex');
    if ((await c.call(['SET', opts.lockKey, token, 'NX', 'PX', String(opts.lockMs)])) === null) return false;
    try {
      // Checked again under the lock: a holder that reloaded and released between this reader's GET and its SET NX
      // has done the work (without this, such a reader loads a second time).
      const now = await c.call(['GET', opts.key]);
      if (typeof now === 'string' && generationOf(now) > gen) return true;
      await loadAndSet(c);
    } finally {
      await c.call(['EVAL', RELEASE, '1', opts.lockKey, token]);
    }
    return true;
  };

  /** A miss: load it (none), or take the lock and load, or wait for the holder's value and try the lock again when it expires. */
  const onMiss = async (c: RedisCaller): Promise<void> => {
    const t0 = performance.now();
    if (opts.protection === 'none') {
      await loadAndSet(c);
    } else {
      while (live() && !(await loadUnderLock(c))) {
        const until = performance.now() + opts.lockMs;
        let value: unknown = null;
        while (live() && performance.now() < until && (value = await c.call(['GET', opts.key])) === null) await sleep(POLL_MS, opts.signal);
        if (typeof value === 'string') break;
      }
    }
    out.waitMs.push(performance.now() - t0);
  };

  const reader = async (c: RedisCaller): Promise<boolean> => {
    while (live()) {
      const [value, pttl] = await Promise.all([c.call(['GET', opts.key]), opts.protection === 'early-refresh' ? c.call(['PTTL', opts.key]) : Promise.resolve(-1)]);
      if (typeof value !== 'string') {
        await onMiss(c);
        continue;
      }
      if (generationOf(value) > gen) return true;
      // Early refresh: near the end of the TTL one reader (holding the lock) reloads while the others keep the old value.
      if (opts.protection === 'early-refresh' && typeof pttl === 'number' && pttl >= 0 && pttl < opts.refreshAheadMs) await loadUnderLock(c);
    }
    return false;
  };

  const finished = await Promise.all(Array.from({ length: readers }, (_, i) => reader(conns[i % conns.length]!)));
  out.complete = finished.every(Boolean);
  out.generation = next;
  return out;
}
