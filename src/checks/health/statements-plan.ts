// Takes the plan of a pg_stat_statements text without executing it: EXPLAIN (GENERIC_PLAN) on PostgreSQL 16+; on older
// servers PREPARE + EXPLAIN EXECUTE with values sampled from the columns' statistics, else the generic plan.
import type { ExplainOutput } from '../queries/explain-advice.js';
import { hasGenericPlan, hasPlanCacheMode } from './features.js';
import type { HealthSession } from './session.js';
import { COLUMN_STATS_SQL, EXPLAIN_EXECUTE_SQL, PREPARED_TYPES_SQL } from './statements-sql.js';
import { fingerprint, limitParams, paramColumns, relationNames, whyNotPlannable } from './sql-text.js';

export interface FilledParam {
  param: number;
  /** Where the value came from: `schema.table.column` statistics, or a LIMIT/OFFSET default. */
  source: string;
  value: string;
}

/** What a plan shows of its parameters: where each value came from, never the value (it is the user's data). */
export type ParamSource = Omit<FilledParam, 'value'>;

export type PlanOutcome =
  | { taken: true; method: 'generic_plan' | 'sampled_parameters' | 'forced_generic_plan'; plan: ExplainOutput[]; params: ParamSource[]; note?: string }
  | { taken: false; reason: string };

const PREPARED = 'stackprobe_health_plan';
const LIMIT_VALUE = '100';

export async function planStatement(s: HealthSession, sql: string): Promise<PlanOutcome> {
  const why = whyNotPlannable(sql);
  if (why) return { taken: false, reason: why };
  if (hasGenericPlan(s.versionNum)) {
    // The text is one DML/query statement (checked above); EXPLAIN without ANALYZE plans it and runs nothing.
    const rows = await s.query<{ 'QUERY PLAN': ExplainOutput[] }>(`EXPLAIN (GENERIC_PLAN, FORMAT JSON, VERBOSE) ${sql}`);
    return { taken: true, method: 'generic_plan', plan: scrubPlan(rows[0]!['QUERY PLAN']), params: [] };
  }
  const c = s.client;
  await c.query('BEGIN TRANSACTION READ ONLY');
  let prepared = false;
  try {
    // PREPARE plans nothing yet; it tells us the type PostgreSQL infers for each $n.
    await c.query(`PREPARE ${PREPARED} AS ${sql}`);
    prepared = true;
    const types = (await c.query<{ types: string[] }>(PREPARED_TYPES_SQL, [PREPARED])).rows[0]?.types ?? [];
    const { filled, missing } = await fillParams(s, sql, types.length);
    if (missing.length === 0) {
      const plan = await explainExecute(s, filled.map((f) => f.value));
      return { taken: true, method: 'sampled_parameters', plan, params: filled.map(({ param, source }) => ({ param, source })) };
    }
    const note = `no statistics to sample ${missing.map((p) => `$${p} (${types[p - 1]})`).join(', ')} from (a parameter not compared with a column, or a column this role may not read in pg_stats)`;
    if (!hasPlanCacheMode(s.versionNum)) return { taken: false, reason: `${note}; the generic plan needs plan_cache_mode (PostgreSQL 12+)` };
    // The generic plan ignores parameter values, so NULLs stand in for all of them.
    await c.query(`SET LOCAL plan_cache_mode = force_generic_plan`);
    const plan = await explainExecute(s, types.map(() => null));
    return { taken: true, method: 'forced_generic_plan', plan, params: [], note };
  } finally {
    // Prepared statements outlive a rollback. Deallocated inside the transaction while it is healthy (behind a
    // transaction-pooling PgBouncer that is the server connection holding it), else right after the rollback.
    const gone = !prepared || (await c.query(`DEALLOCATE ${PREPARED}`).then(() => true, () => false));
    await c.query('ROLLBACK');
    if (!gone) await c.query(`DEALLOCATE ${PREPARED}`);
  }
}

async function explainExecute(s: HealthSession, values: Array<string | null>): Promise<ExplainOutput[]> {
  const text = (await s.client.query<{ sql: string }>(EXPLAIN_EXECUTE_SQL, [PREPARED, values])).rows[0]!.sql;
  return scrubPlan((await s.client.query<{ 'QUERY PLAN': ExplainOutput[] }>(text)).rows[0]!['QUERY PLAN']);
}

/** Plan fields that name things, never hold values. */
const NAMES = new Set(['Node Type', 'Relation Name', 'Schema', 'Alias', 'Index Name', 'Strategy', 'Partial Mode', 'Parent Relationship', 'Scan Direction', 'Join Type', 'Command', 'Subplan Name', 'CTE Name', 'Function Name']);

/** The sampled values are the user's data: every expression in the plan gets its literals replaced by $n. */
export function scrubPlan<T>(value: T, key = ''): T {
  if (typeof value === 'string') return (NAMES.has(key) ? value : fingerprint(value)) as T;
  if (Array.isArray(value)) return value.map((v) => scrubPlan(v, key)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubPlan(v, k)])) as T;
  }
  return value;
}

interface ColumnStats {
  schema: string;
  table: string;
  column: string;
  mcv: string[] | null;
  histogram: string[] | null;
}

async function fillParams(s: HealthSession, sql: string, count: number): Promise<{ filled: FilledParam[]; missing: number[] }> {
  const uses = new Map(paramColumns(sql).map((u) => [u.param, u]));
  const limits = limitParams(sql);
  const tables = relationNames(sql);
  const filled: FilledParam[] = [];
  const missing: number[] = [];
  for (let p = 1; p <= count; p++) {
    const limit = limits.get(p);
    if (limit) {
      filled.push({ param: p, source: limit, value: limit === 'limit' ? LIMIT_VALUE : '0' });
      continue;
    }
    const use = uses.get(p);
    const st = use ? (await s.client.query<ColumnStats>(COLUMN_STATS_SQL, [use.column, tables])).rows[0] : undefined;
    const value = st && use ? pick(st, use.op) : undefined;
    if (st && value !== undefined) filled.push({ param: p, source: `${st.schema}.${st.table}.${st.column}`, value });
    else missing.push(p);
  }
  return { filled, missing };
}

/** Equality and LIKE take the most common value (what the application asks most); ranges the histogram's median. */
function pick(st: ColumnStats, op: string): string | undefined {
  const mid = st.histogram && st.histogram.length > 0 ? st.histogram[Math.floor(st.histogram.length / 2)] : undefined;
  const common = st.mcv?.[0];
  return op === '=' || op.includes('like') ? (common ?? mid) : (mid ?? common);
}
