// The commands the checks time, on a measuring-path connection: each one RESP write, error replies thrown with their prefix.
import type { BatchOutcome } from './connection.js';
import { bulk, encodeCommand, type Reply } from './resp.js';

/** What the commands need of a connection: a WireConnection, or a ReconnectingWire for the load. */
export interface RedisCaller {
  call(args: readonly string[], decode?: boolean): Promise<Reply>;
  batch(commands: string | Buffer, count: number): Promise<BatchOutcome>;
}

/** GET without decoding the value: true on a hit, null on a miss; encoded by hand, the hot path's one command. */
export async function getHit(c: RedisCaller, key: string): Promise<true | null> {
  const o = await c.batch(`*2\r\n$3\r\nGET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n`, 1);
  if (o.firstError) throw o.firstError;
  return o.nils === 0 ? true : null;
}

/** SET with a TTL in seconds (every key stackprobe writes carries one). */
export function setEx(c: RedisCaller, key: string, value: string, ttlS: number): Promise<Reply> {
  return c.call(['SET', key, value, 'EX', String(ttlS)]);
}

/**
 * SETs of one value and TTL to many keys, the part after the key encoded once: a check writes the same value
 * thousands of times a second, and encoding it again for every command was most of the client's cost per SET.
 */
export class SetExEncoder {
  private readonly tail: string;
  constructor(value: string, ttlS: number) {
    const ttl = String(ttlS);
    this.tail = `$${Buffer.byteLength(value)}\r\n${value}\r\n$2\r\nEX\r\n$${ttl.length}\r\n${ttl}\r\n`;
  }
  encode(key: string): string {
    return `*5\r\n$3\r\nSET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n${this.tail}`;
  }
  /** One SET; rejects on an error reply (OOM, READONLY …). */
  async set(c: RedisCaller, key: string): Promise<void> {
    const o = await c.batch(this.encode(key), 1);
    if (o.firstError) throw o.firstError;
  }
}

/**
 * A command whose one varying part is its key, `prefix` + a key number (`GET <key>`, `SET <key> <value> EX <ttl>`):
 * everything around the key is encoded once, and the key's length is counted from its digits, so a command costs one
 * string concatenation and no UTF-8 measuring (the hot path of cache.concurrency, see src/checks/cache/wire-loop.ts).
 */
export class KeyedCommand {
  private readonly head: string;
  private readonly prefixBytes: number;
  private readonly tail: string;

  /** `name` and `before` come before the key, `after` after it: `new KeyedCommand('SET', prefix, [], [value, 'EX', '300'])`. */
  constructor(name: string, private readonly prefix: string, before: readonly string[] = [], after: readonly string[] = []) {
    const args = [name, ...before];
    this.head = `*${args.length + 1 + after.length}\r\n${args.map(bulk).join('')}$`;
    this.prefixBytes = Buffer.byteLength(prefix);
    this.tail = `\r\n${after.map(bulk).join('')}`;
  }

  /** The command for the key `prefix` + `n` (a non-negative integer). */
  encode(n: number): string {
    return `${this.head}${this.prefixBytes + digitCount(n)}\r\n${this.prefix}${n}${this.tail}`;
  }
}

/** MGET of `keys`, values not decoded. */
export function mget(c: RedisCaller, keys: readonly string[]): Promise<Reply> {
  return c.call(['MGET', ...keys], false);
}

export function unlink(c: RedisCaller, key: string): Promise<Reply> {
  return c.call(['UNLINK', key]);
}

/** Commands sent as one pipeline (one write); the first error reply among them is thrown once all are in. */
export async function pipeline(c: RedisCaller, commands: ReadonlyArray<readonly string[]>): Promise<void> {
  let bytes = '';
  for (const args of commands) bytes += encodeCommand(args);
  const outcome = await c.batch(bytes, commands.length);
  if (outcome.firstError) throw outcome.firstError;
}

/** Decimal digits of a non-negative integer. */
function digitCount(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** Writes `n` (a non-negative integer) in decimal at `at`; returns the offset after it. */
function writeDigits(buf: Buffer, at: number, n: number, digits: number): number {
  let i = at + digits;
  while (n >= 10) {
    const q = Math.floor(n / 10);
    buf[--i] = 48 + (n - q * 10);
    n = q;
  }
  buf[--i] = 48 + n;
  return at + digits;
}

/**
 * A pipeline of SETs (one value, one TTL) to keys `prefix` + number, written byte by byte into one Buffer that is
 * reused for every pipeline of its owner: no key string, no command string, no UTF-8 encoding per SET. Building the
 * commands as strings cost 1.1–1.5 µs of client CPU per SET at 16 per pipeline, and on a shared 2-core machine that
 * CPU is the server's (bench/README.md, figure 2).
 * One owner (a VU) at a time: the Buffer is rewritten only after the previous pipeline's replies are in, when the server
 * has read every byte of it.
 */
export class SetExPipeline {
  private readonly prefix: Buffer;
  private readonly tail: Buffer;
  private buffer: Buffer;

  constructor(prefix: string, value: string, ttlS: number) {
    this.prefix = Buffer.from(prefix, 'utf8');
    const ttl = String(ttlS);
    this.tail = Buffer.from(`$${Buffer.byteLength(value)}\r\n${value}\r\n$2\r\nEX\r\n$${ttl.length}\r\n${ttl}\r\n`, 'utf8');
    this.buffer = Buffer.allocUnsafe(0);
  }

  /** The pipeline's bytes for the keys prefix + numbers[i] (non-negative integers). */
  encode(numbers: ArrayLike<number>): Buffer {
    const head = '*5\r\n$3\r\nSET\r\n$';
    // Per SET at most: head, the key length's digits and CRLF, the key (prefix + up to 16 digits) and CRLF, the tail.
    const most = numbers.length * (head.length + 2 + 2 + this.prefix.length + 16 + 2 + this.tail.length);
    if (this.buffer.length < most) this.buffer = Buffer.allocUnsafe(most);
    const buf = this.buffer;
    let at = 0;
    for (let i = 0; i < numbers.length; i++) {
      const n = numbers[i]!;
      const digits = digitCount(n);
      at += buf.write(head, at, 'latin1');
      const keyLength = this.prefix.length + digits;
      at = writeDigits(buf, at, keyLength, digitCount(keyLength));
      buf[at++] = 13;
      buf[at++] = 10;
      at += this.prefix.copy(buf, at);
      at = writeDigits(buf, at, n, digits);
      buf[at++] = 13;
      buf[at++] = 10;
      at += this.tail.copy(buf, at);
    }
    return buf.subarray(0, at);
  }

  /** Sends the SETs as one pipeline; the first error reply among them is thrown once all are in. */
  async send(c: RedisCaller, numbers: ArrayLike<number>): Promise<void> {
    const o = await c.batch(this.encode(numbers), numbers.length);
    if (o.firstError) throw o.firstError;
  }
}
