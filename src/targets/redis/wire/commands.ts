// The commands the checks time, on a measuring-path connection: each one RESP write, error replies thrown with their prefix.
import type { BatchOutcome } from './connection.js';
import { encodeCommand, type Reply } from './resp.js';

/** What the commands need of a connection: a WireConnection, or a ReconnectingWire for the load. */
export interface RedisCaller {
  call(args: readonly string[], decode?: boolean): Promise<Reply>;
  batch(commands: string, count: number): Promise<BatchOutcome>;
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
  /** SETs of `keys` as one pipeline; the first error reply among them is thrown once all are in. */
  async setMany(c: RedisCaller, keys: readonly string[]): Promise<void> {
    let bytes = '';
    for (const k of keys) bytes += this.encode(k);
    const o = await c.batch(bytes, keys.length);
    if (o.firstError) throw o.firstError;
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
