// The lean paths' pre-built messages: parameters and keys are rewritten in place at the right offsets.
import { describe, expect, it } from 'vitest';
import { Int4Batch } from '../../bench/lib/lean-pg-load.js';
import { md5Password } from '../../src/targets/pg/wire/auth.js';
import { bindInt4, errorFields } from '../../src/targets/pg/wire/messages.js';

describe('pg-fast messages', () => {
  it('puts the int4 parameter of a Bind where the offset says', () => {
    const { bytes, paramOffset } = bindInt4('s');
    bytes.writeInt32BE(123456, paramOffset);
    expect(bytes[0]).toBe(0x42);
    expect(bytes.readInt32BE(1)).toBe(bytes.length - 1);
    expect(bytes.readInt32BE(paramOffset - 4)).toBe(4); // the parameter's length
    expect(bytes.readInt32BE(paramOffset)).toBe(123456);
  });

  it('builds a pipeline of Bind/Execute pairs ended by one Sync', () => {
    const batch = new Int4Batch('s', 3);
    [7, 8, 9].forEach((v, i) => batch.set(i, v));
    const types: string[] = [];
    for (let i = 0; i < batch.bytes.length; i += 1 + batch.bytes.readInt32BE(i + 1)) types.push(String.fromCharCode(batch.bytes[i]!));
    expect(types.join('')).toBe('BEBEBES');
    expect(batch.offsets.map((o) => batch.bytes.readInt32BE(o))).toEqual([7, 8, 9]);
  });

  it('reads the message and SQLSTATE of an ErrorResponse', () => {
    expect(errorFields(Buffer.from('SERROR\0C42P01\0Mrelation "x" does not exist\0\0'))).toMatchObject({ message: 'relation "x" does not exist', code: '42P01', severity: 'ERROR' });
  });

  it('hashes md5 passwords as PostgreSQL does', () => {
    // md5(md5(password + user) + salt), prefixed with "md5".
    expect(md5Password('postgres', 'secret', Buffer.from([1, 2, 3, 4]))).toMatch(/^md5[0-9a-f]{32}$/);
  });
});
