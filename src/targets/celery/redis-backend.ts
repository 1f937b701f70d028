// Celery's Redis result backend: `celery-task-meta-<id>` keys, each state also published on a channel of that name.
import type { Redis } from 'ioredis';
import { parseResultMeta, READY_STATES, type ResultMeta } from './protocol.js';

export const META_PREFIX = 'celery-task-meta-';

interface Waiter {
  resolve(meta: ResultMeta | null): void;
  onState?: (meta: ResultMeta) => void;
  since: number;
}

/**
 * Waits for task results: pub/sub delivers each state the moment the worker stores it; a poll of the keys catches
 * a result stored before we subscribed and works where PUBLISH is not seen (e.g. a proxy that drops pub/sub).
 */
export class RedisResultBackend {
  private readonly waiters = new Map<string, Waiter>();
  private readonly poller: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly client: Redis,
    private readonly sub: Redis,
    private readonly pollMs = 500,
  ) {
    sub.on('message', (channel: string, text: string) => this.deliver(channel.slice(META_PREFIX.length), text));
    this.poller = setInterval(() => void this.poll(), pollMs);
    this.poller.unref();
  }

  /** The final state of a task, or null when none arrives within timeoutMs (or the signal aborts). */
  async wait(id: string, timeoutMs: number, opts: { signal?: AbortSignal; onState?: (meta: ResultMeta) => void } = {}): Promise<ResultMeta | null> {
    const key = META_PREFIX + id;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => this.finish(id, null);
    const done = new Promise<ResultMeta | null>((resolve) => {
      this.waiters.set(id, { resolve, since: performance.now(), ...(opts.onState ? { onState: opts.onState } : {}) });
    });
    try {
      if (opts.signal?.aborted) return null;
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(() => this.finish(id, null), timeoutMs);
      await this.sub.subscribe(key);
      // The task may have finished before the subscription: look once now.
      const text = await this.client.get(key);
      if (text !== null) this.deliver(id, text);
      return await done;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      this.waiters.delete(id);
      await this.sub.unsubscribe(key).catch(() => undefined); // a dropped subscriber connection has no subscription left to end
    }
  }

  /** Deletes result keys (stackprobe's own tasks only): a probe leaves nothing behind. */
  async forget(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500).map((id) => META_PREFIX + id);
      if (chunk.length) await this.client.del(...chunk);
    }
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
      // A failed poll is retried on the next tick; waits stay bounded by their own timeouts.
      void err;
    } finally {
      this.polling = false;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.poller);
    for (const id of [...this.waiters.keys()]) this.finish(id, null);
    this.sub.disconnect();
  }
}
