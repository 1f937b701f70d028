// The measuring path's pure parts: text parameters as node-postgres means them, Bind layout, sslmode as libpq reads it,
// SASLprep of passwords as PostgreSQL applies it.
import { describe, expect, it } from 'vitest';
import { preparePassword } from '../../src/targets/pg/wire/auth.js';
import { bindRequest, bindText, EXECUTE, SYNC } from '../../src/targets/pg/wire/messages.js';
import { wireOptions } from '../../src/targets/pg/wire/options.js';
import { paramText } from '../../src/targets/pg/wire/session.js';

/** The Bind layout from the protocol documentation, part by part, to hold the one-Buffer encoder against. */
function referenceBind(name: string, params: Array<string | null>): Buffer {
  const i16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
  const i32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  const values = params.flatMap((p) => (p === null ? [i32(-1)] : [i32(Buffer.byteLength(p)), Buffer.from(p)]));
  const body = Buffer.concat([Buffer.from(`\0${name}\0`), i16(0), i16(params.length), ...values, i16(0)]);
  return Buffer.concat([Buffer.from([0x42]), i32(body.length + 4), body]);
}

describe('parameters', () => {
  it('encodes values as node-postgres does, bytea as hex, null as SQL NULL', () => {
    expect(paramText(42)).toBe('42');
    expect(paramText(null)).toBeNull();
    expect(paramText(undefined)).toBeNull();
    expect(paramText(true)).toBe('true');
    expect(paramText([1, 2, null])).toBe('{"1","2",NULL}');
    expect(paramText({ a: 1 })).toBe('{"a":1}');
    expect(paramText(Buffer.from([0xde, 0xad]))).toBe('\\xdead');
  });

  it('lays out a Bind: portal, statement, text formats, lengths (-1 for NULL)', () => {
    const b = bindText('st', ['ab', null]);
    expect(b[0]).toBe(0x42);
    expect(b.readInt32BE(1)).toBe(b.length - 1);
    expect(b.subarray(5, 9).toString('latin1')).toBe('\0st\0');
    expect(b.readInt16BE(9)).toBe(0); // all parameters text
    expect(b.readInt16BE(11)).toBe(2);
    expect(b.readInt32BE(13)).toBe(2);
    expect(b.subarray(17, 19).toString()).toBe('ab');
    expect(b.readInt32BE(19)).toBe(-1);
    expect(b.readInt16BE(23)).toBe(0); // results text
  });

  it('writes Bind and the rest of a request in one Buffer, byte for byte what the parts concatenated give', () => {
    const tail = Buffer.concat([EXECUTE, SYNC]);
    for (const params of [[], [''], [null], ['42', null, ''], ['ünïcødé €', 'x'.repeat(70_000)], ['\uD800 lone surrogate']]) {
      const parts = Buffer.concat([referenceBind('stackprobe_é', params), tail]);
      expect(bindRequest('stackprobe_é', params, tail).equals(parts)).toBe(true);
    }
    const b = bindText('s', ['€']); // a 3-byte character: the length is in bytes
    expect(b.readInt32BE(1 + 4 + 1 + 2 + 2 + 2)).toBe(3);
  });
});

describe('connection options', () => {
  it('reads sslmode as libpq does: require with a root certificate verifies the chain; default disable like node-postgres', () => {
    expect(wireOptions('postgres://u:p%40ss@db.example:6543/app').sslmode).toBe(process.env.PGSSLMODE ?? 'disable');
    expect(wireOptions('postgres://u@h/app?sslmode=allow').sslmode).toBe('allow'); // plain first, TLS when refused
    expect(wireOptions('postgres://u@h/app?sslmode=verify-full&sslrootcert=system').sslmode).toBe('verify-full');
    expect(() => wireOptions('postgres://u@h/app?sslmode=verify-full')).toThrow(/needs a root certificate/); // libpq's rule
    expect(() => wireOptions('postgres://u@h/app?sslmode=maybe')).toThrow(/sslmode=maybe/);
    const o = wireOptions('postgres://u:p%40ss@db.example:6543/app?options=-c%20search_path%3Dx', { startupOptions: '-c statement_timeout=5' });
    expect(o).toMatchObject({ host: 'db.example', port: 6543, user: 'u', password: 'p@ss', database: 'app', startupOptions: '-c search_path=x -c statement_timeout=5' });
    expect(wireOptions('postgres://u@localhost/app?host=/var/run/postgresql').socketPath).toBe('/var/run/postgresql/.s.PGSQL.5432');
  });
});

describe('SASLprep', () => {
  it('maps and normalises as RFC 4013 says, and falls back to the raw password where PostgreSQL does', () => {
    expect(preparePassword('I\u00ADX')).toBe('IX'); // soft hyphen mapped to nothing
    expect(preparePassword('a\u00A0b')).toBe('a b'); // non-ASCII space to space
    expect(preparePassword('\u2168')).toBe('IX'); // NFKC
    expect(preparePassword('a\u0007b')).toBe('a\u0007b'); // prohibited: the server used it as it is
  });
});
