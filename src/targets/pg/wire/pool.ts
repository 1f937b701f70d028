// A small pool of measuring sessions for load that many requests share: up to `max` sessions opened on demand, a FIFO
// of waiters with a deadline, lost sessions dropped (and reported) instead of handed out again.
import { TimeoutError } from '../../../util/errors.js';
import type { PgWireError } from './errors.js';
import { MeasureSession, type SessionOptions, type SessionTarget } from './session.js';

export interface SessionPoolOptions extends SessionOptions {
  max: number;
  /** How long a request waits for a free session before it fails (pg.Pool's connectionTimeoutMillis). */
  acquireTimeoutMs: number;
}

interface Waiter {
  resolve(s: MeasureSession): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class SessionPool {
  private readonly idle: MeasureSession[] = [];
  private readonly waiters: Waiter[] = [];
  private total = 0;
  private ended = false;
  private sampler: NodeJS.Timeout | undefined;
  /**
   * Running totals a load can difference around a stage: requests served, how many waited for a session, the time
   * they waited (opening a new session included), and sessions opened with the time that took.
   */
  readonly stats = { acquired: 0, waited: 0, waitMs: 0, opened: 0, openMs: 0 };
  /** Told of every session found lost (a terminated backend, a restart, a stalled server). */
  onLost: ((err: PgWireError) => void) | undefined;

  constructor(private readonly target: SessionTarget, private readonly opts: SessionPoolOptions) {}

  /** Runs `fn` on a session of the pool; the session goes back when it is done, or is dropped when it was lost. */
  use<T>(fn: (s: MeasureSession) => Promise<T>): Promise<T> {
    // An idle session is taken without an await: a request costs one promise less than an async acquire would.
    const idle = !this.ended ? this.takeIdle() : undefined;
    if (idle) {
      this.stats.acquired++;
      return this.runOn(idle, fn);
    }
    const t0 = performance.now();
    return this.acquire().then((s) => this.runOn(this.waitedSince(t0, s), fn));
  }

  /**
   * use() on callbacks, for the load's hot path: `cb` gets a session (at once when one is idle) or the error; the
   * caller hands the session back with give() when its request has ended.
   */
  take(cb: (err: unknown, s: MeasureSession | undefined) => void): void {
    const idle = this.tryTake();
    if (idle) return cb(undefined, idle);
    const t0 = performance.now();
    this.acquire().then((s) => cb(undefined, this.waitedSince(t0, s)), (err: unknown) => cb(err, undefined));
  }

  /**
   * An idle session, or undefined when none is (then take() waits for one): the caller hands it back with give(). The
   * hot path's form of take(), which needs no callback, so a request that finds a session idle makes no closure for it.
   */
  tryTake(): MeasureSession | undefined {
    const idle = !this.ended ? this.takeIdle() : undefined;
    if (idle) this.stats.acquired++;
    return idle;
  }

  /** Counts a request that got its session after waiting since `t0`. */
  private waitedSince(t0: number, s: MeasureSession): MeasureSession {
    this.stats.acquired++;
    this.stats.waited++;
    this.stats.waitMs += performance.now() - t0;
    return s;
  }

  /** A session from take() goes back (or is dropped and told of, when it was lost). */
  give(s: MeasureSession): void {
    this.release(s);
  }

  private runOn<T>(s: MeasureSession, fn: (s: MeasureSession) => Promise<T>): Promise<T> {
    let running: Promise<T>;
    try {
      running = fn(s);
    } catch (err) {
      this.release(s);
      return Promise.reject(err as Error);
    }
    return running.then((out) => {
      this.release(s);
      return out;
    }, (err: unknown) => {
      this.release(s);
      throw err;
    });
  }

  private acquire(): Promise<MeasureSession> {
    if (this.ended) return Promise.reject(new Error('the session pool was closed'));
    const s = this.takeIdle();
    if (s) return Promise.resolve(s);
    if (this.total < this.opts.max) return this.open();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve, reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new TimeoutError(`no PostgreSQL session free within ${this.opts.acquireTimeoutMs} ms`));
        }, this.opts.acquireTimeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /**
   * An idle session the server closed while it waited (pg_terminate_backend, idle_session_timeout, a restart) is
   * dropped and told of, never handed out: a request must not fail for a loss that happened before it was made.
   */
  private takeIdle(): MeasureSession | undefined {
    for (let s = this.idle.pop(); s; s = this.idle.pop()) {
      if (!s.lost) return s;
      this.total--;
      if (s.lost.code !== 'ECLOSED') this.onLost?.(s.lost);
    }
    return undefined;
  }

  private async open(): Promise<MeasureSession> {
    this.total++;
    const t0 = performance.now();
    try {
      const s = await MeasureSession.open(this.target, this.opts);
      this.stats.opened++;
      this.stats.openMs += performance.now() - t0;
      if (!this.ended) return s;
      await s.close();
      throw new Error('the session pool was closed');
    } catch (err) {
      this.total--;
      this.wakeOne();
      throw err;
    }
  }

  private release(s: MeasureSession): void {
    if (s.lost) {
      this.total--;
      if (s.lost.code !== 'ECLOSED') this.onLost?.(s.lost);
      this.wakeOne();
      return;
    }
    const w = this.waiters.shift();
    if (w) {
      clearTimeout(w.timer);
      w.resolve(s);
    } else if (this.ended) void s.close();
    else this.idle.push(s);
  }

  /** A session slot freed up: the first waiter gets a new session instead. */
  private wakeOne(): void {
    const w = this.waiters.shift();
    if (!w) return;
    clearTimeout(w.timer);
    this.open().then(w.resolve, w.reject);
  }

  /**
   * Every `everyMs`, one no-op round trip (prepared SELECT 1) on a session of this pool, beside the load: its time
   * (the round trip alone, not the wait for a free session) is the network's and the client's share of a latency.
   * Skipped while one is still in flight; stops with end().
   */
  sampleNoop(everyMs: number, record: (ms: number) => void): void {
    let busy = false;
    this.sampler = setInterval(() => {
      if (busy || this.ended) return;
      busy = true;
      void this.use(async (s) => {
        const t0 = performance.now();
        await s.run(s.noopRequest());
        record(performance.now() - t0);
      }).catch(() => undefined).finally(() => (busy = false)); // a failed no-op is the load's business: its requests fail too
    }, everyMs);
    this.sampler.unref();
  }

  async end(): Promise<void> {
    clearInterval(this.sampler);
    this.ended = true;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error('the session pool was closed'));
    }
    await Promise.all(this.idle.splice(0).map((s) => s.close()));
  }
}
