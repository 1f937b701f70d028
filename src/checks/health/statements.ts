// health.statements: the application's real statements from pg_stat_statements — top lists, plans of the slowest
// (never executed) and index advice in plain words.
import { describeError, SkipCheck } from '../../util/errors.js';
import type { Check, CheckContext } from '../types.js';
import { healthSession, isPermissionError, type HealthSession } from './session.js';
import { indexAdvice, planRelationArrays, planText, type IndexAdvice, type RelationInfo } from './statements-advice.js';
import { planStatement } from './statements-plan.js';
import { rank, type RankedStatement, type StatementRow, type TopLists } from './statements-rank.js';
import { EXTENSION_SQL, PRELOAD_SQL, RELATIONS_SQL, statementsSql } from './statements-sql.js';
import { ms, short } from './words.js';
import { STATEMENTS_TOTAL_TIME, STATEMENTS_TRACKED, STATEMENT_INDEX_ADVICE, STATEMENT_MEAN_TIME, STATEMENT_MEAN_TIME_MAX, STATEMENT_PLANS_TAKEN } from './metrics.js';

const NOT_PRELOADED = '55000';
/** A statement that names stackprobe's own schema. */
const OWN_SCHEMA = /(^|[^\w$"])"?stackprobe"?\s*\./i;

/**
 * Errors of one statement's plan, after which the session is still usable: syntax and access (class 42), data (22),
 * not supported (0A), and statement_timeout (57014). Anything else (a terminated session, a lost connection) is not.
 */
function isStatementError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (/^(42|22|0A)/.test(code) || code === '57014');
}

function enableSteps(preload: string, extensionMissing: boolean): string {
  const listed = preload.split(',').map((s) => s.trim()).filter(Boolean);
  const steps: string[] = [];
  if (!listed.includes('pg_stat_statements')) {
    const value = [...listed, 'pg_stat_statements'].join(',');
    steps.push(`set shared_preload_libraries = '${value}' in postgresql.conf (now '${preload}') and restart PostgreSQL`);
  }
  if (extensionMissing) steps.push('run CREATE EXTENSION pg_stat_statements; in this database as its owner or a superuser');
  return `pg_stat_statements is not available; to enable it: ${steps.map((s, i) => `${i + 1}. ${s}`).join('; ')}`;
}

async function readStatements(db: HealthSession): Promise<StatementRow[]> {
  const ext = (await db.query<{ version: string; schema: string }>(EXTENSION_SQL))[0];
  if (!ext) throw new SkipCheck(enableSteps((await db.query<{ preload: string }>(PRELOAD_SQL))[0]!.preload, true));
  try {
    return await db.query<StatementRow>(statementsSql(ext.version, ext.schema));
  } catch (err) {
    if ((err as { code?: string }).code !== NOT_PRELOADED) throw err;
    throw new SkipCheck(enableSteps((await db.query<{ preload: string }>(PRELOAD_SQL))[0]!.preload, false));
  }
}

export const statementsCheck: Check = {
  id: 'health.statements',
  category: 'health',
  title: 'Statements: the costliest real statements, their plans and index advice (pg_stat_statements)',
  needs: ['pg'],
  metrics: [STATEMENTS_TOTAL_TIME, STATEMENTS_TRACKED, STATEMENT_INDEX_ADVICE, STATEMENT_MEAN_TIME, STATEMENT_MEAN_TIME_MAX, STATEMENT_PLANS_TAKEN],
  writes: false,
  thresholds: (config) => ({
    statement_mean_time_max: [{ fail: `value<${config.health.statements.mean_fail_ms}`, warn: `value<${config.health.statements.mean_warn_ms}` }],
    statement_index_advice: [{ warn: 'count==0' }],
  }),
  async run(ctx) {
    describeMetrics(ctx);
    const db = await healthSession(ctx, 'stackprobe-health');
    const cfg = ctx.config.health.statements;
    const all = await readStatements(db);
    // stackprobe's own workload (schema stackprobe, this run's or an earlier one's) is not the application.
    const own = all.filter((r) => OWN_SCHEMA.test(r.query));
    if (own.length > 0) ctx.info('own_statements_left_out', own.length);
    const lists = rank(all.filter((r) => !OWN_SCHEMA.test(r.query)), cfg.top, cfg.min_calls);
    record(ctx, lists);
    const advice = await planSlowest(ctx, db, lists.byMean.slice(0, cfg.explain_slowest));
    ctx.metrics.counter(STATEMENT_INDEX_ADVICE).add(advice.length);
    spillFindings(ctx, lists);
  },
};

function describeMetrics(ctx: CheckContext): void {
  const m = ctx.metrics;
  m.headline('statement_mean_time_max');
}

function record(ctx: CheckContext, lists: TopLists): void {
  const m = ctx.metrics;
  m.gauge(STATEMENT_MEAN_TIME_MAX).set(lists.byMean[0]?.mean_ms ?? 0);
  m.gauge(STATEMENTS_TRACKED).set(lists.statements);
  m.gauge(STATEMENTS_TOTAL_TIME).set(lists.totalMs);
  for (const s of lists.byTotal) m.gauge(STATEMENT_MEAN_TIME, { queryid: s.queryid }).set(s.mean_ms);
  ctx.info('top_by_total_time', lists.byTotal);
  ctx.info('top_by_mean_time', lists.byMean);
  ctx.info('top_by_calls', lists.byCalls);
  const cfg = ctx.config.health.statements;
  for (const s of lists.byMean) {
    if (s.mean_ms <= cfg.mean_warn_ms) break;
    ctx.finding({
      severity: s.mean_ms > cfg.mean_fail_ms ? 'error' : 'warn',
      subject: `statement ${s.queryid}`,
      title: `${short(s.query)} takes ${ms(s.mean_ms)} on average (stddev ${ms(s.stddev_ms)}, max ${ms(s.max_ms)}) over ${s.calls} calls, ${pct(s.time_share)} of all statement time`,
      recommendation: 'See the plan and index advice below for this statement; without advice, look at what it reads (rows per call, buffer hit share) and whether the application can ask for less.',
      data: s as unknown as Record<string, unknown>,
    });
  }
  if (lists.byTotal.some((s) => s.query === '<insufficient privilege>')) {
    ctx.finding({
      severity: 'info', subject: 'privileges',
      title: 'Some statements of other roles show no text',
      recommendation: 'Grant pg_read_all_stats (part of pg_monitor) to the role stackprobe uses to see every statement\'s normalised text.',
    });
  }
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

async function planSlowest(ctx: CheckContext, db: HealthSession, slowest: RankedStatement[]): Promise<IndexAdvice[]> {
  const cfg = ctx.config.health.statements;
  const advice = new Map<string, { a: IndexAdvice; queries: string[] }>();
  const plans: unknown[] = [];
  for (const s of slowest) {
    ctx.signal.throwIfAborted();
    const outcome = await planStatement(db, s.query).catch((err: unknown) => {
      if (!isStatementError(err) || ctx.signal.aborted) throw err; // a lost session or Ctrl-C fails the check
      return {
        taken: false as const,
        reason: isPermissionError(err)
          ? `${describeError(err)}: planning needs USAGE on the schema and SELECT on the tables, which pg_monitor alone does not give`
          : `EXPLAIN failed: ${describeError(err)}`,
      };
    });
    if (!outcome.taken) {
      ctx.finding({ severity: 'info', subject: `statement ${s.queryid}`, title: `plan of ${short(s.query)} not taken: ${outcome.reason}` });
      continue;
    }
    const [schemas, tables] = planRelationArrays(outcome.plan);
    const relations = await db.query<RelationInfo>(RELATIONS_SQL, [schemas, tables]);
    const found = indexAdvice(outcome.plan, relations, { bigTableRows: cfg.big_table_rows, selectiveShare: cfg.selective_share });
    plans.push({ queryid: s.queryid, query: s.query, method: outcome.method, params: outcome.params, note: outcome.note, plan: planText(outcome.plan) });
    if (found.length === 0) {
      ctx.finding({ severity: 'info', subject: `statement ${s.queryid}`, title: `plan of ${short(s.query)} (${outcome.method.replaceAll('_', ' ')}): no index advice` });
    }
    for (const a of found) {
      const prev = advice.get(a.statement);
      if (prev) prev.queries.push(s.query);
      else advice.set(a.statement, { a, queries: [s.query] });
    }
  }
  ctx.info('plans', plans);
  ctx.metrics.counter(STATEMENT_PLANS_TAKEN).add(plans.length);
  for (const { a, queries } of advice.values()) {
    ctx.finding({
      severity: 'warn',
      subject: `${a.schema}.${a.table}`,
      title: `missing index on ${a.schema}.${a.table} (${a.column}): ${short(queries[0]!)} reads all ~${Math.round(a.tableRows)} rows to keep ~${Math.round(a.plannedRows)}`,
      detail: `${a.node} with filter ${a.filter}${queries.length > 1 ? `; ${queries.length} of the slowest statements do this` : ''}.`,
      recommendation: `${a.statement}; (CONCURRENTLY builds it without blocking writes; it cannot run inside a transaction block)`,
      data: { ...a, queries },
    });
  }
  return [...advice.values()].map((v) => v.a);
}

function spillFindings(ctx: CheckContext, lists: TopLists): void {
  for (const s of lists.byTotal) {
    if (s.temp_blocks <= 0) continue;
    ctx.finding({
      severity: 'info', subject: `statement ${s.queryid}`,
      title: `${short(s.query)} wrote or read ${s.temp_blocks} temporary blocks (sorts or hashes that did not fit in work_mem)`,
      recommendation: 'Raise work_mem for the role or session that runs it (ALTER ROLE … SET work_mem), or add an index that returns rows already in order.',
    });
  }
}
