// One lean PostgreSQL connection: extended protocol over a raw socket, statements prepared once, executions sent as
// pre-built Buffers rewritten in place, replies scanned for their type bytes only (rows are not decoded).
import type { Socket } from 'node:net';
import { connectReusingBuffer } from '../fast-socket.js';
import { userInfo } from 'node:os';
import { withTimeout } from '../timeout.js';
import { bindInt4, errorFields, EXECUTE, md5Password, parseMessage, passwordMessage, Scram, startupMessage, SYNC, TERMINATE } from './wire.js';

export interface PgFastError {
  message: string;
  /** SQLSTATE, or the Node error code for a lost connection. */
  code: string;
}

/** Called when a batch's ReadyForQuery arrives: how many executions completed, and the first error if any. */
export type BatchDone = (completed: number, error: PgFastError | undefined) => void;

/** `depth` executions of one statement with an int4 parameter each, then one Sync: a pipeline when depth > 1. */
export class Int4Batch {
  readonly bytes: Buffer;
  readonly offsets: number[];

  constructor(statement: string, readonly depth: number) {
    const bind = bindInt4(statement);
    const one = Buffer.concat([bind.bytes, EXECUTE]);
    this.bytes = Buffer.concat([...Array.from({ length: depth }, () => one), SYNC]);
    this.offsets = Array.from({ length: depth }, (_, i) => i * one.length + bind.paramOffset);
  }

  set(i: number, value: number): void {
    this.bytes.writeInt32BE(value, this.offsets[i]!);
  }
}

interface Setup {
  onMessage(type: number, body: Buffer): void;
}

export class PgFastConnection {
  private leftover: Buffer | undefined;
  private setup: Setup | undefined;
  private done: BatchDone | undefined;
  private completed = 0;
  private error: PgFastError | undefined;
  private closedWith: PgFastError | undefined;

  private readonly socket: Socket;

  private constructor(host: string, port: number) {
    const socket = connectReusingBuffer(host, port, (buffer, n) => this.onData(buffer, n));
    this.socket = socket;
    const lost = (err?: Error) => this.lose({ message: err?.message ?? 'connection closed', code: (err as { code?: string } | undefined)?.code ?? 'ECONNRESET' });
    socket.on('error', lost);
    socket.on('close', () => lost());
  }

  /** Connects and authenticates (trust, password, md5 or SCRAM-SHA-256; no TLS). */
  static async connect(url: string, timeoutMs = 10_000, applicationName = 'stackprobe-fast'): Promise<PgFastConnection> {
    const u = new URL(url);
    if (/require|verify/.test(u.searchParams.get('sslmode') ?? '')) throw new Error('the lean PostgreSQL path does not speak TLS (sslmode=require)');
    const user = decodeURIComponent(u.username) || process.env.PGUSER || userInfo().username;
    const password = decodeURIComponent(u.password) || process.env.PGPASSWORD || '';
    const database = decodeURIComponent(u.pathname.slice(1)) || user;
    const conn = new PgFastConnection(u.hostname || '127.0.0.1', Number(u.port || 5432));
    try {
      await withTimeout(new Promise<void>((resolve, reject) => {
        conn.socket.once('connect', resolve);
        conn.socket.once('error', reject);
      }), timeoutMs, 'connecting to PostgreSQL');
      await withTimeout(conn.handshake(user, password, database, applicationName), timeoutMs, 'authenticating to PostgreSQL');
      return conn;
    } catch (err) {
      conn.socket.destroy(); // a refused, timed-out or rejected login leaves no socket behind
      throw err;
    }
  }

  private handshake(user: string, password: string, database: string, applicationName: string): Promise<void> {
    let scram: Scram | undefined;
    return this.exchange(startupMessage({ user, database, application_name: applicationName, client_encoding: 'UTF8' }), (type, body) => {
      if (type !== 0x52) return; // ParameterStatus, BackendKeyData: not needed
      const kind = body.readInt32BE(0);
      if (kind === 3) this.socket.write(passwordMessage(password));
      else if (kind === 5) this.socket.write(passwordMessage(md5Password(user, password, body.subarray(4, 8))));
      else if (kind === 10) this.socket.write((scram = new Scram(password)).initial());
      else if (kind === 11) this.socket.write(scram!.continue(body.toString('utf8', 4)));
      else if (kind === 12) scram!.verify(body.toString('utf8', 4));
      else if (kind !== 0) throw new Error(`unsupported PostgreSQL authentication method ${kind}`);
    });
  }

  /** Prepares a named statement on this connection (Parse + Sync). */
  prepare(name: string, sql: string, paramOids: number[], timeoutMs = 10_000): Promise<void> {
    return withTimeout(this.exchange(Buffer.concat([parseMessage(name, sql, paramOids), SYNC]), () => undefined), timeoutMs, 'preparing a statement');
  }

  /** Sends bytes and resolves at ReadyForQuery, rejecting on an ErrorResponse; `on` sees every other message. */
  private exchange(bytes: Buffer, on: Setup['onMessage']): Promise<void> {
    return new Promise((resolve, reject) => {
      let failed: PgFastError | undefined;
      this.setup = {
        onMessage: (type, body) => {
          try {
            if (type === 0x45) failed ??= errorFields(body);
            else if (type === 0x5a) {
              this.setup = undefined;
              if (failed) reject(Object.assign(new Error(failed.message), { code: failed.code }));
              else resolve();
            } else on(type, body);
          } catch (err) {
            this.setup = undefined;
            reject(err as Error);
          }
        },
      };
      this.socket.write(bytes);
    });
  }

  /** The hot path: writes a batch (its parameters already set) and calls `done` at its ReadyForQuery. One batch at a time. */
  send(batch: Int4Batch, done: BatchDone): void {
    if (this.closedWith) return done(0, this.closedWith);
    this.done = done;
    this.completed = 0;
    this.error = undefined;
    this.socket.write(batch.bytes);
  }

  /** The same as a promise, for executors that await each iteration; resolves with the completed count, rejects on error. */
  run(batch: Int4Batch): Promise<number> {
    return new Promise((resolve, reject) => {
      this.send(batch, (completed, error) => (error ? reject(Object.assign(new Error(error.message), { code: error.code })) : resolve(completed)));
    });
  }

  /** `chunk` is the socket's reused read buffer: only its first `length` bytes are this read's. */
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
      else if (type === 0x43) this.completed++; // CommandComplete
      else if (type === 0x5a) this.finish(); // ReadyForQuery
      else if (type === 0x45) this.error ??= errorFields(buf.subarray(i + 5, end));
      i = end;
    }
    // A message split across reads: keep a copy of the tail (rare; most replies arrive whole).
    if (i < n) this.leftover = Buffer.from(buf.subarray(i));
  }

  private finish(): void {
    const done = this.done;
    this.done = undefined;
    done?.(this.completed, this.error);
  }

  private lose(error: PgFastError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    const setup = this.setup;
    this.setup = undefined;
    setup?.onMessage(0x45, Buffer.from(`M${error.message}\0C${error.code}\0\0`));
    setup?.onMessage(0x5a, Buffer.from('I'));
    this.error ??= error;
    this.finish();
  }

  /** Sends Terminate and closes the socket. */
  async close(): Promise<void> {
    if (this.closedWith) return;
    this.closedWith = { message: 'connection closed by stackprobe', code: 'ECLOSED' };
    await new Promise<void>((resolve) => this.socket.end(TERMINATE, resolve));
    this.socket.destroy();
  }
}
