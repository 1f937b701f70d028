// One PostgreSQL connection of the measuring path: extended protocol over one socket, statements prepared once,
// executions sent as pre-built Buffers, replies framed by BackendReader and dispatched by type byte (rows decoded only
// when asked), bounded by a client-side watchdog that cancels a late statement and drops a silent server. Every
// backend message type is handled or refused: a malformed or unexpected message closes the connection with an error
// value for the request in flight, never an exception out of the socket's read callback.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { withTimeout } from '../../../exec/timeout.js';
import { TimeoutError } from '../../../util/errors.js';
import { authFailure, md5Password, Scram } from './auth.js';
import { B, backendKey, cstrings, dataRow, errorFields, parameterStatus, readyStatus, type ErrorFields } from './backend.js';
import { PgWireError, ProtocolViolation, lostConnection } from './errors.js';
import { boundStatement, cancelRequest, closeStatement, parseMessage, passwordMessage, queryMessage, startupMessage, SYNC, TERMINATE } from './messages.js';
import type { WireOptions } from './options.js';
import { BackendReader, describeType, type MessageSink } from './reader.js';
import { openCancelSocket, openTransport, TlsFailure } from './transport.js';

/**
 * Called at a request's ReadyForQuery: Executes ended (CommandComplete, EmptyQueryResponse, PortalSuspended), the
 * first error, the rows of the statement asked for.
 */
export type Done = (completed: number, error: PgWireError | undefined, rows: Array<Array<string | null>> | undefined) => void;

interface Setup {
  onMessage(type: number, body: Buffer): void;
}

/** How long a late statement gets after its CancelRequest before the connection is given up as dead. */
const CANCEL_GRACE_MS = 2000;
const IDLE = 0x49;
const IGNORE = (): void => undefined;

/**
 * A prepared statement whose result type changed under it (DDL on a table it reads): PostgreSQL raises 0A000 "cached
 * plan must not change result type" from RevalidateCachedQuery at every Bind until the statement is prepared again.
 * Told by the routine (`R`, never localised) as pgJDBC does, not by the message text.
 */
const isStalePlan = (e: ErrorFields) => e.code === '0A000' && e.routine === 'RevalidateCachedQuery';

/** Message types that are never an answer to what this connection sends: refused with the reason. */
function refusal(type: number): PgWireError {
  if (type === B.copyInResponse || type === B.copyOutResponse || type === B.copyBothResponse) {
    // The server now waits for COPY data (or sends it): nothing else can run on the session, so it is closed.
    return new PgWireError({ code: '0A000', severity: 'ERROR', message: 'the statement started a COPY, which stackprobe does not run (it measures statements, not data transfer); stackprobe closed the session' });
  }
  if (type === B.copyData || type === B.copyDone) return new ProtocolViolation(`COPY data (${describeType(type)}) outside a COPY`);
  if (type === B.functionCallResponse) return new ProtocolViolation('FunctionCallResponse to a function call never made');
  if (type === B.negotiateProtocolVersion) return new ProtocolViolation('NegotiateProtocolVersion after the startup');
  return new ProtocolViolation(`unknown message type ${describeType(type)}`);
}

export class WireConnection implements MessageSink {
  private readonly reader = new BackendReader(this);
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
  /** Told of every NoticeResponse (warnings and notices the server raises, e.g. a statement's RAISE NOTICE). */
  onNotice: ((notice: ErrorFields) => void) | undefined;
  /** Requests run again after their statement was prepared again (a cached plan invalidated by DDL). */
  reprepared = 0;
  /** True once the connection runs over TLS. */
  tls = false;
  /** The request in flight, kept for one run again after a re-prepare. */
  private request: Buffer | undefined;
  private retried = false;
  /** Parse messages of the named statements prepared here, to prepare one again after a stale-plan error. */
  private readonly statements = new Map<string, Buffer>();
  /** The server answered the login with an ErrorResponse (what allow and prefer answer by trying the other way). */
  private refusedLogin = false;

  private constructor(readonly options: WireOptions) {}

  /**
   * Connects and authenticates (trust, cleartext, md5, SCRAM-SHA-256), over TLS when sslmode asks, within
   * connectTimeoutMs per attempt. libpq's second attempts: `allow` tries TLS when the server refused the plain login;
   * `prefer` tries plain when the TLS handshake failed or the server refused the login over TLS.
   */
  static async connect(options: WireOptions): Promise<WireConnection> {
    const tlsFirst = options.sslmode !== 'disable' && options.sslmode !== 'allow';
    const first = new WireConnection(options);
    try {
      await first.open(tlsFirst);
      return first;
    } catch (err) {
      const again = (options.sslmode === 'allow' && first.refusedLogin)
        || (options.sslmode === 'prefer' && ((first.tls && first.refusedLogin) || err instanceof TlsFailure));
      if (!again || options.socketPath) throw err; // a Unix socket never speaks TLS: no other way to try
    }
    const second = new WireConnection(options);
    await second.open(!tlsFirst);
    return second;
  }

  private async open(tls: boolean): Promise<void> {
    const holder: { socket?: Socket } = {};
    try {
      await withTimeout((async () => {
        this.socket = await openTransport(this.options, (buffer, n) => this.onData(buffer, n), holder, tls);
        this.tls = (this.socket as TLSSocket).encrypted === true;
        const lost = (err?: Error) => this.lose(lostConnection(err?.message ?? 'the server closed the connection', (err as { code?: string } | undefined)?.code));
        this.socket.on('error', lost);
        this.socket.on('close', () => lost());
        await this.handshake();
      })(), this.options.connectTimeoutMs, 'connecting to PostgreSQL');
    } catch (err) {
      holder.socket?.destroy(); // a refused, timed-out or rejected login leaves no socket behind
      this.closedWith ??= lostConnection('closed after a failed connect');
      this.reader.stop();
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
      if (type === B.backendKeyData) {
        ({ pid: this.pid, secret: this.secret } = backendKey(body, 0, body.length));
        return;
      }
      // NegotiateProtocolVersion: the server speaks an older minor version or ignores options we never send.
      if (type === B.negotiateProtocolVersion) return;
      if (type !== B.authentication) throw new ProtocolViolation(`message ${describeType(type)} during the startup`);
      if (body.length < 4) throw new ProtocolViolation('Authentication message without its method');
      const kind = body.readInt32BE(0);
      if (kind === 0) return scram?.checkDone(); // AuthenticationOk
      if (kind === 3 || kind === 5 || kind === 10) needPassword();
      if (kind === 3) this.write(passwordMessage(o.password));
      else if (kind === 5) {
        if (body.length !== 8) throw new ProtocolViolation('AuthenticationMD5Password without its 4-byte salt');
        this.write(passwordMessage(md5Password(o.user, o.password, body.subarray(4, 8))));
      } else if (kind === 10) this.write((scram = new Scram(o.password)).initial(cstrings(body, 4, body.length, 'a SASL mechanism')));
      else if (kind === 11 && scram) this.write(scram.continue(body.toString('utf8', 4)));
      else if (kind === 12 && scram) scram.verify(body.toString('utf8', 4));
      else if (kind === 11 || kind === 12) throw authFailure(`the server sent a SASL ${kind === 11 ? 'challenge' : 'outcome'} without starting SASL authentication`);
      else throw authFailure(`the server asks for authentication method ${kind} (Kerberos, GSSAPI or SSPI), which stackprobe does not speak`);
    });
  }

  /** Prepares a named statement on this connection (Parse + Sync). */
  async prepare(name: string, sql: string, paramOids: number[] = []): Promise<void> {
    const parse = parseMessage(name, sql, paramOids);
    await this.bounded(this.exchange(Buffer.concat([parse, SYNC]), IGNORE), 'preparing a statement');
    if (name) this.statements.set(name, parse);
  }

  /** Our own fixed statements through the simple protocol (session settings); never user SQL. */
  simpleQuery(sql: string): Promise<void> {
    return this.bounded(this.exchange(queryMessage(sql), IGNORE), 'a session setting');
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
            if (type === 0x45) failed ??= errorFields(body, 0, body.length);
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
    this.request = bytes;
    this.retried = false;
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
    try {
      this.reader.feed(chunk, length);
    } catch (err) {
      // The one place a reply's failure ends: a malformed stream, a refused message, or a caller's callback that threw.
      this.destroy(err instanceof PgWireError ? err : lostConnection(`a reply could not be handled (${err instanceof Error ? err.message : String(err)})`));
    }
  }

  /**
   * Each whole backend message, from the reader. The four messages of every reply come first, tested by literal type
   * byte in a function small enough to be inlined into the reader's loop; everything else goes to otherMessage.
   */
  onMessage(type: number, buf: Buffer, start: number, end: number): void {
    if (this.done !== undefined && this.setup === undefined) {
      if (type === 0x44) { // DataRow
        if (this.rows !== undefined && this.completed === this.rowsAt) this.rows.push(dataRow(buf, start, end));
        return;
      }
      if (type === 0x32) return; // BindComplete
      if (type === 0x43) { // CommandComplete
        this.completed++;
        return;
      }
      if (type === 0x5a) return this.finish(readyStatus(buf, start, end)); // ReadyForQuery
    }
    this.otherMessage(type, buf, start, end);
  }

  private otherMessage(type: number, buf: Buffer, start: number, end: number): void {
    if (this.setup) return this.setupMessage(type, buf, start, end);
    switch (type) {
      case B.dataRow: // with a request in flight, these four were handled in onMessage
      case B.bindComplete:
      case B.commandComplete:
      case B.readyForQuery:
        throw this.unsolicited(type);
      case B.parseComplete:
      case B.closeComplete:
      case B.rowDescription: // rows are read as text, their column count from each DataRow: nothing to keep
      case B.noData:
      case B.parameterDescription:
        if (!this.done) throw this.unsolicited(type);
        return;
      case B.emptyQuery: // an empty statement's Execute
      case B.portalSuspended: // never asked for (Execute without a row limit), counted as an Execute's end if sent
        if (!this.done) throw this.unsolicited(type);
        this.completed++;
        return;
      case B.errorResponse:
        return this.onError(errorFields(buf, start, end));
      case B.parameterStatus: // a reported setting changed
        return this.readParameter(buf, start, end);
      case B.notice:
        return this.notice(buf, start, end);
      case B.notification:
        // NOTIFY for a LISTEN a user's statement made: stackprobe listens to nothing, so it is dropped on purpose.
        return;
      default:
        throw refusal(type);
    }
  }

  private unsolicited(type: number): ProtocolViolation {
    return new ProtocolViolation(`message ${describeType(type)} with no request in flight`);
  }

  /** During a setup exchange (startup, prepare, our own settings): every message but refused ones goes to it. */
  private setupMessage(type: number, buf: Buffer, start: number, end: number): void {
    switch (type) {
      case B.notice:
        return this.notice(buf, start, end);
      case B.notification:
        return; // as in onMessage
      case B.parameterStatus: // kept during our own exchanges too (a SET of ours, or the startup's report)
        return this.readParameter(buf, start, end);
      case B.errorResponse:
        this.refusedLogin = true; // only read while connecting
        this.setup!.onMessage(type, buf.subarray(start, end));
        return;
      case B.readyForQuery:
        readyStatus(buf, start, end); // checked here; the exchange reads it
        this.setup!.onMessage(type, buf.subarray(start, end));
        return;
      case B.authentication: case B.backendKeyData: case B.negotiateProtocolVersion:
      case B.parseComplete: case B.bindComplete: case B.closeComplete: case B.commandComplete: case B.emptyQuery:
      case B.dataRow: case B.rowDescription: case B.noData: case B.parameterDescription: case B.portalSuspended:
        this.setup!.onMessage(type, buf.subarray(start, end));
        return;
      default:
        throw refusal(type);
    }
  }

  private notice(buf: Buffer, start: number, end: number): void {
    const fields = errorFields(buf, start, end);
    this.onNotice?.(fields);
  }

  private readParameter(buf: Buffer, start: number, end: number): void {
    const [name, value] = parameterStatus(buf, start, end);
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
    if (this.checkRequestEnd && (status !== IDLE || this.error)) this.poisoned ??= this.checkRequestEnd(status, this.error);
    if (this.poisoned) return this.destroy(this.poisoned);
    if (this.error && status === IDLE && !this.retried && isStalePlan(this.error) && this.prepareAgain()) return;
    const done = this.done;
    this.done = undefined;
    this.request = undefined;
    done?.(this.completed, this.error ? new PgWireError(this.error) : undefined, this.rows);
  }

  /**
   * After a stale-plan error: the failed statement (the Bind after the Executes that ended) is closed and parsed
   * again, once, and the request runs again; its latency includes that, as it would for a driver that re-prepares
   * (pgJDBC). A statement that no longer parses fails the request with the server's error and closes the connection
   * (its name is gone on the server). False when the statement is not one prepared here.
   */
  private prepareAgain(): boolean {
    const request = this.request!;
    const name = boundStatement(request, this.completed);
    const parse = name === undefined ? undefined : this.statements.get(name);
    if (!parse) return false;
    this.retried = true;
    const done = this.done;
    const rowsAt = this.rowsAt;
    this.exchange(Buffer.concat([closeStatement(name!), parse, SYNC]), IGNORE).then(() => {
      if (this.done !== done) return; // lost meanwhile: lose() told the request
      this.reprepared++;
      this.completed = 0;
      this.error = undefined;
      this.rows = rowsAt >= 0 ? [] : undefined;
      this.cancelSent = false;
      this.write(request);
    }, (err: unknown) => {
      if (this.done !== done) return;
      this.done = undefined;
      this.request = undefined;
      const e = err as PgWireError;
      const why = new PgWireError({ code: e.code, severity: e.severity, message: `${e.message} (preparing the statement again after its cached plan was invalidated)` });
      done?.(0, why, undefined);
      this.destroy(why);
    });
    return true;
  }

  private lose(error: PgWireError): void {
    if (this.closedWith) return;
    clearInterval(this.watchdog);
    // A FATAL the server sent before closing (57P01 terminated, 57P05 idle timeout) says more than "closed".
    const why = this.error && this.error.severity !== 'ERROR' ? lostConnection(this.error.message, this.error.code) : error;
    this.closedWith = why;
    this.reader.stop();
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
