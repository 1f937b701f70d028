// A measuring session: one wire connection opened with stackprobe's settings, statements prepared once, and each
// execution one round trip — the user's read-only SQL included (read-only session, no BEGIN … ROLLBACK around it but
// for CALL and DO, whose bodies could otherwise COMMIT).
import { createRequire } from 'node:module';
import { PgWireError } from './errors.js';
import { WireConnection, type Done } from './connection.js';
import { leadingKeywords } from './leading-keyword.js';
import { bindRequest, bindText, EXECUTE, parseMessage, SYNC, type ErrorFields } from './messages.js';
import { wireOptionsFromSpec } from './options.js';
import { parsePgUrl, type PgSpec } from '../spec.js';
import { UNSUPPORTED_STARTUP } from '../target.js';

/** node-postgres's own JS → text conversion (dates, arrays, JSON, toPostgres), so parameters mean what they mean there. */
const prepareValue = createRequire(import.meta.url)('pg/lib/utils.js').prepareValue as (v: unknown) => string | Buffer | null;

export function paramText(value: unknown): string | null {
  const v = prepareValue(value);
  return Buffer.isBuffer(v) ? `\\x${v.toString('hex')}` : v;
}

export type SessionTarget = {
  /** Told of every session opened on this target (a check's scoped target notes them, to close them at its budget). */
  onSession?: (session: MeasureSession) => void;
  timeouts: { connectMs: number; startupStatementTimeout?: boolean };
  /** The URL parsed once (a PgTarget's, a worker thread's), or a URL parsed here (a test or tool holding one). */
} & ({ spec: PgSpec; url?: undefined } | { url: string; spec?: undefined });

export interface SessionOptions {
  applicationName: string;
  /** Server-side bound of every statement (statement_timeout); the client cancels, then drops, a statement late past it. */
  statementTimeoutMs: number;
  /** For the user's SQL: every transaction of the session is read-only. */
  readOnly?: boolean;
  /**
   * The session runs as this role from its first byte (startup `-c role=…`, the server checks the login role may
   * SET ROLE to it): load.replay runs a statement with the privileges of the role that ran it, not the operator's.
   */
  role?: string;
}

/** A startup `options` value: spaces and backslashes escaped, as libpq's PGOPTIONS reads them. */
const optionValue = (v: string) => v.replace(/[\\ ]/g, (c) => `\\${c}`);

const GUARD = 'stackprobe_guard';
const NOOP = 'stackprobe_noop';
const BEGIN_READ_ONLY = 'stackprobe_begin_read_only';
const ROLLBACK = 'stackprobe_rollback';
const IDLE = 0x49;
/** Statements whose body may end its transaction (see MeasureSession.prepareBlock). */
const NON_ATOMIC = new Set(['call', 'do']);
const unnamed = (sql: string) => Buffer.concat([parseMessage('', sql, []), bindText('', []), EXECUTE]);

export class MeasureSession {
  private readonly prepared = new Map<string, string>();
  private guard = Buffer.alloc(0);
  /** What follows an execution's Bind: Execute, the read-only guard where one is needed, Sync. */
  private tail = Buffer.concat([EXECUTE, SYNC]);
  /** User statements that run between BEGIN READ ONLY and ROLLBACK (CALL, DO), and the requests built for them. */
  private readonly inBlock = new Set<string>();
  private readonly blockRequests = new WeakSet<Buffer>();
  private block: { begin: Buffer; rollback: Buffer } | undefined;
  /** True behind a PgBouncer that refuses startup parameters: every execution wraps itself in its own transaction. */
  private readonly wrapped: boolean;

  private constructor(readonly conn: WireConnection, private readonly opts: SessionOptions, wrapped: boolean) {
    this.wrapped = wrapped;
  }

  static async open(target: SessionTarget, opts: SessionOptions): Promise<MeasureSession> {
    const timeout = Math.max(1, Math.round(opts.statementTimeoutMs));
    let wrapped = target.timeouts.startupStatementTimeout === false;
    if (wrapped && opts.role !== undefined) throw new Error(`cannot open a session as role ${opts.role}: the server (a pooler) refuses startup options`);
    // Read-only and bounded from the first byte: no SET round trip, and nothing runs before the settings hold.
    const startup = `-c statement_timeout=${timeout}${opts.readOnly ? ' -c default_transaction_read_only=on' : ''}${opts.role !== undefined ? ` -c role=${optionValue(opts.role)}` : ''}`;
    const spec = target.spec ?? parsePgUrl(target.url!);
    const connect = (options?: string) => WireConnection.connect(wireOptionsFromSpec(spec, {
      applicationName: opts.applicationName, connectTimeoutMs: target.timeouts.connectMs, ...(options ? { startupOptions: options } : {}),
    }));
    let conn: WireConnection;
    try {
      conn = await connect(wrapped ? undefined : startup);
    } catch (err) {
      // A PgBouncer that passes statement_timeout on (ignore_startup_parameters) but refuses `options`.
      if (wrapped || !UNSUPPORTED_STARTUP.test((err as Error).message ?? '')) throw err;
      // Without startup options the role could only be set by a statement, which a pooler would share: refused.
      if (opts.role !== undefined) throw new Error(`cannot open a session as role ${opts.role}: the server (a pooler) refuses startup options`, { cause: err });
      wrapped = true;
      conn = await connect();
    }
    const session = new MeasureSession(conn, opts, wrapped);
    try {
      // Behind a transaction-mode PgBouncer a session SET would reach other clients' server sessions: none is sent.
      // Reads there are bounded by SET LOCAL in their wrapper, writes by the client's watchdog (cancel, then drop).
      if (opts.readOnly && !wrapped) {
        await session.keepReadOnly(timeout);
        conn.checkRequestEnd = endOfReadOnlyRequest;
      }
      if (!wrapped) await conn.prepare(NOOP, 'SELECT 1');
      conn.watch(opts.statementTimeoutMs + 1000);
      target.onSession?.(session);
      return session;
    } catch (err) {
      await conn.close();
      throw err;
    }
  }

  /**
   * A user statement may call set_config('default_transaction_read_only', 'off', false): its own transaction stays
   * read-only, but the next would not. PostgreSQL >= 14 reports that setting (ParameterStatus) before the
   * ReadyForQuery that ends the statement: the statement then fails and its session is closed before anything else
   * runs on it, at no cost per execution. A server that does not report it gets a guard run after every statement in
   * the same implicit transaction (one round trip still), which sets it back before that transaction commits.
   */
  private async keepReadOnly(timeout: number): Promise<void> {
    if (this.conn.parameters.get('default_transaction_read_only') === 'on') {
      this.conn.onParameter = (name, value) => {
        if (name === 'default_transaction_read_only' && value !== 'on') {
          this.conn.poison(new PgWireError({ code: '25006', severity: 'ERROR', message: 'the statement turned its session read-write (default_transaction_read_only = off); stackprobe closed that session' }));
        }
      };
      return;
    }
    await this.conn.prepare(GUARD, `SELECT set_config('default_transaction_read_only', 'on', false), set_config('statement_timeout', '${timeout}', false)`);
    this.guard = Buffer.concat([bindText(GUARD, []), EXECUTE]);
    this.tail = Buffer.concat([EXECUTE, this.guard, SYNC]);
  }

  isPrepared(name: string): boolean {
    return this.prepared.has(name);
  }

  /** Prepares `sql` as `name` on this session, once (behind a transaction-mode PgBouncer it is parsed per execution). */
  async prepare(name: string, sql: string): Promise<void> {
    if (this.prepared.has(name)) return;
    const [first = '', second] = this.opts.readOnly ? leadingKeywords(sql, 2) : [];
    // PREPARE TRANSACTION: behind a transaction-mode PgBouncer it would turn the BEGIN READ ONLY around it into a
    // prepared transaction left on the server, holding back vacuum until someone resolves it; elsewhere it does
    // nothing. Refused either way.
    if (first === 'prepare' && second === 'transaction') {
      throw new PgWireError({ code: '25006', severity: 'ERROR', message: 'stackprobe does not run PREPARE TRANSACTION on a read-only session' });
    }
    if (!this.wrapped) {
      await this.conn.prepare(name, sql);
      if (NON_ATOMIC.has(first)) {
        await this.prepareBlock();
        this.inBlock.add(name);
      }
    }
    this.prepared.set(name, sql);
  }

  /**
   * CALL and DO, as the first statement of a transaction, run their body in a non-atomic context: a COMMIT there ends
   * the read-only transaction, and the one it starts next is read-write if the body turned
   * default_transaction_read_only off just before — its writes commit before the server reports the setting (>= 14)
   * or the guard sets it back (< 14). Inside a transaction block they are atomic (a COMMIT fails, 2D000), so a
   * read-only session runs them between BEGIN READ ONLY and ROLLBACK, in the same round trip; a ROLLBACK also undoes
   * every setting they changed.
   */
  private async prepareBlock(): Promise<void> {
    if (this.block) return;
    await this.conn.prepare(BEGIN_READ_ONLY, 'BEGIN READ ONLY');
    await this.conn.prepare(ROLLBACK, 'ROLLBACK');
    this.block = { begin: Buffer.concat([bindText(BEGIN_READ_ONLY, []), EXECUTE]), rollback: Buffer.concat([bindText(ROLLBACK, []), EXECUTE]) };
  }

  /** One execution of a prepared statement as one request: Bind/Execute (the read-only guard) Sync. */
  request(name: string, params: readonly unknown[]): Buffer {
    if (!this.wrapped) {
      if (!this.inBlock.has(name)) return bindRequest(name, params.map(paramText), this.tail);
      const request = Buffer.concat([this.block!.begin, bindText(name, params.map(paramText)), EXECUTE, this.block!.rollback, this.guard, SYNC]);
      this.blockRequests.add(request);
      return request;
    }
    const bind = bindText('', params.map(paramText));
    const sql = this.prepared.get(name);
    if (sql === undefined) throw new Error(`statement ${name} was not prepared on this session`);
    const begin = this.opts.readOnly
      ? Buffer.concat([unnamed('BEGIN READ ONLY'), unnamed(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(this.opts.statementTimeoutMs))}`)])
      : Buffer.alloc(0);
    return Buffer.concat([begin, parseMessage('', sql, []), bind, EXECUTE, this.opts.readOnly ? unnamed('ROLLBACK') : Buffer.alloc(0), SYNC]);
  }

  /** Where the user's statement sits in a request (for its rows). */
  get statementIndex(): number {
    return this.wrapped && this.opts.readOnly ? 2 : 0;
  }

  /** A no-op round trip (`SELECT 1`) on this session: the network's and the client's own share of a latency. */
  noopRequest(): Buffer {
    return this.wrapped ? Buffer.concat([unnamed('SELECT 1'), SYNC]) : Buffer.concat([bindText(NOOP, []), EXECUTE, SYNC]);
  }

  /** Runs a request; behind a PgBouncer, a wrapped transaction left open by a failed statement is rolled back after. */
  run(request: Buffer): Promise<number> {
    return this.wrapped ? this.runWrapped(request) : this.conn.run(request);
  }

  /** run() for the hot path: `done` is called at the request's end, with no promise per execution. */
  send(request: Buffer, done: Done): void {
    if (!this.wrapped) return this.conn.send(request, done);
    this.runWrapped(request).then((completed) => done(completed, undefined, undefined), (err: unknown) => done(0, err as PgWireError, undefined));
  }

  private async runWrapped(request: Buffer): Promise<number> {
    try {
      return await this.conn.run(request);
    } finally {
      await this.settle();
    }
  }

  async rows(request: Buffer): Promise<Array<Array<string | null>>> {
    try {
      return await this.conn.query(request, this.blockRequests.has(request) ? 1 : this.statementIndex);
    } finally {
      await this.settle();
    }
  }

  private async settle(): Promise<void> {
    if (this.conn.lost || this.conn.status === IDLE) return;
    await this.conn.simpleQuery('ROLLBACK');
  }

  get lost(): PgWireError | undefined {
    return this.conn.lost;
  }

  /** The server process of this session (pg_stat_activity.pid). */
  get pid(): number {
    return this.conn.pid;
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}

/**
 * The end of every request of a read-only session that is not idle or not clean, decided before anything else can run
 * on it. Each request is its own implicit transaction, read-only from its first statement, and ends idle. One that
 * ends inside a transaction block was opened by the user's statement (BEGIN, START TRANSACTION, BEGIN READ WRITE):
 * the next request would run in it — read-write after BEGIN READ WRITE, or after a SET TRANSACTION READ WRITE that a
 * plain BEGIN still allows where no guard ran (>= 14). The session is closed rather than rolled back: closing ends
 * the transaction on the server (a rollback) with no further round trip and no state left to trust, and a statement
 * that opens a transaction has no place in a measured read-only statement, so it fails every time, with 25006. A CALL
 * or DO that fails inside its BEGIN READ ONLY block leaves the block failed (E): closed too, with its own error.
 * A request told that a prepared statement does not exist (26000) met a DISCARD ALL or DEALLOCATE run by the user's
 * SQL, which drops the session's statements for good: it is closed, and its pool opens a whole one.
 */
function endOfReadOnlyRequest(status: number, error: ErrorFields | undefined): PgWireError | undefined {
  if (error?.code === '26000') {
    return new PgWireError({ ...error, message: `${error.message}: a statement dropped this session's prepared statements (DISCARD ALL, DEALLOCATE); stackprobe closed that session` });
  }
  if (status === IDLE) return undefined;
  if (error) return new PgWireError(error);
  return new PgWireError({
    code: '25006', severity: 'ERROR',
    message: 'the statement left a transaction open (BEGIN, START TRANSACTION); stackprobe runs each read-only statement in a transaction of its own and closed that session, which rolls the transaction back',
  });
}
