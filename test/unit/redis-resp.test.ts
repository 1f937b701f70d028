// The RESP reader: every reply type, nested arrays, and the same bytes cut at every possible place give the same replies.
import { describe, expect, it } from 'vitest';
import { KeyedCommand, SetExPipeline } from '../../src/targets/redis/wire/commands.js';
import { encodeCommand, RedisReplyError, RespProtocolError, RespReader, type Reply } from '../../src/targets/redis/wire/resp.js';

const STREAM = Buffer.from([
  '+OK\r\n', '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n', ':-42\r\n', '$5\r\nhé\r\n\r\n',
  '$-1\r\n', '*-1\r\n', '*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n-ERR inside\r\n', '$0\r\n\r\n',
].join(''));

function readAll(chunks: Buffer[], decode = true): Array<Reply | RedisReplyError> {
  const out: Array<Reply | RedisReplyError> = [];
  const reader = new RespReader((v) => out.push(v), () => decode);
  // The reader gets a reused buffer: scribble over it after each feed, as the socket's read buffer would be.
  const scratch = Buffer.alloc(STREAM.length + 16);
  for (const c of chunks) {
    c.copy(scratch);
    reader.feed(scratch, c.length);
    scratch.fill(0x7e);
  }
  return out;
}

describe('RespReader', () => {
  it('reads every reply type, errors with their prefix', () => {
    const out = readAll([STREAM]);
    // A bulk string is taken by its length: the CRLF inside the body is data.
    expect(out.map((v) => (v instanceof RedisReplyError ? `E:${v.prefix}` : v))).toEqual(['OK', 'E:WRONGTYPE', -42, 'hé\r\n', null, null, ['a', [1, null], 'ERR inside'], '']);
  });

  it('gives the same replies whatever the cuts between reads', () => {
    const whole = readAll([STREAM]);
    for (let cut = 1; cut < STREAM.length; cut++) {
      expect(readAll([STREAM.subarray(0, cut), STREAM.subarray(cut)])).toEqual(whole);
    }
    expect(readAll([...STREAM].map((b) => Buffer.from([b])))).toEqual(whole);
  });

  it('skips bulk bodies when not decoding: a hit is true, a miss null', () => {
    expect(readAll([Buffer.from('$3\r\nabc\r\n$-1\r\n*2\r\n$1\r\nx\r\n$-1\r\n')], false)).toEqual([true, null, [true, null]]);
  });

  it('refuses bytes that are not RESP', () => {
    expect(() => readAll([Buffer.from('HTTP/1.1 400 Bad Request\r\n')])).toThrow(RespProtocolError);
  });

  it('encodes arguments as bulk strings by byte length', () => {
    expect(encodeCommand(['SET', 'k\r\n*', 'é'])).toBe('*3\r\n$3\r\nSET\r\n$4\r\nk\r\n*\r\n$2\r\né\r\n');
  });
});

describe('SetExPipeline', () => {
  it('writes byte for byte the SET … EX commands encodeCommand gives, for keys of every width, reusing its Buffer', () => {
    const prefix = 'stackprobe:ünï:lat:';
    const p = new SetExPipeline(prefix, 'välue', 300);
    for (const numbers of [[0], [9, 10, 99, 100, 12_345_678], [Number.MAX_SAFE_INTEGER, 7], Array.from({ length: 16 }, (_, i) => i * 997)]) {
      const expected = Buffer.from(numbers.map((n) => encodeCommand(['SET', `${prefix}${n}`, 'välue', 'EX', '300'])).join(''), 'utf8');
      expect(p.encode(numbers).equals(expected)).toBe(true);
    }
  });
});

describe('KeyedCommand', () => {
  it('gives the commands encodeCommand gives for prefix + key number, keys of every width, multi-byte prefix and value', () => {
    const prefix = 'stackprobe:ünï:conc:';
    const get = new KeyedCommand('GET', prefix);
    const set = new KeyedCommand('SET', prefix, [], ['välue', 'EX', '300']);
    const hset = new KeyedCommand('HSET', prefix, [], ['f', 'v']);
    for (const n of [0, 9, 10, 99, 100, 12_345_678, Number.MAX_SAFE_INTEGER]) {
      expect(get.encode(n)).toBe(encodeCommand(['GET', `${prefix}${n}`]));
      expect(set.encode(n)).toBe(encodeCommand(['SET', `${prefix}${n}`, 'välue', 'EX', '300']));
      expect(hset.encode(n)).toBe(encodeCommand(['HSET', `${prefix}${n}`, 'f', 'v']));
    }
    expect(new KeyedCommand('OBJECT', prefix, ['FREQ']).encode(5)).toBe(encodeCommand(['OBJECT', 'FREQ', `${prefix}5`]));
  });
});
