// One PostgreSQL connection of the measuring path: extended protocol over one socket, statements prepared once,
// executions sent as pre-built Buffers, replies scanned by type byte (rows decoded only when asked), bounded by a
// client-side watchdog that cancels a late statement and drops a silent server.
import type { Socket } from 'node:net';
import { withTimeout } from '../../../exec/timeout.js';
import { TimeoutError } from '../../../util/errors.js';
import { md5Password, Scram } from './auth.js';
import { PgWireError, lostConnection } from './errors.js';
import { cancelRequest, errorFields, parseMessage, passwordMessage, queryMessage, startupMessage, SYNC, TERMINATE, type ErrorFields } from './messages.js';
import type { WireOptions } from './options.js';
import { openCancelSocket, openTransport } from './transport.js';

/** Called at a request's ReadyForQuery: CommandCompletes seen, the first error, the first statement's rows when asked. */
export type Done = (completed: number, error: PgWireError | undefined, rows: Array<Array<string | null>> | undefined) => void;

interface Setup {
  onMessage(type: number, body: Buffer): void;
}

/** How long a late statement gets after its CancelRequest before the connection is given up as dead. */
const CANCEL_GRACE_MS = 2000;

export class WireConnection {
  private leftover: Buffer | undefined;
  private setup: Setup | undefined;
  private done: Done | undefined;
  private completed = 0;
  private error: ErrorFields | undefined;
  private rows: Array<Array<string | null>> | undefined;
  private rowsAt = -1;
  /** The transaction status of the last ReadyForQuery: I idle, T in a transaction, E in a failed one. */
  status = 0x49;
  private closedWith: PgWireError | undefined;
  private socket: Socket | undefined;
  private sentAt = 0;
  private cancelSent = false;
  /**
   * A CancelRequest of the watchdog until its socket closes (the server has signalled the backend by then, or 2 s
   * passed). The next request waits for it: PostgreSQL signals a backend (and its process group) asynchronously, and
   * on a loaded host a signal that lands after the cancelled statement has ended cancels the next one instead (seen
   * as a 57014 on the statement after a cancelled pg_sleep, in a full test run).
   */
  private cancelling: Promise<void> | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** BackendKeyData: what a CancelRequest names. */
  pid = 0;
  private secret = 0;
  /** Session parameters the server reported (ParameterStatus), from the startup on. */
  readonly parameters = new Map<string, string>();
  /** Told of every ParameterStatus after the startup: a reported setting changed (e.g. by the user's statement). */
  onParameter: ((name: string, value: string) => void) | undefined;
  private poisoned: PgWireError | undefined;
  /**
   * Asked at a request's ReadyForQuery when it ends in a transaction block (status T or E) or with an error, never on
   * the fast path: an error it returns fails the request and closes the connection (a read-only session's policy).
   */
  checkRequestEnd: ((status: number, error: ErrorFields | undefined) => PgWireError | undefined) | undefined;
  /** Called once when the connection is lost outside a request too (an idle session terminated). */
  onLost: ((err: PgWireError) => void) | undefined;

  private constructor(readonly options: WireOptions) {}

  /** Connects and authenticates (trust, cleartext, md5, SCRAM-SHA-256), over TLS when sslmode asks, within connectTimeoutMs. */
  static async connect(options: WireOptions): Promise<WireConnection> {
    const conn = new WireConnection(options);
    const holder: { socket?: Socket } = {};
    try {
      await withTimeout((async () => {
        conn.socket = await openTransport(options, (buffer, n) => conn.onData(buffer, n), holder);
        const lost = (err?: Error) => conn.lose(lostConnection(err?.message ?? 'the server closed the connection', (err as { code?: string } | undefined)?.code));
        conn.socket.on('error', lost);
        conn.socket.on('close', () => lost());
        await conn.handshake();
      })(), options.connectTimeoutMs, 'connecting to PostgreSQL');
      return conn;
    } catch (err) {
      holder.socket?.destroy(); // a refused, timed-out or rejected login leaves no socket behind
      conn.closedWith ??= lostConnection('closed after a failed connect');
      throw err;
    }
  }

  private handshake(): Promise<void> {
    const o = this.options;
    let scram: Scram | undefined;
    const params: Record<string, string> = { user: o.user, database: o.database, application_name: o.applicationName, client_encoding: 'UTF8' };
    if (o.startupOptions) params.options = o.startupOptions;
    const needPassword = () => {
      if (!o.password) throw new PgWireError({ code: '28P01', severity: 'FATAL', message: 'the server asks for a password and none was given' });
    };
    return this.exchange(startupMessage(params), (type, body) => {
      if (type === 0x4b) { // BackendKeyData
        this.pid = body.readInt32BE(0);
        this.secret = body.readInt32BE(4);
        return;
      }
      if (type === 0x53) return this.readParameter(body);
      if (type !== 0x52) return; // NoticeResponse, NegotiateProtocolVersion: nothing to do
      const kind = body.readInt32BE(0);
      if (kind === 0) return;
      if (kind === 3 || kind === 5 || kind === 10) needPassword();
      if (kind === 3) this.write(passwordMessage(o.password));
      else if (kind === 5) this.write(passwordMessage(md5Password(o.user, o.password, body.subarray(4, 8))));
      else if (kind === 10) this.write((scram = new Scram(o.password)).initial(body.toString('utf8', 4).split('\0').filter(Boolean)));
      else if (kind === 11 && scram) this.write(scram.continue(body.toString('utf8', 4)));
      else if (kind === 12 && scram) scram.verify(body.toString('utf8', 4));
      else throw new PgWireError({ code: '28000', severity: 'FATAL', message: `the server asks for authentication method ${kind} (Kerberos, GSSAPI or SSPI), which stackprobe does not speak` });
    });
  }

  /** Prepares a named statement on this connection (Parse + Sync). */
  prepare(name: string, sql: string, paramOids: number[] = []): Promise<void> {
    return this.bounded(this.exchange(Buffer.concat([parseMessage(name, sql, paramOids), SYNC]), () => undefined), 'preparing a statement');
  }

  /** Our own fixed statements through the simple protocol (session settings); never user SQL. */
  simpleQuery(sql: string): Promise<void> {
    return this.bounded(this.exchange(queryMessage(sql), () => undefined), 'a session setting');
  }

  private bounded<T>(p: Promise<T>, what: string): Promise<T> {
    return withTimeout(p, this.options.connectTimeoutMs, what).catch((err: unknown) => {
      // No answer in time: the server stalls, and a late reply would be taken for the next request's. Drop the session.
      if (err instanceof TimeoutError && !this.closedWith) this.destroy(lostConnection(`${what} got no answer`));
      throw err;
    });
  }

  /** Sends bytes and resolves at ReadyForQuery, rejecting on an ErrorResponse; `on` sees every other message. */
  private exchange(bytes: Buffer, on: Setup['onMessage']): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      let failed: ErrorFields | undefined;
      this.setup = {
        onMessage: (type, body) => {
          try {
            if (type === 0x45) failed ??= errorFields(body);
            else if (type === 0x5a) {
              this.setup = undefined;
              this.status = body[0] ?? 0x49;
              if (failed) reject(new PgWireError(failed));
              else resolve();
            } else on(type, body);
          } catch (err) {
            this.setup = undefined;
            reject(err as Error);
            this.destroy(lostConnection('closed after a failed exchange'));
          }
        },
      };
      this.write(bytes);
    });
  }

  /** Every write goes here, so a request's clock (`sentAt`, read by the watchdog) starts when it reaches the socket. */
  private write(bytes: Buffer): void {
    const cancelling = this.cancelling;
    if (cancelling) {
      // See `cancelling`: nothing new reaches the backend before the CancelRequest has been handled, and the wait is
      // not held against the next request's bound (it belongs to the cancel of the one before).
      this.sentAt = Number.POSITIVE_INFINITY;
      void cancelling.then(() => {
        if (!this.closedWith) this.write(bytes);
      });
      return;
    }
    this.sentAt = performance.now();
    this.socket!.write(bytes);
  }

  /**
   * The hot path: writes a request (Bind/Execute… Sync, built by the caller) and calls `done` at its ReadyForQuery.
   * One request at a time per connection; `rowsAt` (≥ 0) decodes the rows of the request's statement at that index as text.
   */
  send(bytes: Buffer, done: Done, rowsAt = -1): void {
    if (this.closedWith) return done(0, this.closedWith, undefined);
    this.done = done;
    this.completed = 0;
    this.error = undefined;
    this.rowsAt = rowsAt;
    this.rows = rowsAt >= 0 ? [] : undefined;
    this.cancelSent = false;
    this.write(bytes);
  }

  /** The same as a promise: resolves with the completed count, rejects with a PgWireError. */
  run(bytes: Buffer): Promise<number> {
    return new Promise((resolve, reject) => this.send(bytes, (completed, error) => (error ? reject(error) : resolve(completed))));
  }

  /** Runs a request and resolves with the rows (text values) of its statement at `rowsAt`. */
  query(bytes: Buffer, rowsAt = 0): Promise<Array<Array<string | null>>> {
    return new Promise((resolve, reject) => this.send(bytes, (_, error, rows) => (error ? reject(error) : resolve(rows ?? [])), rowsAt));
  }

  get busy(): boolean {
    return this.done !== undefined;
  }

  get lost(): PgWireError | undefined {
    return this.closedWith;
  }

  /**
   * Bounds every request client-side: past `timeoutMs` a CancelRequest is sent (the server's statement_timeout should
   * have come first); past it plus a grace the server is taken for dead and the connection fails with a lost-session
   * error. One timer per connection, never one per request.
   */
  watch(timeoutMs: number): void {
    clearInterval(this.watchdog);
    this.watchdog = setInterval(() => {
      if (!this.done) return;
      const late = performance.now() - this.sentAt - timeoutMs;
      if (late > CANCEL_GRACE_MS) this.destroy(lostConnection(`no reply within ${timeoutMs + CANCEL_GRACE_MS} ms (the server or the network stalls)`, '08006'));
      else if (late > 0 && !this.cancelSent) {
        this.cancelSent = true;
        this.cancelling = this.cancel().finally(() => {
          this.cancelling = undefined;
        });
      }
    }, Math.min(1000, Math.max(20, Math.floor(timeoutMs / 4))));
    this.watchdog.unref();
  }

  /** Asks the server to cancel what this connection runs now (CancelRequest on a new socket); never throws. */
  async cancel(timeoutMs = 2000): Promise<void> {
    if (!this.pid) return;
    const socket = openCancelSocket(this.options);
    socket.on('error', () => undefined); // best effort: the statement still ends at its statement_timeout
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.once('connect', () => socket.end(cancelRequest(this.pid, this.secret)));
    await withTimeout(closed, timeoutMs, 'sending a CancelRequest').catch(() => undefined);
    socket.destroy();
  }

  /** `chunk` may be the socket's reused read buffer: only its first `length` bytes are this read's. */
  private onData(chunk: Buffer, length: number): void {
    let buf = chunk;
    let n = length;
    if (this.leftover) {
      buf = Buffer.concat([this.leftover, chunk.subarray(0, length)]);
      n = buf.length;
      this.leftover = undefined;
    }
    let i = 0;
    while (i + 5 <= n) {
      const end = i + 1 + buf.readInt32BE(i + 1);
      if (end > n) break;
      const type = buf[i]!;
      if (this.setup) this.setup.onMessage(type, buf.subarray(i + 5, end));
      else if (type === 0x44) { if (this.rows && this.completed === this.rowsAt) this.rows.push(dataRow(buf, i + 5)); } // DataRow
      else if (type === 0x43) this.completed++; // CommandComplete
      else if (type === 0x5a) this.finish(buf[i + 5]!); // ReadyForQuery
      else if (type === 0x45) this.onError(errorFields(buf.subarray(i + 5, end)));
      else if (type === 0x53) this.readParameter(buf.subarray(i + 5, end)); // ParameterStatus: a reported setting changed
      i = end;
    }
    // A message split across reads: keep a copy of the tail (a reused read buffer is overwritten by the next read).
    if (i < n) this.leftover = Buffer.from(buf.subarray(i, n));
  }

  private readParameter(body: Buffer): void {
    const [name = '', value = ''] = body.toString('utf8').split('\0');
    this.parameters.set(name, value);
    if (!this.setup) this.onParameter?.(name, value);
  }

  /**
   * Fails the request in flight with `err` and closes the connection at its ReadyForQuery: what a session does when a
   * statement changed a setting it must keep (a read-only session turned read-write).
   */
  poison(err: PgWireError): void {
    this.poisoned ??= err;
  }

  private onError(fields: ErrorFields): void {
    // FATAL outside a request (an idle session terminated): the socket closes next, and lose() tells whoever listens.
    this.error ??= fields;
  }

  private finish(status: number): void {
    this.status = status;
    if (this.checkRequestEnd && (status !== 0x49 || this.error)) this.poisoned ??= this.checkRequestEnd(status, this.error);
    if (this.poisoned) return this.destroy(this.poisoned);
    const done = this.done;
    this.done = undefined;
    done?.(this.completed, this.error ? new PgWireError(this.error) : undefined, this.rows);
  }

  private lose(error: PgWireError): void {
    if (this.closedWith) return;
    clearInterval(this.watchdog);
    // A FATAL the server sent before closing (57P01 terminated, 57P05 idle timeout) says more than "closed".
    const why = this.error && this.error.severity !== 'ERROR' ? lostConnection(this.error.message, this.error.code) : error;
    this.closedWith = why;
    const setup = this.setup;
    this.setup = undefined;
    setup?.onMessage(0x45, Buffer.from(`VFATAL\0M${why.message}\0C${why.code}\0\0`));
    setup?.onMessage(0x5a, Buffer.from('I'));
    const done = this.done;
    this.done = undefined;
    done?.(this.completed, why, undefined);
    this.onLost?.(why);
  }

  private destroy(error: PgWireError): void {
    this.lose(error);
    this.socket?.destroy();
  }

  /** Sends Terminate and closes the socket (bounded: a stalled server cannot hold it). */
  async close(): Promise<void> {
    clearInterval(this.watchdog);
    if (this.closedWith || !this.socket) return;
    this.closedWith = lostConnection('connection closed by stackprobe', 'ECLOSED');
    const socket = this.socket;
    await withTimeout(new Promise<void>((resolve) => socket.end(TERMINATE, resolve)), 1000, 'closing a PostgreSQL connection').catch(() => undefined);
    socket.destroy();
  }
}

/** A DataRow's columns as text (null for SQL NULL). */
function dataRow(buf: Buffer, at: number): Array<string | null> {
  const n = buf.readInt16BE(at);
  const out: Array<string | null> = new Array(n);
  let i = at + 2;
  for (let c = 0; c < n; c++) {
    const len = buf.readInt32BE(i);
    i += 4;
    if (len < 0) out[c] = null;
    else {
      out[c] = buf.toString('utf8', i, i + len);
      i += len;
    }
  }
  return out;
}
