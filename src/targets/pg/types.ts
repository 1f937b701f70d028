// The PostgreSQL sessions and pools a check gets, as interfaces of ours: what checks, the workload and the plugin
// contract may use of a session, whichever driver stands behind it (node-postgres today). Only src/targets imports pg.
import pg from 'pg';

/** A row as node-postgres returns it by default: column name -> value. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a row's column types are the query's, asserted by its caller
export type PgRow = Record<string, any>;

export interface PgField {
  name: string;
  /** The column's type oid (pg_type.oid). */
  dataTypeID: number;
}

export interface PgResult<R extends PgRow = PgRow> {
  rows: R[];
  /** Rows the statement returned or touched; null for statements without a count. */
  rowCount: number | null;
  fields: PgField[];
  /** The command tag's verb (SELECT, INSERT, …). */
  command: string;
}

/** A statement with its options: `queryMode: 'extended'` sends it as Parse/Bind/Execute (one statement only). */
export interface PgQuery {
  text: string;
  /** A name makes it a prepared statement of the session, parsed once. */
  name?: string;
  values?: unknown[];
  queryMode?: 'extended';
}

/** Anything that runs a statement: a session or a pool (which runs it on one of its sessions). */
export interface PgQueryable {
  query<R extends PgRow = PgRow>(query: string | PgQuery, values?: unknown[]): Promise<PgResult<R>>;
}

/** One server session (a connection): its statements run in order, its transaction and settings are its own. */
export type PgSession = PgQueryable;

/** A session lent by a pool: give it back with release() (with an error, to have the pool drop it). */
export interface PgPooledSession extends PgSession {
  release(err?: Error | boolean): void;
  /** A session lost while lent out (restart, pg_terminate_backend) says so here; without a listener the process would crash. */
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** A session of one's own: connect(), then end() it. */
export interface PgClient extends PgSession {
  connect(): Promise<unknown>;
  end(): Promise<void>;
}

/** A pool of sessions; its counts are what pool.* checks sample. */
export interface PgPool extends PgQueryable {
  connect(): Promise<PgPooledSession>;
  end(): Promise<void>;
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
  readonly ended: boolean;
  readonly ending: boolean;
}

/** An error the server sent (ErrorResponse), with its SQLSTATE: a failed statement, not a lost connection. */
export function isServerError(err: unknown): err is Error & { code?: string } {
  return err instanceof pg.DatabaseError;
}
