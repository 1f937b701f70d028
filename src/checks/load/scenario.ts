// The mixed scenario: request types with weights, each a sequence of steps; types whose services are absent are left out.
import type { LoadConfig } from '../../config/sections/load.js';
import type { Rng } from '../../workload/prng.js';
import { endWith, type Ended } from '../../exec/ended.js';
import { cacheAsideRead, cacheDel, customRead, pgRead, pgWrite, taskSubmit, type StepClock, type StepServices, type StepTimer } from './steps.js';

export type Available = { redis: boolean; celery: boolean };

/** A request of the mix: its steps as a promise (`run`) or, for the hot single-statement ones, on callbacks (`start`). */
export type RequestType = {
  name: string;
  weight: number;
  /** Its steps use Redis when the run has it: only then does a stage time a PING beside them (run-stage.ts). */
  redis?: boolean;
} & (
  | { run(s: StepServices, rng: Rng, time: StepTimer): Promise<unknown>; start?: undefined }
  | { start(s: StepServices, rng: Rng, clock: StepClock, done: Ended): void; run?: undefined });

/** Starts one request of `type`; `done` at its end, with the error when it failed. */
export function startRequest(type: RequestType, s: StepServices, rng: Rng, rec: StepTimers, done: Ended): void {
  if (type.start) return type.start(s, rng, rec, done);
  endWith(type.run(s, rng, rec.time), done);
}

/** Both timing hooks of a stage's recorder. */
export interface StepTimers extends StepClock {
  time: StepTimer;
}

export interface Scenario {
  types: RequestType[];
  /** Step kinds or request types left out, with why (shown in the check's info). */
  skipped: Record<string, string>;
  /** The scenario's own choice of the next request type (load.replay: an exact interleave); default: by weight with the VU's PRNG. */
  pick?: (rng: Rng) => RequestType;
}

/** Builds the weighted mix from the config and the services this run has. Throws when nothing is left to run. */
export function buildScenario(load: LoadConfig, available: Available, reasons: { redis?: string; celery?: string } = {}): Scenario {
  const skipped: Record<string, string> = {};
  const w = load.weights;
  const types: RequestType[] = [
    { name: 'financial_read', weight: w.financial_read, start: pgRead },
    {
      name: 'write',
      weight: w.write,
      redis: true,
      run: async (s, rng, t) => {
        const account = await pgWrite(s, rng, t);
        if (s.redis) await cacheDel(s, account, t);
      },
    },
    // Without Redis a cache read is still a read: it goes to PostgreSQL every time (a cache with a 0 % hit rate).
    { name: 'cache_read', weight: w.cache_read, redis: true, run: (s, rng, t) => cacheAsideRead(s, rng, t) },
    { name: 'task', weight: w.task, run: (s, rng, t) => taskSubmit(s, rng, t) },
    ...load.custom.map((c): RequestType => {
      const read = customRead(c.sql, c.params);
      return { name: `custom:${c.name}`, weight: c.weight, start: (s, _rng, clock, done) => read(s, clock, done) };
    }),
  ];
  if (!available.redis && w.cache_read + w.write > 0) {
    skipped.cache_get = skipped.cache_set = skipped.cache_del = `${reasons.redis ?? 'Redis is not configured'}: cache steps left out (cache reads go to PostgreSQL)`;
  }
  let kept = types;
  if (!available.celery && w.task > 0) {
    skipped.task_submit = `${reasons.celery ?? 'Celery is not configured'}: task submissions left out of the mix`;
    kept = kept.filter((t) => t.name !== 'task');
  }
  kept = kept.filter((t) => t.weight > 0);
  if (kept.length === 0) throw new Error('config.load.weights: every request type has weight 0 (or needs a service that is absent)');
  return { types: kept, skipped };
}

/** Picks a request type by weight with the VU's own PRNG, so the mix is repeatable for a seed. */
export function pickType(types: RequestType[], rng: Rng): RequestType {
  // A mix of one type draws nothing: the choice is made, and the VU's stream is left to the request's own parameters.
  if (types.length === 1) return types[0]!;
  let total = 0;
  for (const t of types) total += t.weight;
  let x = rng.next() * total;
  for (const t of types) {
    x -= t.weight;
    if (x < 0) return t;
  }
  return types[types.length - 1]!;
}
