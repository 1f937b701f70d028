// The start barrier of a segmented run: every segment registers in the shared workload schema, the last to arrive sets
// one start instant a little ahead on the database server's clock, and each segment starts stage 1 at that instant.
import type { PgPool } from '../targets/pg/types.js';
import { sleep } from '../exec/timeout.js';
import type { Segment } from '../exec/stages.js';
import { markFailed, segmentList } from './members.js';
import { wl } from './sql.js';

/** How often a waiting segment looks; the start instant is set far enough ahead for every poller to see it in time. */
const POLL_MS = 25;
const LEAD_MS = 300;

export interface BarrierMember {
  runId: string;
  segment: Segment;
  /** The server process standing for this segment (its row in stackprobe._members). */
  pid: number;
}

export interface StartFacts {
  run_id: string;
  /** The agreed start instant, on the database server's clock. */
  start_at: string;
  /** When this segment started stage 1 relative to the agreed instant (positive: late), as well as it can tell. */
  offset_ms: number;
  /** Half the round trip of the best clock reading: the offset is known to within this. */
  clock_error_ms: number;
  /** Time spent waiting at the barrier for the other segments. */
  waited_ms: number;
}

interface Poll {
  now_ms: number;
  start_ms: number | null;
  failed: string | null;
  members: Array<{ segment: number; arrived: boolean; alive: boolean }>;
}

const POLL_SQL = `
SELECT extract(epoch FROM clock_timestamp()) * 1000 AS now_ms, extract(epoch FROM r.start_at) * 1000 AS start_ms, r.failed,
  coalesce((SELECT json_agg(json_build_object('segment', m.segment, 'arrived', m.arrived_at IS NOT NULL,
    'alive', EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = m.pid AND a.backend_start = m.backend_start)) ORDER BY m.segment)
    FROM ${wl('_members')} m), '[]') AS members
FROM ${wl('_run')} r`;

export class BarrierError extends Error {}

/** Sleeps until the monotonic instant `target`: a timer for most of it, then a short spin for the last milliseconds. */
async function until(target: number, signal: AbortSignal): Promise<void> {
  await sleep(target - performance.now() - 2, signal);
  while (performance.now() < target && !signal.aborted) { /* the last ~2 ms: a timer would be up to a millisecond late */ }
}

/**
 * Registers this segment and returns at the agreed start instant. Fails (and makes the others fail) when a segment
 * does not arrive within `timeoutMs`, or one that had arrived is gone, naming them.
 */
export async function startBarrier(db: PgPool, me: BarrierMember, opts: { timeoutMs: number; signal: AbortSignal; progress?: (text: string) => void }): Promise<StartFacts> {
  const n = me.segment.count;
  const t0 = performance.now();
  const arrived = await db.query(`UPDATE ${wl('_members')} SET arrived_at = clock_timestamp() WHERE segment = $1 AND pid = $2`, [me.segment.index, me.pid]);
  if (arrived.rowCount !== 1) throw new BarrierError(`segment ${me.segment.index}/${n} is no longer a member of run ${me.runId} (its session ended): cannot start`);
  // The best clock reading (shortest round trip) maps the server's clock onto this process's monotonic clock.
  let best = { rtt: Infinity, offset: 0 };
  let said = '';
  for (;;) {
    opts.signal.throwIfAborted();
    const a = performance.now();
    const p = (await db.query<Poll>(POLL_SQL)).rows[0]!;
    const b = performance.now();
    if (b - a < best.rtt) best = { rtt: b - a, offset: Number(p.now_ms) - (a + b) / 2 };
    if (p.failed) throw new BarrierError(`run ${me.runId} did not start: ${p.failed}`);
    if (p.start_ms !== null) {
      const target = Number(p.start_ms) - best.offset;
      await until(target, opts.signal);
      opts.signal.throwIfAborted();
      return {
        run_id: me.runId, start_at: new Date(Number(p.start_ms)).toISOString(), offset_ms: round(performance.now() - target),
        clock_error_ms: round(best.rtt / 2), waited_ms: Math.round(target - t0),
      };
    }
    const present = p.members.filter((m) => m.alive && m.arrived).map((m) => m.segment);
    const gone = p.members.filter((m) => !m.alive).map((m) => m.segment);
    if (gone.length) await fail(db, `segment${gone.length > 1 ? 's' : ''} ${segmentList(gone, n)} ended before the start (session gone)`);
    // The last to arrive sets the instant; a conditional update, so several setting it at once agree on one.
    if (present.length === n) await db.query(`UPDATE ${wl('_run')} SET start_at = clock_timestamp() + make_interval(secs => $1::float8 / 1000) WHERE start_at IS NULL AND failed IS NULL`, [LEAD_MS]);
    const waited = performance.now() - t0;
    const missing = Array.from({ length: n }, (_, i) => i + 1).filter((s) => !present.includes(s));
    if (present.length < n && waited > opts.timeoutMs) {
      await fail(db, `segment${missing.length > 1 ? 's' : ''} ${segmentList(missing, n)} did not arrive at the start barrier within ${Math.round(opts.timeoutMs / 1000)} s (arrived: ${segmentList(present, n) || 'none'}); load.start_timeout_ms`);
    }
    const text = `waiting for segment${missing.length > 1 ? 's' : ''} ${segmentList(missing, n)} at the start barrier (${Math.round(waited / 1000)} s)`;
    // Said when it changes (about once a second), not at every look.
    if (present.length < n && text !== said) opts.progress?.((said = text));
    await sleep(POLL_MS, opts.signal);
  }
}

async function fail(db: PgPool, reason: string): Promise<never> {
  // Recorded for the others (they fail with the same words), unless one of them recorded a reason first.
  await markFailed(db, reason);
  const res = await db.query<{ failed: string }>(`SELECT failed FROM ${wl('_run')}`);
  throw new BarrierError(res.rows[0]?.failed ?? reason);
}

const round = (v: number) => Math.round(v * 100) / 100;
