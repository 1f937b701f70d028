// One Redis connection on the measuring path: plain or TLS, AUTH (password or ACL user) and SELECT, commands pipelined
// (every write of a tick sent together), replies matched in order, a command timeout, and loss surfaced as errors.
import { connect as tlsConnect } from 'node:tls';
import type { Socket } from 'node:net';
import { connectReusingBuffer } from '../../../exec/fast-socket.js';
import { withTimeout } from '../../../exec/timeout.js';
import { TimeoutError } from '../../../util/errors.js';
import { encodeCommand, RedisReplyError, RespReader, type Reply } from './resp.js';
import { parseRedisUrl, type RedisEndpoint } from './url.js';

export interface WireOptions {
  connectMs: number;
  /** A command not answered within this fails, with every other one in flight: the connection is closed. */
  commandMs: number;
  /** Called once when the connection ends without close() being called: the server, the network or a timeout. */
  onLost?: (reason: Error) => void;
  /** Connect here instead of the URL's host and port (a Sentinel's current master); credentials and TLS stay the URL's. */
  address?: { host: string; port: number };
}

/** The connection is gone (closed by the server or the network, timed out, or closed by stackprobe). */
export class RedisConnectionError extends Error {
  override readonly name = 'RedisConnectionError';
}

/** Outcome of a batch of pipelined commands: error replies are counted, not thrown. */
export interface BatchOutcome {
  errors: number;
  firstError: RedisReplyError | undefined;
  /** nil replies (GETs that missed). */
  nils: number;
}

/** Called when a batch's replies are in (`err` undefined), or when the connection failed first. */
export type BatchDone = (err: Error | undefined, outcome: BatchOutcome) => void;

interface Pending extends BatchOutcome {
  left: number;
  decode: boolean;
  sentAt: number;
  /** Replies of a decoded call. */
  value: Reply | undefined;
  done: BatchDone;
}

/** process.nextTick's callback for a connection's pending writes: one function for all, no closure per tick. */
function flushConnection(conn: WireConnection): void {
  conn.flush();
}

export class WireConnection {
  private readonly queue: Pending[] = [];
  private head = 0;
  private out: Array<string | Buffer> = [];
  private flushing = false;
  /** When the first send of the current tick was queued (see send). */
  private tickAt = 0;
  private failure: Error | undefined;
  private closing = false;
  /** Set once connected and logged in: a connection that never got there was not lost, it failed to connect. */
  private established = false;
  private readonly sweep: NodeJS.Timeout;
  private readonly reader: RespReader;

  private constructor(private readonly socket: Socket, private readonly opts: WireOptions) {
    this.reader = new RespReader((v) => this.onReply(v), () => this.queue[this.head]?.decode ?? true);
    socket.setNoDelay(true);
    socket.on('error', (err) => this.fail(new RedisConnectionError(`the Redis connection failed: ${err.message}`)));
    socket.on('close', () => this.fail(new RedisConnectionError('the Redis connection was closed by the server or the network')));
    // One timer per connection, not per command: the oldest command in flight is the one that waited longest.
    const every = Math.min(1000, Math.max(5, Math.floor(opts.commandMs / 4)));
    this.sweep = setInterval(() => this.checkStall(), every);
    this.sweep.unref();
  }

  /** Connects, authenticates and selects the URL's database, all within connectMs; a failure leaves no socket behind. */
  static async connect(url: string, opts: WireOptions): Promise<WireConnection> {
    const ep = parseRedisUrl(url);
    const conn = WireConnection.open(ep, opts);
    try {
      await withTimeout(conn.ready(ep), opts.connectMs, 'connecting to Redis');
      conn.established = true;
      return conn;
    } catch (err) {
      conn.closing = true;
      conn.destroy(err as Error);
      throw err;
    }
  }

  private static open(ep: RedisEndpoint, opts: WireOptions): WireConnection {
    const host = opts.address?.host ?? ep.host;
    const port = opts.address?.port ?? ep.port;
    if (!ep.tls) {
      // The socket exists before the connection object that reads from it; no byte arrives before both do.
      const holder: { conn?: WireConnection } = {};
      const socket = connectReusingBuffer(host, port, (buf, n) => holder.conn!.feed(buf, n));
      holder.conn = new WireConnection(socket, opts);
      return holder.conn;
    }
    // TLS sockets cannot read into a reused buffer: replies come as 'data' chunks.
    const socket = tlsConnect({ ...ep.tls, host, port });
    const conn = new WireConnection(socket, opts);
    socket.on('data', (chunk: Buffer) => conn.feed(chunk, chunk.length));
    return conn;
  }

  private async ready(ep: RedisEndpoint): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once(ep.tls ? 'secureConnect' : 'connect', resolve);
      this.socket.once('error', reject);
      this.socket.once('close', () => reject(this.failure ?? new RedisConnectionError('the Redis connection was closed before it was ready')));
    });
    if (ep.password !== undefined) await this.call(ep.username !== undefined ? ['AUTH', ep.username, ep.password] : ['AUTH', ep.password]);
    if (ep.db !== 0) await this.call(['SELECT', String(ep.db)]);
    // Named like every stackprobe connection, so CLIENT LIST shows whose it is; a server that forbids CLIENT (some
    // managed services) answers with an error reply, which is counted here, not thrown: the connection works anyway.
    const named = await this.batch(encodeCommand(['CLIENT', 'SETNAME', 'stackprobe']), 1);
    // …except the one that says the server wants a password the URL does not give: every command would fail the same.
    if (named.firstError?.prefix === 'NOAUTH') throw named.firstError;
  }

  /** Why the connection can no longer be used, or undefined while it can. */
  get lost(): Error | undefined {
    return this.failure;
  }

  /** Commands sent and not yet answered. */
  get inFlight(): number {
    return this.queue.length - this.head;
  }

  /** One command; its reply decoded (bulk strings as text unless `decode` is false: then `true`). Rejects on an error reply. */
  call(args: readonly string[], decode = true): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.send(encodeCommand(args), 1, (err, o) => {
        if (err) reject(err);
        else if (o.firstError) reject(o.firstError);
        else resolve((o as Pending).value ?? null);
      }, decode);
    });
  }

  /** Pre-encoded commands (`count` replies) as one pipeline; error replies are counted in the outcome, not thrown. */
  batch(commands: string | Buffer, count: number): Promise<BatchOutcome> {
    return new Promise((resolve, reject) => this.send(commands, count, (err, o) => (err ? reject(err) : resolve(o)), false));
  }

  /** The hot path: no promise; `done` runs when the `count` replies of `commands` are in, or the connection fails. */
  send(commands: string | Buffer, count: number, done: BatchDone, decode = false): void {
    if (this.failure) {
      // Failed on the next turn of the event loop, never synchronously or as a microtask: a loop that retries on a lost
      // connection would otherwise spin without letting timers and sockets (reconnects, deadlines) run.
      const failure = this.failure;
      setImmediate(() => done(failure, { errors: count, firstError: undefined, nils: 0 }));
      return;
    }
    if (!this.flushing) {
      this.flushing = true;
      // One clock read per write, not per command: the commands of a tick leave together, and the stall watchdog needs
      // only the oldest one's age.
      this.tickAt = performance.now();
      // Everything written in this tick goes out in one write (the VUs answered by one read all send before it).
      process.nextTick(flushConnection, this);
    }
    this.queue.push({ left: count, decode, sentAt: this.tickAt, value: undefined, errors: 0, firstError: undefined, nils: 0, done });
    this.out.push(commands);
  }

  /** Writes what this tick's sends queued (called by flushConnection on the next tick). */
  flush(): void {
    this.flushing = false;
    if (this.failure || this.out.length === 0) return;
    const out = this.out;
    this.out = [];
    // One write of one chunk: a writev of many small ones (cork/uncork) cost more client CPU than the copy it saves.
    if (out.length === 1) this.socket.write(out[0]!);
    else if (out.every((part) => typeof part === 'string')) this.socket.write(out.join(''));
    else if (out.every((part) => typeof part !== 'string')) this.socket.write(Buffer.concat(out as Buffer[]));
    else this.socket.write(Buffer.concat(out.map((part) => (typeof part === 'string' ? Buffer.from(part) : part))));
  }

  private feed(buf: Buffer, n: number): void {
    try {
      this.reader.feed(buf, n);
    } catch (err) {
      this.fail(new RedisConnectionError(`the Redis connection sent bytes that are not RESP: ${(err as Error).message}`));
    }
  }

  private onReply(value: Reply | RedisReplyError): void {
    const p = this.queue[this.head];
    if (!p) throw new Error('a reply arrived with no command waiting for it');
    if (value instanceof RedisReplyError) {
      p.errors++;
      p.firstError ??= value;
    } else if (value === null) p.nils++;
    p.value = value instanceof RedisReplyError ? null : value;
    if (--p.left > 0) return;
    this.queue[this.head++] = undefined as unknown as Pending;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    p.done(undefined, p);
  }

  private checkStall(): void {
    const oldest = this.queue[this.head];
    if (!oldest || this.failure) return;
    const waited = performance.now() - oldest.sentAt;
    if (waited > this.opts.commandMs) this.fail(new TimeoutError(`Redis command timed out: no answer within ${this.opts.commandMs} ms (a stalled or overloaded server); the connection was closed`));
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    clearInterval(this.sweep);
    this.socket.destroy();
    const pending = this.queue.slice(this.head);
    this.queue.length = 0;
    this.head = 0;
    this.out = [];
    for (const p of pending) p.done(err, { errors: p.left, firstError: p.firstError, nils: p.nils });
    if (!this.closing && this.established) this.opts.onLost?.(err);
  }

  private destroy(err: Error): void {
    this.fail(err);
  }

  /** Ends the connection on purpose (QUIT when nothing is in flight, bounded); never reported as a loss. */
  async close(ms = 1000): Promise<void> {
    if (this.failure) return;
    this.closing = true;
    if (this.inFlight === 0) {
      try {
        await withTimeout(this.call(['QUIT']), ms, 'quitting a Redis connection');
      } catch (err) {
        void err; // a stalled or gone server: the socket is dropped below, which cannot fail
      }
    }
    this.fail(new RedisConnectionError('the Redis connection was closed by stackprobe'));
  }
}
