// Errors of the measuring path as values: every failure carries a SQLSTATE (the server's, or 08006 for a lost connection).
import type { ErrorFields } from './messages.js';

export class PgWireError extends Error {
  override name = 'PgWireError';
  /** SQLSTATE (`42P01`, `57014`, `28P01`, …); `08006` for a connection lost, `ECLOSED` for one we closed. */
  readonly code: string;
  readonly severity: string;
  readonly detail: string | undefined;
  readonly hint: string | undefined;

  constructor(fields: ErrorFields) {
    super(fields.message);
    this.code = fields.code;
    this.severity = fields.severity;
    this.detail = fields.detail;
    this.hint = fields.hint;
  }
}

/** A connection that is gone: SQLSTATE class 08, so isLostSession and the checks treat it as a lost session. */
export function lostConnection(reason: string, code = '08006'): PgWireError {
  const sqlstate = /^[0-9A-Z]{5}$/.test(code) || code === 'ECLOSED' ? code : '08006';
  return new PgWireError({ code: sqlstate, severity: 'FATAL', message: `connection to PostgreSQL lost: ${reason}` });
}

/**
 * The server (or whatever answers in its place) broke the protocol: a length out of bounds, a message that runs past
 * its end, a message type never expected. SQLSTATE 08P01, a lost session: the connection is closed, since nothing
 * after a framing error can be trusted.
 */
export class ProtocolViolation extends PgWireError {
  override name = 'ProtocolViolation';

  constructor(reason: string) {
    super({ code: '08P01', severity: 'FATAL', message: `PostgreSQL protocol violation: ${reason}; stackprobe closed the connection` });
  }
}
