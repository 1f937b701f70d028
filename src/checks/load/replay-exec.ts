// load.replay on the measuring path (src/targets/pg/wire): a replayed read is one round trip on a read-only session,
// prepared once per session; a replayed write is BEGIN, the statement and ROLLBACK pipelined before one Sync.
import { PgWireError } from '../../targets/pg/wire/errors.js';
import { SYNC } from '../../targets/pg/wire/messages.js';
import { SessionPool } from '../../targets/pg/wire/pool.js';
import type { MeasureSession, SessionTarget } from '../../targets/pg/wire/session.js';

/** The sessions of one role. */
export interface RolePools {
  /** Sessions read-only from their startup (default_transaction_read_only) and bounded by statement_timeout. */
  read: SessionPool;
  /** Only with load.replay.writes on a disposable database: sessions that may write, every write rolled back. */
  write?: SessionPool;
}

export interface ReplayPools extends RolePools {
  /**
   * The sessions of a statement's own role (opened on first use, each session SET ROLE from its startup): a statement
   * runs with the privileges of the role that ran it in pg_stat_statements, never the operator's.
   */
  forRole(role: string): RolePools;
  /** Every pool opened so far, the role pools included. */
  all(): SessionPool[];
  /** Called with each session a statement runs on: tells onLost of its loss while idle in the pool too. */
  watch?: (s: MeasureSession) => void;
}

export interface ReplayPoolOptions {
  applicationName: string;
  max: number;
  statementTimeoutMs: number;
  acquireTimeoutMs: number;
  writes: boolean;
  onLost?: (err: PgWireError) => void;
  /** The role the target's URL logs in as: its statements run on the own pools, with no second set of sessions. */
  ownRole?: string;
}

/** Opened on demand: a pool nothing runs on holds no connection. */
export function openReplayPools(target: SessionTarget, o: ReplayPoolOptions): ReplayPools {
  const common = { max: o.max, statementTimeoutMs: o.statementTimeoutMs, acquireTimeoutMs: o.acquireTimeoutMs };
  const opened: SessionPool[] = [];
  const onLost = o.onLost;
  const open = (role: string | undefined): RolePools => {
    // One application name for every role: the sessions are the replay's whichever role they run as.
    const as = role === undefined ? {} : { role };
    const set: RolePools = { read: new SessionPool(target, { ...common, ...as, applicationName: o.applicationName, readOnly: true }) };
    if (o.writes) set.write = new SessionPool(target, { ...common, ...as, applicationName: `${o.applicationName}-writes` });
    // The pool tells of a session lost under a statement when it is released (the connection, of one lost while idle).
    if (onLost) {
      set.read.onLost = onLost;
      if (set.write) set.write.onLost = onLost;
    }
    opened.push(set.read, ...(set.write ? [set.write] : []));
    return set;
  };
  const own = open(undefined);
  const roles = new Map<string, RolePools>();
  const pools: ReplayPools = {
    ...own,
    forRole(role) {
      if (role === o.ownRole) return own;
      let set = roles.get(role);
      if (!set) roles.set(role, (set = open(role)));
      return set;
    },
    all: () => [...opened],
  };
  if (onLost) {
    // The connection itself tells of a session lost while idle (pg_terminate_backend between requests), which the pool
    // would only notice when handing it out.
    const watched = new WeakSet<MeasureSession>();
    pools.watch = (s) => {
      if (watched.has(s)) return;
      watched.add(s);
      const before = s.conn.onLost;
      s.conn.onLost = (err) => {
        before?.(err);
        onLost(err);
      };
    };
  }
  return pools;
}

export async function endReplayPools(pools: ReplayPools): Promise<void> {
  await Promise.all(pools.all().map((p) => p.end()));
}

/** What the measuring path needs of a replayed statement. */
export interface Replayable {
  queryid: string;
  query: string;
  write: boolean;
  /** The role it runs as (its pg_stat_statements role); the operator's own when absent. */
  role?: string;
}

/** Times the statement's round trip under its step (the load's StepTimer), or runs it untimed (the dry pass). */
export type ReplayTimer = <T>(step: `replay:${string}`, run: () => Promise<T>) => Promise<T>;
const untimed: ReplayTimer = (_step, run) => run();

/** The statement's name on every session: queryids are unique per database, and any text is a valid statement name. */
export const preparedName = (st: Replayable): string => `stackprobe_replay_${st.queryid}`;
const BEGIN = 'stackprobe_replay_begin';
const ROLLBACK = 'stackprobe_replay_rollback';
const IDLE = 0x49; // ReadyForQuery 'I': no transaction open

/** A session's request without its closing Sync, so several statements go out before one Sync (one round trip). */
function unsynced(request: Buffer): Buffer {
  if (!request.subarray(request.length - SYNC.length).equals(SYNC)) throw new Error('a measuring-path request does not end with Sync');
  return request.subarray(0, request.length - SYNC.length);
}

/** A session that was lost while idle in the pool: nothing was sent on it, so the request takes another. */
class StaleSession extends Error {
  constructor(readonly lost: PgWireError) {
    super(lost.message);
  }
}

/** Every idle session can have been terminated at once; after them the pool opens a new one, so this is never reached. */
const MAX_STALE = 1000;

/**
 * Runs one replayed statement with `values` (text, typed by the server as the statement's Parse inferred them, as in
 * the dry pass). Parse happens once per session, outside the timed round trip; its failure still counts as the
 * statement's. A session found lost before anything was sent on it is reported and replaced, as pg.Pool drops a
 * client it saw die while idle; one lost under the statement fails the request (and is reported when released).
 */
export async function runReplayed(pools: ReplayPools, st: Replayable, values: readonly string[], time: ReplayTimer = untimed): Promise<void> {
  const set = st.role === undefined ? pools : pools.forRole(st.role);
  const pool = st.write ? set.write : set.read;
  if (!pool) throw new Error(`${preparedName(st)} writes, and no write session is open (load.replay.writes on a disposable database)`);
  const step = `replay:${st.queryid}` as const;
  for (let stale = 0; ; stale++) {
    try {
      return await pool.use(async (s) => {
        if (s.lost) throw new StaleSession(s.lost);
        pools.watch?.(s);
        try {
          await prepare(s, st);
        } catch (err) {
          return time(step, () => Promise.reject(err as Error));
        }
        // A read that leaves a transaction open (BEGIN READ WRITE) fails with 25006 and its read-only session is
        // closed before anything else runs on it (MeasureSession's read-only policy).
        await (st.write ? runWrite(s, st, values, step, time) : time(step, () => s.run(s.request(preparedName(st), values))));
      });
    } catch (err) {
      if (!(err instanceof StaleSession)) throw err;
      if (stale >= MAX_STALE) throw err.lost;
    }
  }
}

async function prepare(s: MeasureSession, st: Replayable): Promise<void> {
  await s.prepare(preparedName(st), st.query);
  if (!st.write) return;
  await s.prepare(BEGIN, 'BEGIN');
  await s.prepare(ROLLBACK, 'ROLLBACK');
}

/**
 * BEGIN; the statement; ROLLBACK — pipelined before one Sync: one round trip. When the statement fails, the server
 * skips to the Sync and the session is left in the failed transaction: it is rolled back before the session goes back.
 */
async function runWrite(s: MeasureSession, st: Replayable, values: readonly string[], step: `replay:${string}`, time: ReplayTimer): Promise<void> {
  const request = Buffer.concat([unsynced(s.request(BEGIN, [])), unsynced(s.request(preparedName(st), values)), unsynced(s.request(ROLLBACK, [])), SYNC]);
  try {
    await time(step, () => s.run(request));
  } finally {
    if (!s.lost && s.conn.status !== IDLE) await s.conn.simpleQuery('ROLLBACK');
  }
}
