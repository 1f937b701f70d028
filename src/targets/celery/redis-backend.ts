// Celery's Redis result backend: `celery-task-meta-<id>` keys, each state also published on a channel of that name;
// plus stackprobe's own marker of the task ids a run sent, so the next run can reap the keys of a run that was killed.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { withTimeout } from '../../exec/timeout.js';
import { bounded, LostReason } from './bounded.js';
import { parseResultMeta, READY_STATES, type ResultMeta } from './protocol.js';

export const META_PREFIX = 'celery-task-meta-';
/** A set per run: the ids of the tasks it sends, noted before they are sent. */
export const OWNED_PREFIX = 'stackprobe:celery:tasks:';
/** A per-run lease, refreshed while the run is alive; a set whose lease is gone belongs to a dead run. */
export const LEASE_PREFIX = 'stackprobe:celery:lease:';
const LEASE_MS = 30_000;
/** Longer than Celery's default result_expires (1 day): the list outlives the keys it names. */
const OWNED_TTL_MS = 2 * 24 * 3600_000;

/**
 * Whether a lease names a live run: a lease that has not expired holds, unless it names a process on this host that
 * is gone (a run killed a moment ago need not wait out its lease).
 */
export function leaseHeld(lease: string | null, host = hostname()): boolean {
  if (lease === null) return false;
  const m = /^(\d+)@(.+)$/.exec(lease);
  if (!m || m[2] !== host) return true;
  try {
    process.kill(Number(m[1]), 0);
    return true;
  } catch (err) {
    // ESRCH: no such process; EPERM: it exists under another user, so it is alive.
    return (err as { code?: unknown }).code === 'EPERM';
  }
}

interface Waiter {
  resolve(meta: ResultMeta | null): void;
  reject(err: Error): void;
  onState?: (meta: ResultMeta) => void;
  since: number;
}

export interface WaitOptions {
  signal?: AbortSignal;
  onState?: (meta: ResultMeta) => void;
  /** Called once the state channel is subscribed: send the task after this to see every RETRY state. */
  onSubscribed?: () => void;
}

/**
 * Waits for task results: pub/sub delivers each state the moment the worker stores it; a poll of the keys catches
 * a result stored before we subscribed and works where PUBLISH is not seen (e.g. a proxy that drops pub/sub).
 */
export class RedisResultBackend {
  private readonly waiters = new Map<string, Waiter>();
  private readonly poller: NodeJS.Timeout;
  private polling = false;
  private readonly runId = randomUUID();
  private leaseTimer: NodeJS.Timeout | undefined;
  private owns = false;

  constructor(
    private readonly client: Redis,
    private readonly sub: Redis,
    private readonly commandMs: number,
    private readonly lost: LostReason,
    private readonly pollMs = 500,
  ) {
    sub.on('message', (channel: string, text: string) => this.deliver(channel.slice(META_PREFIX.length), text));
    this.poller = setInterval(() => void this.poll(), pollMs);
    this.poller.unref();
  }

  /** The final state of a task; null when none arrives within timeoutMs or the signal aborts; rejects when the backend fails. */
  async wait(id: string, timeoutMs: number, opts: WaitOptions = {}): Promise<ResultMeta | null> {
    if (opts.signal?.aborted) return null;
    const key = META_PREFIX + id;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => this.finish(id, null);
    const done = new Promise<ResultMeta | null>((resolve, reject) => {
      this.waiters.set(id, { resolve, reject, since: performance.now(), ...(opts.onState ? { onState: opts.onState } : {}) });
    });
    try {
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(() => this.finish(id, null), timeoutMs);
      // Not awaited on its own: a frozen backend must not hold the wait past its timeout or abort.
      void (async () => {
        await this.sub.subscribe(key);
        opts.onSubscribed?.();
        // The task may have finished before the subscription: look once now.
        const text = await this.client.get(key);
        if (text !== null) this.deliver(id, text);
      })().catch((err: unknown) => this.fail(id, this.lost.explain(err)));
      return await done;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      this.waiters.delete(id);
      void this.sub.unsubscribe(key).catch(() => undefined); // a dropped subscriber connection has no subscription left to end
    }
  }

  /** Notes these ids as this run's before their tasks are sent, and keeps the run's lease alive. */
  async own(ids: string[], signal?: AbortSignal): Promise<void> {
    const owned = OWNED_PREFIX + this.runId;
    const tx = this.client.multi().set(LEASE_PREFIX + this.runId, `${process.pid}@${hostname()}`, 'PX', LEASE_MS).sadd(owned, ...ids).pexpire(owned, OWNED_TTL_MS);
    await bounded(tx.exec(), this.commandMs, 'noting task ids in the result backend', signal).catch((err: unknown) => {
      throw this.lost.explain(err);
    });
    this.owns = true;
    this.leaseTimer ??= setInterval(() => void this.renewLease(), LEASE_MS / 3);
    this.leaseTimer.unref();
  }

  private async renewLease(): Promise<void> {
    try {
      await this.client.set(LEASE_PREFIX + this.runId, `${process.pid}@${hostname()}`, 'PX', LEASE_MS);
    } catch (err) {
      // A missed renewal is retried on the next tick; a run that stays cut off long enough is reaped by the next.
      this.lost.note(err);
    }
  }

  /** Deletes result keys (stackprobe's own tasks only): a probe leaves nothing behind. */
  async forget(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      if (chunk.length === 0) continue;
      const tx = this.client.multi().del(...chunk.map((id) => META_PREFIX + id));
      if (this.owns) tx.srem(OWNED_PREFIX + this.runId, ...chunk);
      await bounded(tx.exec(), this.commandMs, 'deleting result keys');
    }
  }

  /**
   * Deletes the result keys of runs that died (their lease expired) and their lists. Returns how many keys went.
   * Bounded by `timeMs`: what is left is reaped by a later run.
   */
  async reapDead(timeMs: number): Promise<{ runs: number; keys: number }> {
    const deadline = performance.now() + timeMs;
    let cursor = '0';
    const reaped = { runs: 0, keys: 0 };
    do {
      const [next, sets] = await this.client.scan(cursor, 'MATCH', `${OWNED_PREFIX}*`, 'COUNT', 200);
      cursor = next;
      for (const set of sets) {
        const runId = set.slice(OWNED_PREFIX.length);
        if (runId === this.runId || leaseHeld(await this.client.get(LEASE_PREFIX + runId))) continue;
        let sc = '0';
        do {
          const [n, ids] = await this.client.sscan(set, sc, 'COUNT', 500);
          sc = n;
          if (ids.length > 0) reaped.keys += await this.client.del(...ids.map((id) => META_PREFIX + id));
        } while (sc !== '0' && performance.now() < deadline);
        if (sc === '0') {
          await this.client.del(set, LEASE_PREFIX + runId); // a lease of a process that is gone may still be there
          reaped.runs++;
        }
        if (performance.now() >= deadline) return reaped;
      }
    } while (cursor !== '0' && performance.now() < deadline);
    return reaped;
  }

  private deliver(id: string, text: string): void {
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    const meta = parseResultMeta(text) ?? { status: 'UNREADABLE', result: text.slice(0, 200) };
    if (READY_STATES.has(meta.status) || meta.status === 'UNREADABLE') this.finish(id, meta);
    else waiter.onState?.(meta);
  }

  private finish(id: string, meta: ResultMeta | null): void {
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    this.waiters.delete(id);
    waiter.resolve(meta);
  }

  private fail(id: string, err: Error): void {
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    this.waiters.delete(id);
    waiter.reject(err);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const cutoff = performance.now() - this.pollMs;
      const due = [...this.waiters.entries()].filter(([, w]) => w.since < cutoff).map(([id]) => id);
      for (let i = 0; i < due.length; i += 500) {
        const ids = due.slice(i, i + 500);
        const texts = await this.client.mget(...ids.map((id) => META_PREFIX + id));
        // Only final states matter here: intermediate ones (RETRY) come over pub/sub.
        texts.forEach((t, j) => {
          if (t === null) return;
          const meta = parseResultMeta(t);
          if (!meta || READY_STATES.has(meta.status)) this.deliver(ids[j]!, t);
        });
      }
    } catch (err) {
      // A failed poll is retried on the next tick; waits stay bounded by their own timeouts. Kept as the reason.
      this.lost.note(err);
    } finally {
      this.polling = false;
    }
  }

  /** Ends every wait, drops this run's list and lease (its keys were forgotten by then), and closes both connections. */
  async close(closeMs: number, opts: { keepList?: boolean } = {}): Promise<void> {
    clearInterval(this.poller);
    clearInterval(this.leaseTimer);
    for (const id of [...this.waiters.keys()]) this.finish(id, null);
    this.sub.disconnect();
    try {
      // A list whose keys could not be forgotten stays, lease gone: the next run reaps them.
      if (this.owns && opts.keepList) await withTimeout(this.client.del(LEASE_PREFIX + this.runId), closeMs, 'ending the run\'s lease');
      else if (this.owns) await withTimeout(this.client.del(OWNED_PREFIX + this.runId, LEASE_PREFIX + this.runId), closeMs, 'removing the run\'s task list');
    } finally {
      await withTimeout(this.client.quit(), closeMs, 'closing the result backend').catch(() => undefined); // frozen: dropped below
      this.client.disconnect();
    }
  }
}
