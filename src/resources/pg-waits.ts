// Where the load's own PostgreSQL sessions spend their time: pg_stat_activity sampled at a fixed rate (only sessions
// whose application_name starts with the load's prefix, in the current database), and the server's WAL and checkpoint
// counters read around a stage. Read-only; bounded (one query in flight, a capped number of distinct events).

/** The one call this needs from a PostgreSQL client (a pg.Pool or the project's own query interface). */
export interface Queryable {
  query<R>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/** Named catalog query: the load's sessions now, and for a session waiting on a lock the relation the lock is on. */
export const LOAD_SESSIONS_NOW = `SELECT a.state, a.wait_event_type AS type, a.wait_event AS event,
  CASE WHEN a.wait_event_type = 'Lock' THEN (
    SELECT l.relation::regclass::text FROM pg_locks l
    WHERE l.pid = a.pid AND l.relation IS NOT NULL AND (NOT l.granted OR l.locktype = 'tuple')
    ORDER BY l.granted LIMIT 1) END AS relation
  FROM pg_stat_activity a
  WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND starts_with(a.application_name, $1)`;

interface ActivityRow { state: string | null; type: string | null; event: string | null; relation: string | null }

/** How often the sessions are sampled: 10 a second gives ~100 session samples per session over a 10 s stage. */
export const WAIT_SAMPLE_MS = 100;
/** Distinct wait events and relations kept per stage; the rest are counted under `other`. */
const MAX_KEYS = 64;

/**
 * Where one session was at one sample: `CPU` (active, no wait event: running or waiting for a CPU), `Client` (active
 * or in a transaction but waiting for the client), `type:event` for a wait, `Idle` (no request: not server time).
 */
export function classify(row: Pick<ActivityRow, 'state' | 'type' | 'event'>): string {
  if (row.state === 'idle') return 'Idle';
  if (row.state === 'idle in transaction' || row.state === 'idle in transaction (aborted)') return 'Client:IdleInTransaction';
  if (!row.type) return 'CPU';
  if (row.type === 'Client') return `Client:${row.event ?? ''}`;
  return `${row.type}:${row.event ?? ''}`;
}

/** One stage's samples: session-samples per class, lock waits per relation. */
export interface WaitCounts {
  /** Sampling rounds that completed. */
  rounds: number;
  /** Session-samples by class (see classify), Idle included. */
  byClass: Record<string, number>;
  /** Session-samples waiting on a lock, by the relation the lock is on (`?` when the lock names none). */
  lockRelations: Record<string, number>;
  /** Rounds that failed (counted, never fatal). */
  errors: number;
}

const emptyCounts = (): WaitCounts => ({ rounds: 0, byClass: {}, lockRelations: {}, errors: 0 });

function bump(into: Record<string, number>, key: string): void {
  if (into[key] === undefined && Object.keys(into).length >= MAX_KEYS) key = 'other';
  into[key] = (into[key] ?? 0) + 1;
}

/** Samples the sessions whose application_name starts with `prefix` every `everyMs` until stop(); take() empties. */
export class PgWaitSampler {
  private counts = emptyCounts();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly db: Queryable, private readonly prefix: string, private readonly everyMs = WAIT_SAMPLE_MS) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The samples since the last take(), then starts afresh. */
  take(): WaitCounts {
    const out = this.counts;
    this.counts = emptyCounts();
    return out;
  }

  private async tick(): Promise<void> {
    // A slow server must not pile up samplers: skip a round rather than overlap.
    if (this.busy) return;
    this.busy = true;
    const into = this.counts;
    try {
      const { rows } = await this.db.query<ActivityRow>(LOAD_SESSIONS_NOW, [this.prefix]);
      into.rounds++;
      for (const r of rows) {
        const cls = classify(r);
        bump(into.byClass, cls);
        if (r.type === 'Lock') bump(into.lockRelations, r.relation ?? '?');
      }
    } catch (err) {
      void err; // a failed round is counted; the stage's figures say how many rounds they rest on
      into.errors++;
    } finally {
      this.busy = false;
    }
  }
}

/** The server's WAL and checkpoint counters (cumulative); a field is null when this major has no view for it. */
export interface ServerCounters {
  walRecords: number | null;
  walBytes: number | null;
  /** WAL writes/syncs (pg_stat_wal, 14+) and their time (track_wal_io_timing; 0 when off). */
  walWrite: number | null;
  walSync: number | null;
  walWriteMs: number | null;
  walSyncMs: number | null;
  /** WAL buffers full: a backend had to write WAL itself (wal_buffers too small). */
  walBuffersFull: number | null;
  checkpointsTimed: number | null;
  checkpointsReq: number | null;
}

/** Named catalog queries: pg_stat_wal (14+) and the checkpoint counters (pg_stat_checkpointer from 17, bgwriter before). */
export const STAT_WAL = `SELECT wal_records::float8 AS "walRecords", wal_bytes::float8 AS "walBytes", wal_write::float8 AS "walWrite",
  wal_sync::float8 AS "walSync", wal_write_time::float8 AS "walWriteMs", wal_sync_time::float8 AS "walSyncMs", wal_buffers_full::float8 AS "walBuffersFull" FROM pg_stat_wal`;
export const STAT_CHECKPOINTS_17 = `SELECT num_timed::float8 AS "checkpointsTimed", num_requested::float8 AS "checkpointsReq" FROM pg_stat_checkpointer`;
export const STAT_CHECKPOINTS = `SELECT checkpoints_timed::float8 AS "checkpointsTimed", checkpoints_req::float8 AS "checkpointsReq" FROM pg_stat_bgwriter`;

/** Reads the counters once; a view the server lacks (or may not show) leaves its fields null. */
export async function readServerCounters(db: Queryable): Promise<ServerCounters> {
  const none: ServerCounters = { walRecords: null, walBytes: null, walWrite: null, walSync: null, walWriteMs: null, walSyncMs: null, walBuffersFull: null, checkpointsTimed: null, checkpointsReq: null };
  const version = Number((await db.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]?.v ?? 0);
  const wal = version >= 140000 ? (await db.query<Partial<ServerCounters>>(STAT_WAL)).rows[0] : undefined;
  const cp = (await db.query<Partial<ServerCounters>>(version >= 170000 ? STAT_CHECKPOINTS_17 : STAT_CHECKPOINTS)).rows[0];
  return { ...none, ...wal, ...cp };
}

/** after − before of each counter (null when either side lacks it; 0 after a reset that went backwards). */
export function counterDelta(before: ServerCounters, after: ServerCounters): ServerCounters {
  const out = {} as Record<keyof ServerCounters, number | null>;
  for (const k of Object.keys(before) as Array<keyof ServerCounters>) {
    const a = before[k];
    const b = after[k];
    out[k] = a === null || b === null ? null : Math.max(0, b - a);
  }
  return out as unknown as ServerCounters;
}
