// load.replay: the dry pass before the load — prepares each chosen statement, types and samples its parameters,
// classifies it (read or write) from its plan, tries it once exactly as the timed path will run it (the measuring
// path, replay-exec.ts), and says why when a statement cannot be replayed. Catalog work goes through node-postgres.
import type { PgPooledSession } from '../../targets/pg/types.js';
import type { ReplayConfig } from '../../config/sections/load.js';
import type { ReadGuard } from '../../safety/guard.js';
import { parseSql } from '../../safety/parse.js';
import { queryReadOnly } from '../../targets/pg/read-only.js';
import { describeError } from '../../util/errors.js';
import { createRng } from '../../workload/prng.js';
import { limitParams, paramColumns, relationNames } from '../health/sql-text.js';
import { canSample, drawValue, type Sampler } from './replay-params.js';
import type { ChosenStatement } from './replay-select.js';
import { matchesPattern } from './replay-select.js';
import { runReplayed, type ReplayPools } from './replay-exec.js';
import { REPLAY_COLUMN_STATS_SQL, REPLAY_EXPLAIN_SQL, REPLAY_PREPARED_TYPES_SQL } from './replay-sql.js';

export interface ReplayStatement extends Omit<ChosenStatement, 'role'> {
  /** The role it runs as: the one that ran it (pg_stat_statements); the operator's own only when not known. */
  role?: string;
  /** The request type and step tag: `replay:<queryid>`. */
  name: `replay:${string}`;
  write: boolean;
  samplers: Sampler[];
}

export interface NotReplayed {
  queryid: string;
  query: string;
  calls: number;
  reason: string;
}

export interface DryPass {
  ready: ReplayStatement[];
  refused: NotReplayed[];
}

const DRY = 'stackprobe_replay_dry';
const LIMIT_DEFAULT = '100';
const MAX_USER_VALUES = 10_000;
const INTEGER = new Set(['smallint', 'integer', 'bigint']);

/**
 * Errors of one statement after which the replay goes on (syntax/access 42, data 22, a write's constraint 23 or
 * conflict 40, 0A, 25006, timeout): the session is usable, or was closed and replaced (a read that turned it read-write).
 */
function isStatementError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (/^(42|22|23|40|0A|25|2B|P0|XX)/.test(code) || code === '57014');
}

function words(err: unknown): string {
  const code = (err as { code?: string }).code;
  const msg = describeError(err);
  if (code === '42P01') return `${msg}: a temporary table of the application's session, or a table not on this role's search_path`;
  // The measuring session's own words when the statement turned it read-write already say what happened.
  if (code === '25006' && !/read-write/.test(msg)) return `${msg}: it writes (refused by the READ ONLY transaction)`;
  return msg;
}

interface PlanNode { 'Node Type'?: string; Plans?: PlanNode[]; Operation?: string }

/** Walks a plan for nodes that change data or lock rows: the server's own word on what the statement does. */
function writesIn(node: PlanNode | undefined): string | null {
  if (!node) return null;
  if (node['Node Type'] === 'ModifyTable') return `it changes data (${node.Operation ?? 'ModifyTable'} in its plan)`;
  if (node['Node Type'] === 'LockRows') return 'it locks rows (FOR UPDATE/SHARE in its plan)';
  for (const child of node.Plans ?? []) {
    const w = writesIn(child);
    if (w) return w;
  }
  return null;
}

/** Values for each $n from the user's queries (load.replay.values); read once, before the statements are prepared. */
async function userValues(client: PgPooledSession, guard: ReadGuard, cfg: ReplayConfig, s: ChosenStatement, timeoutMs: number): Promise<Map<number, Sampler>> {
  const out = new Map<number, Sampler>();
  for (const [i, v] of cfg.values.entries()) {
    if (!matchesPattern(s.query, v.statement) || out.has(v.param)) continue;
    // The operator's own SQL, judged like every user statement before it runs.
    const why = await guard.whyNot(v.sql);
    if (why) throw new ValuesRefused(`config.load.replay.values[${i}].sql: not run: ${why}`);
    const res = await queryReadOnly(client, v.sql, [], { timeoutMs });
    const col = res.fields[0]?.name;
    const values = col === undefined ? [] : res.rows.slice(0, MAX_USER_VALUES).map((r) => (r as Record<string, unknown>)[col]).filter((x) => x !== null && x !== undefined).map(String);
    out.set(v.param, { kind: 'values', source: `config.load.replay.values[${i}]`, values });
  }
  return out;
}

/** A values query the guard refused: the statement it feeds is not replayed, with this reason. */
class ValuesRefused extends Error {}

interface StatsRow { schema: string; table: string; column: string; null_frac: number; mcv: string[] | null; freqs: number[] | null; histogram: string[] | null }

async function samplersFor(client: PgPooledSession, sql: string, types: string[], given: Map<number, Sampler>): Promise<{ samplers: Sampler[]; missing: string[] }> {
  const uses = new Map(paramColumns(sql).map((u) => [u.param, u]));
  const limits = limitParams(sql);
  const tables = relationNames(sql);
  const samplers: Sampler[] = [];
  const missing: string[] = [];
  for (let p = 1; p <= types.length; p++) {
    const type = types[p - 1]!;
    const own = given.get(p);
    const limit = limits.get(p);
    const use = uses.get(p);
    const st = !own && !limit && use ? (await client.query<StatsRow>(REPLAY_COLUMN_STATS_SQL, [use.column, tables])).rows[0] : undefined;
    const sampler: Sampler | undefined = own ?? (limit ? { kind: 'fixed', source: limit, value: limit === 'limit' ? LIMIT_DEFAULT : '0' } : st ? {
      kind: 'stats', source: `${st.schema}.${st.table}.${st.column}`, mcv: st.mcv ?? [], freqs: st.freqs ?? [], histogram: st.histogram ?? [], nullFrac: st.null_frac, integer: INTEGER.has(type),
    } : undefined);
    if (sampler && canSample(sampler)) samplers.push(sampler);
    else missing.push(`$${p} (${type}): ${own ? 'the values query returned no rows' : use ? `no statistics for column ${use.column} (not analysed, or not readable by this role in pg_stats)` : 'not compared with a column, so no statistics to sample it from (give it a query in load.replay.values)'}`);
  }
  return { samplers, missing };
}

const DML = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/**
 * PREPARE takes one query or DML statement, sent in the simple protocol: the parser says whether this is one (a text
 * filter split `$é$a;b$é$` at its semicolon).
 */
function whyNotPlannable(sql: string): string | null {
  const parsed = parseSql(sql);
  if (!parsed.ok) return parsed.why;
  if (parsed.stmts.length !== 1) return `holds ${parsed.stmts.length} statements`;
  const kind = Object.keys(parsed.stmts[0] as object)[0] ?? '';
  return kind === 'SelectStmt' || DML.has(kind) ? null : 'not a query or DML statement (utility statements have no plan)';
}

/** The role a statement is replayed as, or why there is none. */
function replayRole(s: ChosenStatement): { role: string | undefined } | string {
  if (s.role === null) return 'the role that ran it no longer exists (pg_stat_statements keeps the statements of dropped roles): there is no role to replay it as';
  return { role: s.role };
}

/**
 * The guard's word on a statement, as the role that ran it: under --read-only that role may not reach beyond the
 * transaction (unless --allow-privileged-role), and what the statement may run is judged on the catalog as that role
 * sees it. Null when it may be replayed.
 */
async function whyNotReplayable(guard: ReadGuard, s: ChosenStatement, role: string | undefined, writes: boolean): Promise<string | null> {
  // A data-changing statement is judged on what it may run; whether it may be replayed at all, its plan says below.
  const parsed = parseSql(s.query);
  const write = writes || (parsed.ok && parsed.stmts.length === 1 && DML.has(Object.keys(parsed.stmts[0] as object)[0] ?? ''));
  try {
    if (role !== undefined && guard.options.leastPrivilege && !guard.options.allowPrivileged) {
      const acts = (await guard.role(role)).capabilities.filter((c) => c.acts);
      if (acts.length) return `the role that ran it, ${role}, could act outside the transaction (${acts.map((c) => c.what).join('; ')}): not replayed under --read-only`;
    }
    const why = await guard.whyNot(s.query, { role, write });
    return why ? `not replayed${role !== undefined ? ` as ${role}` : ''}: ${why}` : null;
  } catch (err) {
    if ((err as { code?: string }).code === '42501') return `stackprobe's role may not SET ROLE to ${role ?? 'its own role'}, the role that ran it: ${describeError(err)}`;
    throw err;
  }
}

/**
 * Prepares, samples, classifies and tries one statement; the reason it cannot be replayed, or its samplers. The try
 * runs on `trial`, sessions like the timed path's (the same Parse without parameter types, so the server infers them
 * as PREPARE did here; the same text values; read-only or rolled back; the same role): what fails there fails here
 * first. The guard judges it before anything of it reaches the server: planning alone may run its immutable functions.
 */
async function tryOne(client: PgPooledSession, trial: ReplayPools, guard: ReadGuard, cfg: ReplayConfig, s: ChosenStatement, timeoutMs: number): Promise<{ samplers: Sampler[]; write: boolean; role?: string } | string> {
  // PREPARE … AS takes the text in the simple protocol: only one query or DML statement goes there.
  const plannable = whyNotPlannable(s.query);
  if (plannable) return plannable;
  const as = replayRole(s);
  if (typeof as === 'string') return as;
  const refused = await whyNotReplayable(guard, s, as.role, !!(cfg.writes && trial.write));
  if (refused) return refused;
  let given: Map<number, Sampler>;
  try {
    given = await userValues(client, guard, cfg, s, timeoutMs);
  } catch (err) {
    if (err instanceof ValuesRefused) return err.message;
    throw err;
  }
  await client.query('BEGIN TRANSACTION READ ONLY');
  let prepared = false;
  try {
    // Prepared and planned as the role that ran it: its search path and privileges resolve the names, as on the timed path.
    if (as.role !== undefined) await client.query(`SET LOCAL ROLE "${as.role.replaceAll('"', '""')}"`);
    await client.query(`PREPARE ${DRY} AS ${s.query}`);
    prepared = true;
    const types = (await client.query<{ types: string[] }>(REPLAY_PREPARED_TYPES_SQL, [DRY])).rows[0]?.types ?? [];
    const { samplers, missing } = await samplersFor(client, s.query, types, given);
    if (missing.length) return `cannot sample ${missing.join('; ')}`;
    const rng = createRng(1, 301);
    const values = samplers.map((x) => drawValue(x, rng));
    const explain = (await client.query<{ sql: string }>(REPLAY_EXPLAIN_SQL, [DRY, values])).rows[0]!.sql;
    const plan = (await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(explain)).rows[0]!['QUERY PLAN'][0]?.Plan;
    const write = writesIn(plan);
    if (write && !cfg.writes) return `${write}, and load.replay.writes is off`;
    if (write && !trial.write) return `${write}: write replay needs load.replay.writes and disposable_database`;
    await runReplayed(trial, { queryid: s.queryid, query: s.query, write: !!write, ...(as.role !== undefined ? { role: as.role } : {}) }, values);
    return { samplers, write: !!write, ...(as.role !== undefined ? { role: as.role } : {}) };
  } finally {
    await client.query('ROLLBACK');
    if (prepared) await client.query(`DEALLOCATE ${DRY}`);
  }
}

/**
 * Every chosen statement is tried once on `trial` (a read-only session; a write, when allowed, in a transaction rolled
 * back on a writable session, which `trial.write` is only on a disposable database). A statement that fails gets its
 * reason; the rest go on.
 */
export async function dryPass(client: PgPooledSession, trial: ReplayPools, guard: ReadGuard, cfg: ReplayConfig, chosen: ChosenStatement[], timeoutMs: number, signal: AbortSignal): Promise<DryPass> {
  const ready: ReplayStatement[] = [];
  const refused: NotReplayed[] = [];
  for (const s of chosen) {
    signal.throwIfAborted();
    let outcome: Awaited<ReturnType<typeof tryOne>>;
    try {
      outcome = await tryOne(client, trial, guard, cfg, s, timeoutMs);
    } catch (err) {
      if (!isStatementError(err)) throw err;
      outcome = words(err);
    }
    if (typeof outcome === 'string') refused.push({ queryid: s.queryid, query: s.query, calls: s.calls, reason: outcome });
    else {
      const { role: _pgssRole, ...rest } = s;
      ready.push({ ...rest, name: `replay:${s.queryid}`, ...outcome });
    }
  }
  return { ready, refused };
}
