// Joining and leaving the shared workload: the first segment of a run creates the schema, the others wait until it is
// ready, the last to leave drops it; members whose session is gone (a killed segment) are reaped on the way.
import type { PgPool, PgPooledSession } from '../targets/pg/types.js';
import { sleep } from '../exec/timeout.js';
import { retryOnLostSession } from '../targets/pg/lost-session.js';
import type { PgTarget } from '../targets/pg/target.js';
import { outsideDependents, refusalToDrop } from './dependents.js';
import { hasCoordination, joinRefusal, members, reapDead, register, runRow, segmentList, withMutex, type Membership } from './members.js';
import { cancellable, type MemberSession } from './session.js';
import { quoteIdent, SCHEMA, wl } from './sql.js';
import type { WorkloadOptions } from './types.js';

export type SchemaState = 'absent' | 'ours' | 'foreign';
/** Only a schema whose comment starts with this is ever dropped by stackprobe. */
export const MARKER = 'stackprobe workload';

export async function schemaState(db: PgPool | PgPooledSession): Promise<SchemaState> {
  const res = await db.query<{ comment: string | null }>(`SELECT obj_description(oid, 'pg_namespace') AS comment FROM pg_namespace WHERE nspname = $1`, [SCHEMA]);
  if (res.rows.length === 0) return 'absent';
  return res.rows[0]!.comment?.startsWith(MARKER) ? 'ours' : 'foreign';
}

export type JoinDecision = { role: 'join' } | { role: 'create'; replacedLeftover: boolean };

/** Another member's data must be the same data: a joiner with another seed or scale would draw keys that do not exist. */
async function sameData(c: PgPooledSession, opts: WorkloadOptions): Promise<string | undefined> {
  const res = await c.query<{ seed: number; scale: string }>(`SELECT seed, scale::text FROM ${wl('_meta')}`);
  const m = res.rows[0];
  if (m && (m.seed !== opts.seed || Number(m.scale) !== opts.scale)) return `the workload schema of this run was made with seed ${m.seed}, scale ${m.scale}; this segment has seed ${opts.seed}, scale ${opts.scale}: every segment must use the same config`;
  return undefined;
}

/**
 * Inside the mutex: joins the run that holds the schema, or (absent, or a leftover nobody alive uses) drops the leftover
 * and tells the caller to create it. `create` runs in the same transaction, so nobody sees a schema without its run.
 */
export async function joinOrCreate(pgt: PgTarget, c: PgPooledSession, opts: WorkloadOptions, me: Membership, create: () => Promise<void>): Promise<JoinDecision> {
  return withMutex(c, async () => {
    const state = await schemaState(c);
    if (state === 'foreign') {
      throw new Error(`schema "${SCHEMA}" exists and was not created by stackprobe (it has no stackprobe marker comment); it will not be touched. Rename or drop it, or run against another database.`);
    }
    if (state === 'ours' && (await hasCoordination(c))) {
      const reaped = await reapDead(c);
      const run = await runRow(c);
      const live = (await members(c)).map((m) => m.segment);
      if (run && reaped.length) opts.warn?.(`segment${reaped.length > 1 ? 's' : ''} ${segmentList(reaped, run.segments)} of run ${run.run_id} ended without leaving (killed?): removed from the run`);
      if (run && live.length > 0) {
        const why = joinRefusal(run, live, me) ?? (await sameData(c, opts));
        if (why) throw new Error(why);
        await register(c, me, false);
        return { role: 'join' };
      }
    }
    if (state === 'ours') {
      const dependents = await outsideDependents(c, SCHEMA);
      if (dependents.length) throw new Error(refusalToDrop(SCHEMA, dependents));
      opts.warn?.(`schema "${SCHEMA}" was left by an interrupted stackprobe run (or one with --keep-data): dropping and recreating it`);
      await cancellable(pgt, c, `DROP SCHEMA ${quoteIdent(SCHEMA)} CASCADE`, opts.signal);
    }
    await create();
    await register(c, me, true);
    return { role: 'create', replacedLeftover: state === 'ours' };
  });
}

const READY_POLL_MS = 100;

/** Waits (bounded, with progress) until the preparing segment marks the schema ready; fails when it failed or is gone. */
export async function waitReady(c: PgPooledSession, me: Membership, opts: WorkloadOptions, timeoutMs: number): Promise<Record<string, number>> {
  const t0 = performance.now();
  let said = '';
  for (;;) {
    opts.signal.throwIfAborted();
    const res = await c.query<{ ready: boolean; failed: string | null; rows: Record<string, number> | null }>(`SELECT ready_at IS NOT NULL AS ready, failed, rows FROM ${wl('_run')}`);
    const run = res.rows[0];
    if (run?.ready) return run.rows ?? {};
    if (run?.failed) throw new Error(`the workload of run ${me.runId} was not prepared: ${run.failed}`);
    const preparer = (await members(c)).find((m) => m.prepares);
    if (!preparer?.alive) {
      const who = preparer ? `segment ${preparer.segment}/${me.segment.count}` : 'the segment that prepared it';
      throw new Error(`the workload of run ${me.runId} was not prepared: ${who} ended (its database session is gone) before the schema was ready`);
    }
    const waited = performance.now() - t0;
    if (waited > timeoutMs) throw new Error(`the workload of run ${me.runId} was not ready after ${Math.round(waited / 1000)} s (segment ${preparer.segment}/${me.segment.count} is still preparing it)`);
    const text = `waiting for segment ${preparer.segment}/${me.segment.count} to prepare the workload (${Math.round(waited / 1000)} s)`;
    if (text !== said) opts.progress?.((said = text)); // once a second, not at every look
    await sleep(READY_POLL_MS, opts.signal);
  }
}

export type LeaveOutcome = 'dropped' | 'kept' | 'others remain' | 'gone';

/**
 * Leaves the run: removes this member, reaps dead ones, and when nobody is left drops the schema (unless `keep`).
 * Runs on a fresh admin session so a lost member session does not leave the schema behind; retried when lost.
 */
export async function leaveRun(pgt: PgTarget, session: MemberSession, me: Membership, keep: boolean): Promise<LeaveOutcome> {
  try {
    return await retryOnLostSession(async () => {
      const c = await pgt.admin.connect();
      let failure: Error | undefined;
      try {
        return await withMutex(c, async () => {
          // Check the marker again right before dropping: never drop a schema that is not ours, nor a user's object with it.
          if ((await schemaState(c)) !== 'ours' || !(await hasCoordination(c))) return 'gone';
          await c.query(`DELETE FROM ${wl('_members')} WHERE segment = $1 AND pid = $2`, [me.segment.index, session.pid]);
          await reapDead(c);
          const left = await members(c);
          if (left.length > 0) {
            // The others wait at the start barrier for this segment: once it has left before the start, tell them now
            // rather than at their timeout.
            await c.query(`UPDATE ${wl('_run')} SET failed = coalesce(failed, $1) WHERE start_at IS NULL`, [`segment ${me.segment.index}/${me.segment.count} left before the stages started (interrupted or failed; see its output)`]);
            return 'others remain';
          }
          if (keep) return 'kept';
          const dependents = await outsideDependents(c, SCHEMA);
          if (dependents.length) throw new Error(refusalToDrop(SCHEMA, dependents));
          await c.query(`DROP SCHEMA ${quoteIdent(SCHEMA)} CASCADE`);
          return 'dropped';
        });
      } catch (err) {
        failure = err instanceof Error ? err : new Error(String(err));
        throw err;
      } finally {
        c.release(failure);
      }
    }, 5);
  } finally {
    await session.close();
  }
}
