// load.replay: the replayed statements as request types, interleaved exactly by their calls (smooth weighted round
// robin), each run alone on a read-only measuring session (writes, when allowed, in a transaction that is rolled back).
import type { Rng } from '../../workload/prng.js';
import type { ReplayStatement } from './replay-dry.js';
import { runReplayed, type ReplayPools } from './replay-exec.js';
import { drawValue } from './replay-params.js';
import type { RequestType, Scenario } from './scenario.js';
import type { StepTimer } from './steps.js';

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

/**
 * Only the statement's round trip is timed (its step): the wait for a free session is in the request's latency. Reads
 * run alone on a read-only measuring session, one round trip like the application's own call; writes between BEGIN and
 * ROLLBACK in the same round trip (replay-exec.ts).
 */
function runStatement(pools: ReplayPools, st: ReplayStatement, rng: Rng, time: StepTimer): Promise<void> {
  return runReplayed(pools, st, st.samplers.map((s) => drawValue(s, rng)), time);
}

export function replayScenario(statements: ReplayStatement[], pools: ReplayPools): Scenario {
  const types: RequestType[] = statements.map((st) => ({ name: st.name, weight: st.calls, run: (_s, rng, t) => runStatement(pools, st, rng, t) }));
  if (types.length === 0) throw new Error('load.replay: no statement left to replay');
  const next = smoothPicker(types);
  return { types, skipped: {}, pick: () => next() };
}
