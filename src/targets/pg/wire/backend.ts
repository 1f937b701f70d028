// The backend messages of protocol 3.0 the measuring path reads, each parse bounded by its message: a field that runs
// past the end of its message is a ProtocolViolation, never a read of the bytes after it.
import { ProtocolViolation } from './errors.js';

/** What an ErrorResponse (or NoticeResponse) says: SQLSTATE, severity, message, detail and hint. */
export interface ErrorFields {
  code: string;
  severity: string;
  message: string;
  detail?: string;
  hint?: string;
  /** The server's C function that raised it (`R`): not localised, so it tells errors of one SQLSTATE apart. */
  routine?: string;
}

/** Backend message types (protocol 3.0), by their type byte. */
export const B = {
  parseComplete: 0x31, // '1'
  bindComplete: 0x32, // '2'
  closeComplete: 0x33, // '3'
  notification: 0x41, // 'A'
  commandComplete: 0x43, // 'C'
  copyDone: 0x63, // 'c'
  dataRow: 0x44, // 'D'
  copyData: 0x64, // 'd'
  errorResponse: 0x45, // 'E'
  copyInResponse: 0x47, // 'G'
  copyOutResponse: 0x48, // 'H'
  emptyQuery: 0x49, // 'I'
  backendKeyData: 0x4b, // 'K'
  notice: 0x4e, // 'N'
  noData: 0x6e, // 'n'
  authentication: 0x52, // 'R'
  parameterStatus: 0x53, // 'S'
  portalSuspended: 0x73, // 's'
  rowDescription: 0x54, // 'T'
  parameterDescription: 0x74, // 't'
  functionCallResponse: 0x56, // 'V'
  negotiateProtocolVersion: 0x76, // 'v'
  copyBothResponse: 0x57, // 'W'
  readyForQuery: 0x5a, // 'Z'
} as const;

/** Index of the NUL ending the string at `at`, within [at, end); a string without one is a violation. */
export function cstringEnd(buf: Buffer, at: number, end: number, what: string): number {
  const nul = at < end ? buf.indexOf(0, at) : -1;
  if (nul < 0 || nul >= end) throw new ProtocolViolation(`${what} is not NUL-terminated within its message`);
  return nul;
}

/** A DataRow's columns as text (null for SQL NULL); every length checked against the message's end. */
export function dataRow(buf: Buffer, start: number, end: number): Array<string | null> {
  if (end - start < 2) throw new ProtocolViolation('DataRow without a column count');
  const n = buf.readInt16BE(start);
  if (n < 0) throw new ProtocolViolation(`DataRow with a negative column count (${n})`);
  const out: Array<string | null> = new Array(n);
  let i = start + 2;
  for (let c = 0; c < n; c++) {
    if (i + 4 > end) throw new ProtocolViolation(`DataRow announces ${n} columns and ends after ${c}`);
    const len = buf.readInt32BE(i);
    i += 4;
    if (len === -1) out[c] = null;
    else if (len < 0 || len > end - i) throw new ProtocolViolation(`DataRow column ${c + 1} claims ${len} bytes and ${end - i} remain in the message`);
    else {
      out[c] = buf.toString('utf8', i, i + len);
      i += len;
    }
  }
  if (i !== end) throw new ProtocolViolation(`DataRow has ${end - i} bytes after its ${n} columns`);
  return out;
}

/** What an ErrorResponse or NoticeResponse says: SQLSTATE, severity, message, detail and hint. */
export function errorFields(buf: Buffer, start: number, end: number): ErrorFields {
  const out: ErrorFields = { code: '', severity: 'ERROR', message: 'PostgreSQL error' };
  let i = start;
  for (;;) {
    if (i >= end) throw new ProtocolViolation('ErrorResponse/NoticeResponse without its final NUL');
    const field = buf[i]!;
    if (field === 0) break;
    const nul = cstringEnd(buf, i + 1, end, 'an error field');
    const value = buf.toString('utf8', i + 1, nul);
    if (field === 0x4d) out.message = value; // M
    else if (field === 0x43) out.code = value; // C
    else if (field === 0x56) out.severity = value; // V (never localised)
    else if (field === 0x44) out.detail = value; // D
    else if (field === 0x48) out.hint = value; // H
    else if (field === 0x52) out.routine = value; // R
    i = nul + 1;
  }
  return out;
}

/** ParameterStatus: a setting's name and value. */
export function parameterStatus(buf: Buffer, start: number, end: number): [string, string] {
  const nameEnd = cstringEnd(buf, start, end, 'a ParameterStatus name');
  const valueEnd = cstringEnd(buf, nameEnd + 1, end, 'a ParameterStatus value');
  return [buf.toString('utf8', start, nameEnd), buf.toString('utf8', nameEnd + 1, valueEnd)];
}

/** ReadyForQuery's transaction status: I idle, T in a transaction block, E in a failed one. */
export function readyStatus(buf: Buffer, start: number, end: number): number {
  const s = buf[start]!;
  if (end - start !== 1 || (s !== 0x49 && s !== 0x54 && s !== 0x45)) throw new ProtocolViolation('ReadyForQuery without a transaction status of I, T or E');
  return s;
}

/** BackendKeyData of protocol 3.0: the backend's pid and its cancel secret, 4 bytes each. */
export function backendKey(buf: Buffer, start: number, end: number): { pid: number; secret: number } {
  if (end - start !== 8) throw new ProtocolViolation(`BackendKeyData of ${end - start} bytes (protocol 3.0 has 8)`);
  return { pid: buf.readInt32BE(start), secret: buf.readInt32BE(start + 4) };
}

/** The strings of a message body made of NUL-terminated strings (SASL mechanisms), each bounded. */
export function cstrings(buf: Buffer, start: number, end: number, what: string): string[] {
  const out: string[] = [];
  let i = start;
  while (i < end && buf[i] !== 0) {
    const nul = cstringEnd(buf, i, end, what);
    out.push(buf.toString('utf8', i, nul));
    i = nul + 1;
  }
  return out;
}
