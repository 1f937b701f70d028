// PostgreSQL frontend messages the lean path sends, built once into Buffers, and the password exchanges (md5, SCRAM).
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** A message: 1-byte type, 4-byte length (itself included), body. `type` 0 means the untyped startup message. */
function message(type: number, body: Buffer): Buffer {
  const head = type ? 5 : 4;
  const out = Buffer.allocUnsafe(head + body.length);
  if (type) out[0] = type;
  out.writeInt32BE(body.length + 4, head - 4);
  body.copy(out, head);
  return out;
}

const cstr = (s: string) => Buffer.from(`${s}\0`, 'utf8');
const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

export function startupMessage(params: Record<string, string>): Buffer {
  const pairs = Object.entries(params).flatMap(([k, v]) => [cstr(k), cstr(v)]);
  return message(0, Buffer.concat([int32(196608), ...pairs, Buffer.from([0])]));
}

export function parseMessage(name: string, sql: string, paramOids: number[]): Buffer {
  return message(0x50, Buffer.concat([cstr(name), cstr(sql), int16(paramOids.length), ...paramOids.map(int32)]));
}

export const SYNC = message(0x53, Buffer.alloc(0));
export const TERMINATE = message(0x58, Buffer.alloc(0));
/** Execute the unnamed portal, all rows. */
export const EXECUTE = message(0x45, Buffer.concat([cstr(''), int32(0)]));

/**
 * Bind of statement `name` with one binary int4 parameter, text results: the parameter's 4 bytes sit at the returned
 * offset, so the same Buffer is rewritten in place for every execution instead of encoding a new message.
 */
export function bindInt4(name: string): { bytes: Buffer; paramOffset: number } {
  const body = Buffer.concat([cstr(''), cstr(name), int16(1), int16(1), int16(1), int32(4), int32(0), int16(0)]);
  const bytes = message(0x42, body);
  return { bytes, paramOffset: bytes.length - 2 - 4 };
}

export function passwordMessage(password: string): Buffer {
  return message(0x70, cstr(password));
}

export function md5Password(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5').update(password + user).digest('hex');
  return `md5${createHash('md5').update(Buffer.concat([Buffer.from(inner), salt])).digest('hex')}`;
}

/** SCRAM-SHA-256 (RFC 5802/7677) without channel binding: the client side of PostgreSQL's default password method. */
export class Scram {
  private readonly nonce = randomBytes(18).toString('base64');
  private readonly firstBare = `n=*,r=${this.nonce}`;
  private serverSignature = '';

  constructor(private readonly password: string) {}

  initial(): Buffer {
    const data = Buffer.from(`n,,${this.firstBare}`);
    return message(0x70, Buffer.concat([cstr('SCRAM-SHA-256'), int32(data.length), data]));
  }

  /** The answer to the server's first message (`r=…,s=…,i=…`). */
  continue(serverFirst: string): Buffer {
    const attrs = new Map(serverFirst.split(',').map((kv) => [kv[0]!, kv.slice(2)]));
    const nonce = attrs.get('r') ?? '';
    if (!nonce.startsWith(this.nonce)) throw new Error('SCRAM: the server nonce does not extend ours');
    const salted = pbkdf2Sync(this.password, Buffer.from(attrs.get('s') ?? '', 'base64'), Number(attrs.get('i')), 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const finalBare = `c=biws,r=${nonce}`;
    const auth = `${this.firstBare},${serverFirst},${finalBare}`;
    const signature = createHmac('sha256', storedKey).update(auth).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    const serverKey = createHmac('sha256', salted).update('Server Key').digest();
    this.serverSignature = createHmac('sha256', serverKey).update(auth).digest('base64');
    return message(0x70, Buffer.from(`${finalBare},p=${proof.toString('base64')}`));
  }

  /** Checks the server's proof that it knows the password too. */
  verify(serverFinal: string): void {
    if (serverFinal.trim() !== `v=${this.serverSignature}`) throw new Error('SCRAM: the server signature does not match');
  }
}

/** The `M` (message) field of an ErrorResponse body, with its SQLSTATE (`C`). */
export function errorFields(body: Buffer): { message: string; code: string } {
  let message = 'PostgreSQL error';
  let code = '';
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const field = body[i]!;
    const end = body.indexOf(0, i + 1);
    const value = body.toString('utf8', i + 1, end);
    if (field === 0x4d) message = value;
    if (field === 0x43) code = value;
    i = end + 1;
  }
  return { message, code };
}
