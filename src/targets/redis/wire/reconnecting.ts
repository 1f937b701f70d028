// A measuring-path connection that comes back: for the load, where a lost connection is counted and reported, and the
// requests after it go on (on a new connection) instead of failing until the run ends.
import { sleep } from '../../../exec/timeout.js';
import type { RedisCaller } from './commands.js';
import { WireConnection, type BatchOutcome, type WireOptions } from './connection.js';
import type { Reply } from './resp.js';

/** Reconnect attempts are at least this far apart, so a dead server is not hammered by every request. */
const RETRY_GAP_MS = 100;

export class ReconnectingWire implements RedisCaller {
  private conn: WireConnection | undefined;
  private opening: Promise<WireConnection> | undefined;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private closed = false;

  /** `opts.onLost` is told of every connection lost (not of failed reconnects: the requests waiting on them fail). */
  constructor(private readonly url: string, private readonly opts: WireOptions) {}

  call(args: readonly string[], decode = true): Promise<Reply> {
    const c = this.conn;
    if (c && !c.lost) return c.call(args, decode);
    return this.reopen().then((fresh) => fresh.call(args, decode));
  }

  batch(commands: string | Buffer, count: number): Promise<BatchOutcome> {
    const c = this.conn;
    if (c && !c.lost) return c.batch(commands, count);
    return this.reopen().then((fresh) => fresh.batch(commands, count));
  }

  private reopen(): Promise<WireConnection> {
    if (this.closed) return Promise.reject(new Error('the Redis connection was closed by stackprobe'));
    this.opening ??= (async () => {
      try {
        const wait = this.lastAttempt + RETRY_GAP_MS - performance.now();
        if (wait > 0) await sleep(wait);
        this.lastAttempt = performance.now();
        const conn = await WireConnection.connect(this.url, this.opts);
        if (this.closed) {
          await conn.close();
          throw new Error('the Redis connection was closed by stackprobe');
        }
        this.conn = conn;
        return conn;
      } finally {
        this.opening = undefined;
      }
    })();
    return this.opening;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.conn?.close();
  }
}
