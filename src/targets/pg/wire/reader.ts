// Framing of PostgreSQL backend messages: the bytes of socket reads of any size into whole messages, in time linear in
// a message's size, with every length checked. A malformed stream throws a ProtocolViolation (never a RangeError);
// the connection closes on it.
import { ProtocolViolation } from './errors.js';

/**
 * Bounds on a message's length field (itself included). libpq's rule (fe-protocol3.c): only RowDescription, DataRow,
 * CopyData, FunctionCallResponse, ErrorResponse, NoticeResponse and NotificationResponse may be longer than 30000
 * bytes; any other longer message means the stream lost its framing. None may exceed what the server can build: a
 * message is assembled in one StringInfo, bounded by MaxAllocSize (1 GiB - 1), plus the 4 bytes of the length.
 */
export const SHORT_MESSAGE_MAX = 30_000;
export const MESSAGE_MAX = 0x3fffffff + 4;
const LONG_TYPES = new Uint8Array(256);
for (const c of 'TDdVENA') LONG_TYPES[c.charCodeAt(0)] = 1;

/** Receives each whole message; `buf` may be a reused read buffer, so what is kept must be copied out of it. */
export interface MessageSink {
  onMessage(type: number, buf: Buffer, start: number, end: number): void;
}

/** The first Buffer of a split message (it grows by doubling past this). */
const FIRST_CAPACITY = 64 * 1024;

function checkLength(type: number, length: number): void {
  if (length < 4) throw new ProtocolViolation(`message ${describeType(type)} has length ${length}, less than the 4 bytes of the length itself`);
  if (length > SHORT_MESSAGE_MAX && (length > MESSAGE_MAX || LONG_TYPES[type] !== 1)) {
    throw new ProtocolViolation(`message ${describeType(type)} claims ${length} bytes, more than such a message can hold (${LONG_TYPES[type] === 1 ? MESSAGE_MAX : SHORT_MESSAGE_MAX})`);
  }
}

export function describeType(type: number): string {
  return type >= 0x20 && type < 0x7f ? `'${String.fromCharCode(type)}'` : `0x${type.toString(16).padStart(2, '0')}`;
}

/**
 * Whole messages from `feed` go straight from the read buffer to the sink; only a message split across reads is
 * copied, into a Buffer that doubles up to its announced size (so a 64 MB row costs at most about 128 MB of copying,
 * not a concatenation per read). After a throw, or after stop(), the reader ignores everything.
 */
export class BackendReader {
  /**
   * The split message being assembled (type, length, body). Its Buffer starts at 64 KiB and doubles as bytes come,
   * up to the announced size: a server that announces 1 GiB and sends little costs little memory.
   */
  private partial: Buffer | undefined;
  /** The split message's whole size (type byte, length, body). */
  private size = 0;
  /** Bytes of the split message received so far (of its header while `partial` is not yet allocated). */
  private filled = 0;
  private readonly head = Buffer.alloc(5);
  private stopped = false;

  constructor(private readonly sink: MessageSink) {}

  /** No message is delivered after this (the connection is closed). */
  stop(): void {
    this.stopped = true;
    this.partial = undefined;
  }

  /** Reads the first `length` bytes of `chunk`; throws a ProtocolViolation for a malformed stream. */
  feed(chunk: Buffer, length: number): void {
    if (this.stopped) return;
    let i = 0;
    try {
      if (this.filled > 0) {
        i = this.resume(chunk, length);
        if (i < 0) return;
      }
      while (i + 5 <= length) {
        const type = chunk[i]!;
        const len = chunk.readUInt32BE(i + 1);
        if (len < 4 || len > SHORT_MESSAGE_MAX) checkLength(type, len);
        const end = i + 1 + len;
        if (end > length) break;
        this.sink.onMessage(type, chunk, i + 5, end);
        if (this.stopped) return;
        i = end;
      }
      if (i < length) this.keep(chunk, i, length);
    } catch (err) {
      this.stop();
      throw err;
    }
  }

  /** Starts assembling the split message at chunk[at, length). */
  private keep(chunk: Buffer, at: number, length: number): void {
    const n = length - at;
    if (n < 5) {
      chunk.copy(this.head, 0, at, length);
      this.filled = n;
      return;
    }
    // The loop checked this header already.
    this.size = 1 + chunk.readUInt32BE(at + 1);
    this.partial = Buffer.allocUnsafe(Math.min(this.size, Math.max(FIRST_CAPACITY, n)));
    chunk.copy(this.partial, 0, at, length);
    this.filled = n;
  }

  /** Continues the split message; returns where the next message starts in `chunk`, or -1 when it used all of it. */
  private resume(chunk: Buffer, length: number): number {
    let i = 0;
    if (!this.partial) {
      i = Math.min(5 - this.filled, length);
      chunk.copy(this.head, this.filled, 0, i);
      this.filled += i;
      if (this.filled < 5) return -1;
      const len = this.head.readUInt32BE(1);
      checkLength(this.head[0]!, len);
      this.size = 1 + len;
      this.partial = Buffer.allocUnsafe(Math.min(this.size, FIRST_CAPACITY));
      this.head.copy(this.partial, 0, 0, 5);
    }
    const take = Math.min(this.size - this.filled, length - i);
    if (this.filled + take > this.partial.length) this.grow(this.filled + take);
    const msg = this.partial;
    chunk.copy(msg, this.filled, i, i + take);
    this.filled += take;
    i += take;
    if (this.filled < this.size) return -1;
    this.partial = undefined;
    this.filled = 0;
    this.sink.onMessage(msg[0]!, msg, 5, this.size);
    return this.stopped ? -1 : i;
  }

  /** Doubles the split message's Buffer (up to its announced size): copying stays linear in the bytes that came. */
  private grow(needed: number): void {
    const next = Buffer.allocUnsafe(Math.min(this.size, Math.max(needed, this.partial!.length * 2)));
    this.partial!.copy(next, 0, 0, this.filled);
    this.partial = next;
  }
}
