// PostgreSQL frontend messages of the measuring path (protocol 3.0), built into Buffers, and the ErrorResponse reader.
import { errorFields as parseErrorFields, type ErrorFields } from './backend.js';

/** A message: 1-byte type, 4-byte length (itself included), body. `type` 0 means an untyped (startup-phase) message. */
export function message(type: number, body: Buffer): Buffer {
  const head = type ? 5 : 4;
  const out = Buffer.allocUnsafe(head + body.length);
  if (type) out[0] = type;
  out.writeInt32BE(body.length + 4, head - 4);
  body.copy(out, head);
  return out;
}

export const cstr = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf8');
const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
export const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

export function startupMessage(params: Record<string, string>): Buffer {
  const pairs = Object.entries(params).flatMap(([k, v]) => [cstr(k), cstr(v)]);
  return message(0, Buffer.concat([int32(196608), ...pairs, Buffer.from([0])]));
}

/** SSLRequest: the server answers one byte, 'S' (go on with TLS) or 'N'. */
export const SSL_REQUEST = message(0, int32(80877103));

/** CancelRequest for the backend identified by its BackendKeyData, sent on a new connection. */
export function cancelRequest(pid: number, secret: number): Buffer {
  return message(0, Buffer.concat([int32(80877102), int32(pid), int32(secret)]));
}

export function parseMessage(name: string, sql: string, paramOids: number[]): Buffer {
  return message(0x50, Buffer.concat([cstr(name), cstr(sql), int16(paramOids.length), ...paramOids.map(int32)]));
}

/** A simple-protocol Query: only for our own fixed statements (the user's SQL never goes this way). */
export function queryMessage(sql: string): Buffer {
  return message(0x51, cstr(sql));
}

export const SYNC = message(0x53, Buffer.alloc(0));
export const TERMINATE = message(0x58, Buffer.alloc(0));
/** Execute the unnamed portal, all rows. */
export const EXECUTE = message(0x45, Buffer.concat([cstr(''), int32(0)]));

const NOTHING = Buffer.alloc(0);

/**
 * Bind of statement `name` to the unnamed portal with text-format parameters (the server types them from the statement,
 * as libpq's PQexecPrepared does) and text results; null is SQL NULL.
 */
export function bindText(name: string, params: ReadonlyArray<string | null>): Buffer {
  return bindRequest(name, params, NOTHING);
}

/**
 * bindText's Bind followed by `tail` (Execute … Sync), written into one Buffer: the hot path's request, with no
 * intermediate Buffer per parameter or per message.
 */
export function bindRequest(name: string, params: ReadonlyArray<string | null>, tail: Buffer): Buffer {
  const nameBytes = Buffer.byteLength(name, 'utf8');
  let paramBytes = 0;
  for (const p of params) paramBytes += 4 + (p === null ? 0 : Buffer.byteLength(p, 'utf8'));
  const bodyBytes = 1 + nameBytes + 1 + 2 + 2 + paramBytes + 2;
  const out = Buffer.allocUnsafe(1 + 4 + bodyBytes + tail.length);
  out[0] = 0x42;
  let at = out.writeInt32BE(4 + bodyBytes, 1);
  out[at++] = 0; // unnamed portal
  at += out.write(name, at, 'utf8');
  out[at++] = 0;
  at = out.writeInt16BE(0, at); // all parameters in text format
  at = out.writeInt16BE(params.length, at);
  for (const p of params) {
    if (p === null) {
      at = out.writeInt32BE(-1, at);
      continue;
    }
    const lengthAt = at;
    at += 4;
    const n = out.write(p, at, 'utf8');
    out.writeInt32BE(n, lengthAt);
    at += n;
  }
  at = out.writeInt16BE(0, at); // all results in text format
  tail.copy(out, at);
  return out;
}

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

/** Close of a named prepared statement (before it is parsed again under the same name). */
export function closeStatement(name: string): Buffer {
  return message(0x43, Buffer.concat([Buffer.from('S'), cstr(name)]));
}

export type { ErrorFields } from './backend.js';

/**
 * The statement named by the `index`-th Bind (from 0) of a request we built, or undefined: which statement of a
 * request failed, from how many of its statements had completed. Read on the error path only.
 */
export function boundStatement(request: Buffer, index: number): string | undefined {
  let seen = 0;
  for (let at = 0; at + 5 <= request.length;) {
    const end = at + 1 + request.readUInt32BE(at + 1);
    if (request[at] === 0x42 && seen++ === index) {
      const portalEnd = request.indexOf(0, at + 5);
      const nameEnd = request.indexOf(0, portalEnd + 1);
      return portalEnd < 0 || nameEnd < 0 || nameEnd >= end ? undefined : request.toString('utf8', portalEnd + 1, nameEnd);
    }
    at = end;
  }
  return undefined;
}

/** An ErrorResponse body's fields (a malformed body is a ProtocolViolation). */
export function errorFields(body: Buffer): ErrorFields {
  return parseErrorFields(body, 0, body.length);
}
