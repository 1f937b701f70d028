// Where a cache miss loads its value from: a real point query on the workload schema when PostgreSQL is there, else a fixed cost.
import { sleep } from '../../exec/timeout.js';
import { describeError } from '../../util/errors.js';
import { wl } from '../../workload/sql.js';
import { useWorkload } from '../queries/workload.js';
import type { CheckContext } from '../types.js';
import { payload } from './common.js';

export interface Loader {
  /** `postgresql` or `fixed`, shown in the report. */
  readonly source: string;
  load(rank: number): Promise<string>;
}

const TRANSACTION_BY_ID = `SELECT id, account_id, category_id, amount, occurred_at, description FROM ${wl('transactions')} WHERE id = $1`;

function fixedLoader(ctx: CheckContext): Loader {
  const value = payload(ctx.config.cache.value_bytes);
  const cost = ctx.config.cache.miss_cost_ms;
  return { source: 'fixed', load: async () => (await sleep(cost, ctx.signal), value) };
}

/** The PostgreSQL loader (the run's shared workload schema), or the fixed cost when there is no PostgreSQL or it cannot be used. */
export async function makeLoader(ctx: CheckContext, inFlight: number): Promise<Loader> {
  const pgTarget = ctx.targets.pg;
  if (!pgTarget) return fixedLoader(ctx);
  let transactions: number;
  try {
    transactions = (await useWorkload(ctx)).plan.transactions;
  } catch (err) {
    ctx.finding({
      severity: 'warn', title: `misses use a fixed cost of ${ctx.config.cache.miss_cost_ms} ms: the workload schema is not available`,
      detail: describeError(err), recommendation: 'See the queries category for why the workload schema could not be created.',
    });
    return fixedLoader(ctx);
  }
  const pool = pgTarget.createPool({ max: Math.min(inFlight, 8), applicationName: 'stackprobe-cache' });
  ctx.defer(() => pool.end());
  return {
    source: 'postgresql',
    async load(rank) {
      // Rank r caches transaction r+1: the most popular keys are the same rows every run (same seed, same schema).
      const res = await pool.query({ name: 'stackprobe_cache_load', text: TRANSACTION_BY_ID, values: [(rank % transactions) + 1] });
      return JSON.stringify(res.rows[0] ?? null);
    },
  };
}
