// The PostgreSQL backend reader at the byte level: recorded server traffic cut at every byte boundary reads the same;
// lengths out of bounds and messages that run past their end are ProtocolViolations (never a RangeError); seeded fuzz
// of splits and byte mutations; a 64 MB row read with work linear in its size (counted in bytes copied, not timed).
import { describe, expect, it } from 'vitest';
import { backendKey, cstrings, dataRow, errorFields, parameterStatus, readyStatus } from '../../src/targets/pg/wire/backend.js';
import { ProtocolViolation } from '../../src/targets/pg/wire/errors.js';
import { BackendReader, MESSAGE_MAX, SHORT_MESSAGE_MAX } from '../../src/targets/pg/wire/reader.js';
import { msg } from '../helpers/pg-fake-server.js';
import { REPLIES } from '../helpers/pg-wire-replies.js';
import { createRng } from '../../src/workload/prng.js';

const STREAM = Buffer.concat(REPLIES.map((r) => Buffer.from(r, 'base64')));

interface Got {
  type: string;
  body: string;
}

/** The messages of a well-formed stream, by the protocol's definition, to hold the reader against. */
function reference(stream: Buffer): Got[] {
  const out: Got[] = [];
  for (let at = 0; at < stream.length;) {
    const end = at + 1 + stream.readUInt32BE(at + 1);
    out.push({ type: String.fromCharCode(stream[at]!), body: stream.subarray(at + 5, end).toString('hex') });
    at = end;
  }
  return out;
}

/** Parses each message as the connection does, so that a bounded parse is exercised too. */
function parse(type: number, buf: Buffer, start: number, end: number): void {
  if (type === 0x44) dataRow(buf, start, end);
  else if (type === 0x45 || type === 0x4e) errorFields(buf, start, end);
  else if (type === 0x53) parameterStatus(buf, start, end);
  else if (type === 0x5a) readyStatus(buf, start, end);
  else if (type === 0x4b) backendKey(buf, start, end);
  else if (type === 0x52 && end - start >= 4 && buf.readInt32BE(start) === 10) cstrings(buf, start + 4, end, 'a mechanism');
}

/**
 * Feeds `chunks` through one reused read buffer (scribbled over after each read, as the socket's is), and returns
 * the messages read, parsed on the way.
 */
function readAll(chunks: Buffer[], parsed = true): Got[] {
  const out: Got[] = [];
  const reader = new BackendReader({
    onMessage(type, buf, start, end) {
      if (parsed) parse(type, buf, start, end);
      out.push({ type: String.fromCharCode(type), body: buf.toString('hex', start, end) });
    },
  });
  const scratch = Buffer.alloc(Math.max(64 * 1024, ...chunks.map((c) => c.length)));
  for (const c of chunks) {
    c.copy(scratch);
    reader.feed(scratch, c.length);
    scratch.fill(0x7e, 0, c.length);
  }
  return out;
}

function cutAt(stream: Buffer, cuts: number[]): Buffer[] {
  const points = [0, ...[...new Set(cuts)].filter((c) => c > 0 && c < stream.length).sort((a, b) => a - b), stream.length];
  return points.slice(1).map((p, i) => stream.subarray(points[i]!, p));
}


describe('BackendReader on recorded traffic', () => {
  const whole = reference(STREAM);

  it('reads every message of a real session, of every type the session brought', () => {
    expect(readAll([STREAM])).toEqual(whole);
    expect(new Set(whole.map((m) => m.type))).toEqual(new Set(['R', 'S', 'K', 'Z', '1', '2', 'D', 'C', 'E', 'N', 'I', 'T']));
  });

  it('gives the same messages whatever the cut between two reads, and byte by byte', () => {
    for (let cut = 1; cut < STREAM.length; cut++) expect(readAll(cutAt(STREAM, [cut]))).toEqual(whole);
    expect(readAll([...STREAM].map((b) => Buffer.from([b])))).toEqual(whole);
  });

  it('gives the same messages for thousands of seeded random splits', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const r = createRng(seed).next;
      const cuts = Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * STREAM.length));
      expect(readAll(cutAt(STREAM, cuts)), `seed ${seed}`).toEqual(whole);
    }
  });

  it('fuzz: seeded byte mutations and splits never throw anything but a ProtocolViolation', () => {
    let violations = 0;
    for (let seed = 1; seed <= 5000; seed++) {
      const r = createRng(seed).next;
      const bytes = Buffer.from(STREAM);
      for (let k = 1 + Math.floor(r() * 4); k > 0; k--) {
        const at = Math.floor(r() * bytes.length);
        // Half the mutations hit a length or a count (the bytes that decide framing), half any byte.
        bytes[at] = r() < 0.5 ? [0x00, 0xff, 0x7f, 0x80][Math.floor(r() * 4)]! : Math.floor(r() * 256);
      }
      const cuts = Array.from({ length: Math.floor(r() * 8) }, () => Math.floor(r() * bytes.length));
      try {
        readAll(cutAt(bytes, cuts));
      } catch (err) {
        if (!(err instanceof ProtocolViolation)) throw new Error(`seed ${seed}: ${String(err)}`);
        expect(err.code).toBe('08P01');
        violations++;
      }
    }
    expect(violations).toBeGreaterThan(500); // the fuzz reached the checks, it did not only flip text bytes
  });
});

describe('lengths', () => {
  const violation = (chunks: Buffer[]) => {
    try {
      readAll(chunks);
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolViolation);
      return (err as Error).message;
    }
    throw new Error('no violation');
  };
  const header = (type: string, length: number) => {
    const b = Buffer.alloc(5);
    b[0] = type.charCodeAt(0);
    b.writeUInt32BE(length >>> 0, 1);
    return b;
  };

  it('refuses a length below 4, negative when read signed, or past the bound of its type — also when the header is split', () => {
    for (const len of [0, 1, 3, -1, -2147483648]) {
      expect(violation([header('Z', len)])).toMatch(/length|claims/);
      const h = header('Z', len);
      for (let cut = 1; cut < 5; cut++) expect(violation(cutAt(Buffer.concat([READY_ONE, h]), [READY_ONE.length + cut]))).toMatch(/length|claims/);
    }
    expect(violation([header('Z', SHORT_MESSAGE_MAX + 1)])).toMatch(/more than such a message can hold \(30000\)/);
    expect(violation([header('S', 1_000_000)])).toMatch(/'S' claims 1000000/);
    expect(violation([header('D', MESSAGE_MAX + 1)])).toMatch(/'D' claims/);
  });

  it('waits for the rest of a long message (a DataRow of 1 MB announced) and of a truncated one, without delivering it', () => {
    expect(readAll([header('D', 1 << 20), Buffer.alloc(1000)], false)).toEqual([]);
    expect(readAll([STREAM.subarray(0, STREAM.length - 1)]).length).toBe(reference(STREAM).length - 1);
  });
});

const READY_ONE = msg('Z', 'I');

describe('bounded parses', () => {
  const row = (count: number, fields: Array<Buffer | null | number>) => {
    const parts: Buffer[] = [Buffer.from([count >> 8, count & 0xff])];
    for (const f of fields) {
      const len = Buffer.alloc(4);
      if (typeof f === 'number') len.writeInt32BE(f);
      else len.writeInt32BE(f === null ? -1 : f.length);
      parts.push(len);
      if (f instanceof Buffer) parts.push(f);
    }
    return msg('D', Buffer.concat(parts));
  };
  const decode = (m: Buffer) => {
    const rows: unknown[] = [];
    new BackendReader({ onMessage: (type, buf, start, end) => rows.push(dataRow(buf, start, end)) }).feed(m, m.length);
    return rows;
  };

  it('decodes a DataRow: text, NULL, empty', () => {
    expect(decode(row(3, [Buffer.from('é'), null, Buffer.alloc(0)]))).toEqual([['é', null, '']]);
  });

  it('a DataRow shorter than its column count is a violation, whole or split across reads, with bytes after it in the read buffer', () => {
    const short = row(3, [Buffer.from('ab'), Buffer.from('cd')]);
    // The old reader read the missing column from whatever followed in the read buffer: here a ReadyForQuery.
    const chunk = Buffer.concat([short, READY_ONE]);
    expect(() => decode(chunk)).toThrow(/DataRow announces 3 columns and ends after 2/);
    for (let cut = 1; cut < chunk.length; cut++) {
      const reader = new BackendReader({ onMessage: (type, buf, start, end) => (type === 0x44 ? dataRow(buf, start, end) : undefined) });
      const scratch = Buffer.alloc(chunk.length);
      const feed = (part: Buffer) => {
        part.copy(scratch);
        reader.feed(scratch, part.length);
        scratch.fill(0xff); // a reused buffer: the next read's bytes, or garbage
      };
      expect(() => {
        feed(chunk.subarray(0, cut));
        feed(chunk.subarray(cut));
      }).toThrow(ProtocolViolation);
    }
  });

  it('a column length past the message, below -1, or bytes after the last column are violations', () => {
    expect(() => decode(msg('D', Buffer.from([0, 1, 0, 0, 0, 5, 0x61, 0x62, 0x63])))).toThrow(/claims 5 bytes and 3 remain/);
    expect(() => decode(row(1, [-2]))).toThrow(/claims -2 bytes/);
    expect(() => decode(row(1, [Buffer.from('a'), Buffer.from('b')]))).toThrow(/bytes after its 1 columns/);
    expect(() => decode(msg('D', Buffer.from([0xff, 0xff])))).toThrow(/negative column count/);
    expect(() => decode(msg('D'))).toThrow(/without a column count/);
  });

  it('strings without their NUL are violations: ErrorResponse, ParameterStatus; ReadyForQuery needs I, T or E; BackendKeyData 8 bytes', () => {
    const body = (b: Buffer) => [b, 0, b.length] as const;
    expect(() => errorFields(...body(Buffer.from('SERROR\0Mno end')))).toThrow(ProtocolViolation);
    expect(() => errorFields(...body(Buffer.from('SERROR\0')))).toThrow(/final NUL/);
    expect(errorFields(...body(Buffer.from('SERROR\0VERROR\0C0A000\0Mm\0RRevalidateCachedQuery\0\0')))).toMatchObject({ code: '0A000', routine: 'RevalidateCachedQuery' });
    expect(() => parameterStatus(...body(Buffer.from('name\0value')))).toThrow(/ParameterStatus value/);
    expect(() => readyStatus(...body(Buffer.from('X')))).toThrow(ProtocolViolation);
    expect(() => readyStatus(...body(Buffer.from('II')))).toThrow(ProtocolViolation);
    expect(() => backendKey(...body(Buffer.alloc(4)))).toThrow(/BackendKeyData of 4 bytes/);
  });
});

describe('time linear in the message size', () => {
  /** Reads one DataRow of `mb` MB of text, fed in 64 KiB reads as the socket gives them, and decodes it. */
  function readRow(mb: number): number {
    const size = mb * 1024 * 1024;
    const row = Buffer.allocUnsafe(5 + 2 + 4 + size);
    row[0] = 0x44;
    row.writeUInt32BE(4 + 2 + 4 + size, 1);
    row.writeUInt16BE(1, 5);
    row.writeInt32BE(size, 7);
    row.fill(0x61, 11);
    let got = -1;
    const reader = new BackendReader({ onMessage: (type, buf, start, end) => (got = dataRow(buf, start, end)[0]!.length) });
    const read = Buffer.allocUnsafe(64 * 1024);
    const t0 = performance.now();
    for (let at = 0; at < row.length; at += read.length) {
      const n = row.copy(read, 0, at, Math.min(row.length, at + read.length));
      reader.feed(read, n);
    }
    const ms = performance.now() - t0;
    expect(got).toBe(size);
    return ms;
  }

  /** Bytes the reader copies (Buffer#copy) while a row of `mb` MB arrives in 64 KiB reads: its work, counted, not timed. */
  function bytesCopied(mb: number): number {
    const original = Buffer.prototype.copy;
    let copied = 0;
    Buffer.prototype.copy = function (this: Buffer, target: Uint8Array, targetStart?: number, sourceStart?: number, sourceEnd?: number) {
      const n = original.call(this, target, targetStart, sourceStart, sourceEnd);
      copied += n;
      return n;
    };
    try {
      readRow(mb);
    } finally {
      Buffer.prototype.copy = original;
    }
    return copied;
  }

  it('copies a big row in work linear in its size: 64 MB costs 4 times 16 MB (concatenation per read cost 16 times)', () => {
    const [c16, c64] = [bytesCopied(16), bytesCopied(64)];
    // The test's own copy of each 64 KiB read plus the reader's: arrival once, doubling growth at most once more.
    expect(c64).toBeLessThanOrEqual(4 * 64 * 1024 * 1024);
    expect(c64 / c16).toBeGreaterThan(3.5);
    expect(c64 / c16).toBeLessThan(4.5);
  }, 60_000);
});
