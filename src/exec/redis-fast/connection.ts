// One lean Redis connection: RESP commands pre-encoded into one Buffer per batch (keys rewritten in place), replies
// counted by scanning bytes, never decoded into strings or objects.
import type { Socket } from 'node:net';
import { connectReusingBuffer } from '../fast-socket.js';
import { withTimeout } from '../timeout.js';

/** Called when every reply of a batch has arrived: how many were errors (`-ERR …`), and the first error's text. */
export type RedisBatchDone = (errors: number, firstError: string | undefined) => void;

const KEY_DIGITS = 12;

/**
 * `depth` copies of one command whose key ends in 12 digits, e.g. SET `prefix000000000042` value: sent in one write,
 * a pipeline when depth > 1. `setKey(i, n)` rewrites the digits of command i in place.
 */
export class RespBatch {
  readonly bytes: Buffer;
  private readonly offsets: number[];

  constructor(command: 'GET' | 'SET', keyPrefix: string, depth: number, value = 'xxx') {
    const key = `${keyPrefix}${'0'.repeat(KEY_DIGITS)}`;
    const args = command === 'SET' ? [command, key, value] : [command, key];
    const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
    const one = Buffer.from(`*${args.length}\r\n${args.map(bulk).join('')}`);
    const keyEnd = one.indexOf(`${key}\r\n`) + Buffer.byteLength(key);
    this.bytes = Buffer.concat(Array.from({ length: depth }, () => one));
    this.offsets = Array.from({ length: depth }, (_, i) => i * one.length + keyEnd - KEY_DIGITS);
  }

  get depth(): number {
    return this.offsets.length;
  }

  setKey(i: number, n: number): void {
    let at = this.offsets[i]! + KEY_DIGITS - 1;
    for (let d = 0; d < KEY_DIGITS; d++, at--) {
      this.bytes[at] = 48 + (n % 10);
      n = Math.floor(n / 10);
    }
  }
}

export class RedisFastConnection {
  private expected = 0;
  private errors = 0;
  private firstError: string | undefined;
  private done: RedisBatchDone | undefined;
  /** Bytes of a bulk string body (plus CRLF) still to skip, when a reply spans reads. */
  private skip = 0;
  private partial: Buffer | undefined;
  private closed: string | undefined;

  private readonly socket: Socket;

  private constructor(host: string, port: number) {
    const socket = connectReusingBuffer(host, port, (buffer, n) => this.onData(buffer, n));
    this.socket = socket;
    const lost = (err?: Error) => this.lose(err?.message ?? 'connection closed');
    socket.on('error', lost);
    socket.on('close', () => lost());
  }

  /** Connects to `redis://[:password@]host:port[/db]` (no TLS), authenticates and selects the database. */
  static async connect(url: string, timeoutMs = 5000): Promise<RedisFastConnection> {
    const u = new URL(url);
    if (u.protocol !== 'redis:') throw new Error('the lean Redis path speaks plain redis:// only');
    const conn = new RedisFastConnection(u.hostname || '127.0.0.1', Number(u.port || 6379));
    const setup: string[][] = [];
    if (u.password) setup.push(u.username ? ['AUTH', decodeURIComponent(u.username), decodeURIComponent(u.password)] : ['AUTH', decodeURIComponent(u.password)]);
    const db = u.pathname.slice(1);
    if (db && db !== '0') setup.push(['SELECT', db]);
    try {
      await withTimeout(new Promise<void>((resolve, reject) => {
        conn.socket.once('connect', resolve);
        conn.socket.once('error', reject);
      }), timeoutMs, 'connecting to Redis');
      for (const args of setup) await withTimeout(conn.command(args), timeoutMs, `Redis ${args[0]}`);
      return conn;
    } catch (err) {
      conn.socket.destroy(); // a refused, timed-out or rejected login leaves no socket behind
      throw err;
    }
  }

  /** One command outside the hot path (setup, clean-up); rejects on an error reply. */
  command(args: string[]): Promise<void> {
    const bytes = Buffer.from(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    return new Promise((resolve, reject) => this.write(bytes, 1, (errors, first) => (errors ? reject(new Error(first)) : resolve())));
  }

  /** The hot path: writes a batch and calls `done` when all its replies are in. One batch at a time per connection. */
  send(batch: RespBatch, done: RedisBatchDone): void {
    this.write(batch.bytes, batch.depth, done);
  }

  private write(bytes: Buffer, replies: number, done: RedisBatchDone): void {
    if (this.closed) return done(replies, this.closed);
    this.expected = replies;
    this.errors = 0;
    this.firstError = undefined;
    this.done = done;
    this.socket.write(bytes);
  }

  /** `chunk` is the socket's reused read buffer: only its first `length` bytes are this read's. */
  private onData(chunk: Buffer, length: number): void {
    let buf = chunk;
    let n = length;
    if (this.partial) {
      buf = Buffer.concat([this.partial, chunk.subarray(0, length)]);
      n = buf.length;
      this.partial = undefined;
    }
    let i = 0;
    while (i < n) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, n - i);
        this.skip -= take;
        i += take;
        if (this.skip === 0) this.reply();
        continue;
      }
      // Scan the reply's first line by hand: replies are short, and a native indexOf per reply costs more than the loop.
      let eol = i;
      while (eol < n && buf[eol] !== 10) eol++;
      if (eol === n) {
        this.partial = Buffer.from(buf.subarray(i)); // an unfinished reply line: rare, copied
        return;
      }
      const type = buf[i];
      if (type === 0x24) {
        // $len: a bulk string whose body (and CRLF) is skipped; $-1 is nil.
        if (buf[i + 1] === 0x2d) this.reply();
        else {
          let len = 0;
          for (let j = i + 1; buf[j] !== 13; j++) len = len * 10 + buf[j]! - 48;
          this.skip = len + 2;
        }
        i = eol + 1;
        continue;
      }
      if (type === 0x2d) {
        this.errors++;
        this.firstError ??= buf.toString('utf8', i + 1, eol - 1);
      }
      i = eol + 1;
      this.reply();
    }
  }

  private reply(): void {
    if (--this.expected > 0) return;
    const done = this.done;
    this.done = undefined;
    done?.(this.errors, this.firstError);
  }

  private lose(message: string): void {
    if (this.closed) return;
    this.closed = message;
    const done = this.done;
    this.done = undefined;
    done?.(this.expected, message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = 'connection closed by stackprobe';
    await new Promise<void>((resolve) => this.socket.end(Buffer.from('*1\r\n$4\r\nQUIT\r\n'), resolve));
    this.socket.destroy();
  }
}
