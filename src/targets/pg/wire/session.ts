// A measuring session: one wire connection opened with stackprobe's settings, statements prepared once, and each
// execution one round trip — the user's read-only SQL included (read-only session, no BEGIN … ROLLBACK around it).
import { createRequire } from 'node:module';
import { PgWireError } from './errors.js';
import { WireConnection, type Done } from './connection.js';
import { bindRequest, bindText, EXECUTE, parseMessage, SYNC } from './messages.js';
import { wireOptions } from './options.js';
import { UNSUPPORTED_STARTUP } from '../target.js';

/** node-postgres's own JS → text conversion (dates, arrays, JSON, toPostgres), so parameters mean what they mean there. */
const prepareValue = createRequire(import.meta.url)('pg/lib/utils.js').prepareValue as (v: unknown) => string | Buffer | null;

export function paramText(value: unknown): string | null {
  const v = prepareValue(value);
  return Buffer.isBuffer(v) ? `\\x${v.toString('hex')}` : v;
}

export interface SessionTarget {
  url: string;
  timeouts: { connectMs: number; startupStatementTimeout?: boolean };
}

export interface SessionOptions {
  applicationName: string;
  /** Server-side bound of every statement (statement_timeout); the client cancels, then drops, a statement late past it. */
  statementTimeoutMs: number;
  /** For the user's SQL: every transaction of the session is read-only. */
  readOnly?: boolean;
}

const GUARD = 'stackprobe_guard';
const NOOP = 'stackprobe_noop';
const unnamed = (sql: string) => Buffer.concat([parseMessage('', sql, []), bindText('', []), EXECUTE]);

export class MeasureSession {
  private readonly prepared = new Map<string, string>();
  private guard = Buffer.alloc(0);
  /** What follows an execution's Bind: Execute, the read-only guard where one is needed, Sync. */
  private tail = Buffer.concat([EXECUTE, SYNC]);
  /** True behind a PgBouncer that refuses startup parameters: every execution wraps itself in its own transaction. */
  private readonly wrapped: boolean;

  private constructor(readonly conn: WireConnection, private readonly opts: SessionOptions, wrapped: boolean) {
    this.wrapped = wrapped;
  }

  static async open(target: SessionTarget, opts: SessionOptions): Promise<MeasureSession> {
    const timeout = Math.max(1, Math.round(opts.statementTimeoutMs));
    let wrapped = target.timeouts.startupStatementTimeout === false;
    // Read-only and bounded from the first byte: no SET round trip, and nothing runs before the settings hold.
    const startup = `-c statement_timeout=${timeout}${opts.readOnly ? ' -c default_transaction_read_only=on' : ''}`;
    const connect = (options?: string) => WireConnection.connect(wireOptions(target.url, {
      applicationName: opts.applicationName, connectTimeoutMs: target.timeouts.connectMs, ...(options ? { startupOptions: options } : {}),
    }));
    let conn: WireConnection;
    try {
      conn = await connect(wrapped ? undefined : startup);
    } catch (err) {
      // A PgBouncer that passes statement_timeout on (ignore_startup_parameters) but refuses `options`.
      if (wrapped || !UNSUPPORTED_STARTUP.test((err as Error).message ?? '')) throw err;
      wrapped = true;
      conn = await connect();
    }
    const session = new MeasureSession(conn, opts, wrapped);
    try {
      // Behind a transaction-mode PgBouncer a session SET would reach other clients' server sessions: none is sent.
      // Reads there are bounded by SET LOCAL in their wrapper, writes by the client's watchdog (cancel, then drop).
      if (opts.readOnly && !wrapped) await session.keepReadOnly(timeout);
      if (!wrapped) await conn.prepare(NOOP, 'SELECT 1');
      conn.watch(opts.statementTimeoutMs + 1000);
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
    if (!this.wrapped) await this.conn.prepare(name, sql);
    this.prepared.set(name, sql);
  }

  /** One execution of a prepared statement as one request: Bind/Execute (the read-only guard) Sync. */
  request(name: string, params: readonly unknown[]): Buffer {
    if (!this.wrapped) return bindRequest(name, params.map(paramText), this.tail);
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
      return await this.conn.query(request, this.statementIndex);
    } finally {
      await this.settle();
    }
  }

  private async settle(): Promise<void> {
    if (this.conn.lost || this.conn.status === 0x49) return;
    await this.conn.simpleQuery('ROLLBACK');
  }

  get lost(): PgWireError | undefined {
    return this.conn.lost;
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}
