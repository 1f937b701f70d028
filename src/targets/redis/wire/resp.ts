// RESP2 on the wire: commands encoded into one Buffer, and a streaming reader that turns bytes into replies (arrays
// nested, replies split across reads), decoding bulk strings only when the caller wants their text.

/** A reply: a simple or bulk string (or `true` for a bulk string read without decoding), an integer, nil, an array. */
export type Reply = string | number | true | null | Reply[];

/** An error reply of the server (`-WRONGTYPE …`): `prefix` is its first word (WRONGTYPE, NOAUTH, OOM, ERR …). */
export class RedisReplyError extends Error {
  override readonly name = 'RedisReplyError';
  readonly prefix: string;
  constructor(text: string) {
    super(text);
    this.prefix = /^[A-Z]+/.exec(text)?.[0] ?? 'ERR';
  }
}

/** One argument as a RESP bulk string. */
export const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;

/** One command as RESP (an array of bulk strings). */
export function encodeCommand(args: readonly string[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += bulk(a);
  return out;
}

/** Several commands in one Buffer: a pipeline, sent in one write. */
export function encodeCommands(commands: ReadonlyArray<readonly string[]>): Buffer {
  let out = '';
  for (const c of commands) out += encodeCommand(c);
  return Buffer.from(out);
}

/** Called once per top-level reply, in order. */
export type OnReply = (value: Reply | RedisReplyError) => void;

/** Thrown inside the reader when the bytes are not RESP: the connection cannot be trusted any more. */
export class RespProtocolError extends Error {
  override readonly name = 'RespProtocolError';
}

const CR = 13;
const LF = 10;
const INCOMPLETE = Symbol('incomplete');

/**
 * Reads replies from a byte stream. `decode()` says whether the next reply's bulk strings are wanted as text; when
 * not, they are skipped and read as `true` (a GET that hit), which saves the copy on the hot path.
 */
export class RespReader {
  private stash: Buffer | undefined;
  /** Bytes the stashed, unfinished reply needs at least before parsing it again is worth it. */
  private need = 0;
  private extra: Buffer[] = [];
  private extraBytes = 0;

  constructor(private readonly onReply: OnReply, private readonly decode: () => boolean) {}

  /** `chunk`'s first `length` bytes are new; the chunk may be reused by the caller once this returns. */
  feed(chunk: Buffer, length: number): void {
    let buf: Buffer;
    if (this.stash) {
      this.extra.push(Buffer.from(chunk.subarray(0, length)));
      this.extraBytes += length;
      if (this.stash.length + this.extraBytes < this.need) return;
      buf = Buffer.concat([this.stash, ...this.extra]);
      this.stash = undefined;
      this.extra = [];
      this.extraBytes = 0;
    } else buf = length === chunk.length ? chunk : chunk.subarray(0, length);
    let at = 0;
    const end = buf.length;
    while (at < end) {
      this.pos = at;
      const value = this.read(buf, end, this.decode());
      if (value === INCOMPLETE) {
        this.stash = Buffer.from(buf.subarray(at));
        return;
      }
      at = this.pos;
      this.onReply(value);
    }
  }

  private pos = 0;

  /** Parses one reply at this.pos; INCOMPLETE (and this.need set) when the bytes end first. */
  private read(buf: Buffer, end: number, decode: boolean): Reply | RedisReplyError | typeof INCOMPLETE {
    const start = this.pos;
    let eol = start;
    while (eol < end && buf[eol] !== LF) eol++;
    if (eol >= end) {
      this.need = end - start + 1;
      return INCOMPLETE;
    }
    if (buf[eol - 1] !== CR) throw new RespProtocolError('a reply line does not end in CRLF');
    const type = buf[start];
    const lineEnd = eol - 1;
    this.pos = eol + 1;
    switch (type) {
      case 0x2b: // +simple: +OK (every SET's reply) without a string copy
        return lineEnd - start === 3 && buf[start + 1] === 0x4f && buf[start + 2] === 0x4b ? 'OK' : buf.toString('utf8', start + 1, lineEnd);
      case 0x2d: // -error
        return new RedisReplyError(buf.toString('utf8', start + 1, lineEnd));
      case 0x3a: // :integer
        return this.int(buf, start + 1, lineEnd);
      case 0x24: { // $bulk
        const len = this.int(buf, start + 1, lineEnd);
        if (len < 0) return null;
        const bodyEnd = this.pos + len;
        if (bodyEnd + 2 > end) {
          this.need = bodyEnd + 2 - start;
          return INCOMPLETE;
        }
        this.pos = bodyEnd + 2;
        return decode ? buf.toString('utf8', bodyEnd - len, bodyEnd) : true;
      }
      case 0x2a: { // *array
        const n = this.int(buf, start + 1, lineEnd);
        if (n < 0) return null;
        const items: Reply[] = [];
        for (let i = 0; i < n; i++) {
          if (this.pos >= end) {
            this.need = end - start + 1;
            return INCOMPLETE;
          }
          const itemStart = this.pos;
          const item = this.read(buf, end, decode);
          if (item === INCOMPLETE) {
            this.need += itemStart - start; // the item's own need counts from where the item starts
            return INCOMPLETE;
          }
          // An error inside an array (EXEC's replies) stays a value of the array, as its text.
          items.push(item instanceof RedisReplyError ? item.message : item);
        }
        return items;
      }
      default:
        throw new RespProtocolError(`unexpected reply type byte ${String(type)}`);
    }
  }

  private int(buf: Buffer, from: number, to: number): number {
    let neg = false;
    let i = from;
    if (buf[i] === 0x2d) {
      neg = true;
      i++;
    }
    let n = 0;
    for (; i < to; i++) {
      const d = buf[i]! - 48;
      if (d < 0 || d > 9) throw new RespProtocolError('a length or integer reply is not a number');
      n = n * 10 + d;
    }
    return neg ? -n : n;
  }
}
