// The commands the checks time, on a measuring-path connection: each one RESP write, error replies thrown with their prefix.
import type { BatchOutcome } from './connection.js';
import { encodeCommand, type Reply } from './resp.js';

/** What the commands need of a connection: a WireConnection, or a ReconnectingWire for the load. */
export interface RedisCaller {
  call(args: readonly string[], decode?: boolean): Promise<Reply>;
  batch(commands: string, count: number): Promise<BatchOutcome>;
}

/** GET without decoding the value: true on a hit, null on a miss. */
export function getHit(c: RedisCaller, key: string): Promise<Reply> {
  return c.call(['GET', key], false);
}

/** SET with a TTL in seconds (every key stackprobe writes carries one). */
export function setEx(c: RedisCaller, key: string, value: string, ttlS: number): Promise<Reply> {
  return c.call(['SET', key, value, 'EX', String(ttlS)]);
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
