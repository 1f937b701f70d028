// load.replay: the replayed statements as request types, interleaved exactly by their calls (smooth weighted round
// robin), each run alone on a read-only session (writes, when allowed, in a transaction that is rolled back).
import type pg from 'pg';
import { isLostSession } from '../../targets/pg/lost-session.js';
import type { Rng } from '../../workload/prng.js';
import type { ReplayStatement } from './replay-dry.js';
import { drawValue } from './replay-params.js';
import type { RequestType, Scenario } from './scenario.js';
import type { StepTimer } from './steps.js';

export interface ReplayPools {
  /** Sessions with default_transaction_read_only = on and statement_timeout: every read runs here. */
  read: pg.Pool;
  /** Only with load.replay.writes on a disposable database. */
  write?: pg.Pool;
  /** Told of a session lost under a running statement (the pool hears only of idle ones). */
  onLost?: (client: object, err: Error) => void;
}

/**
 * Picks in proportion to the weights with no randomness: after n picks each type has been chosen within one of
 * n × its share, so the replayed mix matches the original's shares however short a stage is.
 */
export function smoothPicker<T extends { weight: number }>(types: T[]): () => T {
  const total = types.reduce((n, t) => n + t.weight, 0);
  const current = types.map(() => 0);
  return () => {
    let best = 0;
    for (let i = 0; i < types.length; i++) {
      current[i]! += types[i]!.weight;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    return types[best]!;
  };
}

/** Only the statement is timed: the wait for a free session is in the request's latency, not the statement's. */
async function runStatement(pools: ReplayPools, st: ReplayStatement, rng: Rng, time: StepTimer): Promise<void> {
  const values = st.samplers.map((s) => drawValue(s, rng));
  const pool = st.write ? pools.write! : pools.read;
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    if (st.write) {
      await client.query('BEGIN');
      await time(st.name, () => client.query({ text: st.query, values }));
      await client.query('ROLLBACK');
    } else {
      // One statement, extended protocol, on a read-only session bounded by statement_timeout: a single round trip,
      // like the application's own call (queryReadOnly's BEGIN/SET/ROLLBACK would triple it and bias the comparison).
      await time(st.name, () => client.query({ text: st.query, values, queryMode: 'extended' } as pg.QueryConfig & { queryMode: 'extended' }));
    }
  } catch (err) {
    failure = err as Error;
    if (isLostSession(err)) pools.onLost?.(client, failure);
    throw err;
  } finally {
    // A failed session may be mid-transaction or gone: never handed back.
    client.release(failure ?? undefined);
  }
}

export function replayScenario(statements: ReplayStatement[], pools: ReplayPools): Scenario {
  const types: RequestType[] = statements.map((st) => ({ name: st.name, weight: st.calls, run: (_s, rng, t) => runStatement(pools, st, rng, t) }));
  if (types.length === 0) throw new Error('load.replay: no statement left to replay');
  const next = smoothPicker(types);
  return { types, skipped: {}, pick: () => next() };
}
