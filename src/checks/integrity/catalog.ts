// integrity.catalog: invalid indexes, duplicate indexes, sequences and identity columns near the end of their range, tables never analysed.
import { qualified } from '../../workload/sql.js';
import type { Check, CheckContext } from '../types.js';
import { INVALID_INDEXES_SQL, NEVER_ANALYZED_SQL, SEQUENCES_SQL } from './catalog-sql.js';
import { identicalIndexesSql, KEEP_RULE, resolveGroup, type IdenticalGroup } from './index-model.js';
import { readOnlySession, type ReadOnlySession } from './read-only.js';
import { scoredRun } from './score.js';
import { widenPlan, type FedColumn, type WidenPlan } from './widen.js';
import { targetSchemas } from './scope.js';
import { DUPLICATE_INDEXES, INTEGRITY_DAMAGED_PROBES, INTEGRITY_PROBES, INTEGRITY_UNVERIFIED, INVALID_INDEXES, NEVER_ANALYZED_TABLES, SEQUENCE_MAX_USED_SHARE } from './metrics.js';

export interface SequenceRow {
  schema: string;
  sequence: string;
  last_value: string | null;
  start: string;
  limit: string;
  table_schema: string | null;
  table: string | null;
  column: string | null;
  column_type: string | null;
  identity: boolean | null;
  /** Columns the sequence feeds (owned or through DEFAULT nextval()); `owned` is false for a shared sequence nobody owns. */
  fed: string;
  owned: boolean | null;
  feeds: string[];
  /** Every column the sequence feeds, for the plan that widens them. */
  fed_cols: FedColumn[];
}

/** The share of a sequence's usable range already consumed: 0 before first use, 1 at the limit. */
export function sequenceShare(s: Pick<SequenceRow, 'last_value' | 'start' | 'limit'>): number {
  if (s.last_value === null) return 0;
  const range = Number(s.limit) - Number(s.start);
  if (range === 0) return 1;
  return Math.min(1, Math.max(0, (Number(s.last_value) - Number(s.start)) / range));
}

async function invalidIndexes(ctx: CheckContext, db: ReadOnlySession, schemas: string[]): Promise<void> {
  const rows = await db.query<{ schema: string; table: string; index: string; unique: boolean; partitioned: boolean; bytes: string }>(INVALID_INDEXES_SQL, [schemas]);
  ctx.metrics.counter(INVALID_INDEXES).add(rows.length);
  for (const r of rows) {
    ctx.finding({
      severity: 'error', subject: `${r.schema}.${r.index}`, title: `index ${r.schema}.${r.index} on ${r.table} is invalid`,
      detail: r.partitioned
        ? 'It is a partitioned table\'s index created ON ONLY the parent, and not every partition has its index attached: queries on the partitions that lack it cannot use it.'
        : `A CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY failed part-way. Queries do not use it, but every write still maintains it${r.unique ? ', and as a unique index it may have been left because the data has duplicates' : ''}.`,
      recommendation: r.partitioned
        ? `A partition lacks its index: create it on that partition and ALTER INDEX ${qualified(r.schema, r.index)} ATTACH PARTITION …; or drop it: DROP INDEX ${qualified(r.schema, r.index)};`
        : `${r.unique ? 'Look for duplicates first, then ' : ''}DROP INDEX CONCURRENTLY ${qualified(r.schema, r.index)}; and create it again (or REINDEX INDEX CONCURRENTLY ${qualified(r.schema, r.index)};).`,
      data: {
        index: `${r.schema}.${r.index}`, table: r.table, unique: r.unique, bytes: Number(r.bytes),
        statements: [r.partitioned ? `DROP INDEX ${qualified(r.schema, r.index)};` : `REINDEX INDEX CONCURRENTLY ${qualified(r.schema, r.index)};`],
      },
    });
  }
}

async function duplicateIndexes(ctx: CheckContext, db: ReadOnlySession, schemas: string[]): Promise<void> {
  const groups = await db.query<IdenticalGroup>(identicalIndexesSql('n.nspname = ANY($1::text[])'), [schemas]);
  for (const g of groups) {
    const { keep, drop } = resolveGroup(g);
    ctx.metrics.counter(DUPLICATE_INDEXES).add(drop.length);
    const names = g.members.map((m) => m.index);
    const blocked = drop.filter((m) => m.statement === null).map((m) => m.index);
    const withConstraint = drop.filter((m) => m.constraint);
    const statements = drop.flatMap((m) => (m.statement ? [m.statement] : []));
    ctx.finding({
      severity: 'warn', subject: `${g.schema}.${g.table}`, title: `${g.schema}.${g.table} has identical indexes: ${names.join(', ')}`,
      detail: `They index the same columns the same way; every write pays for each, and they use memory and disk for nothing. The one kept is chosen by one rule (${KEEP_RULE}), the same health.indexes uses.${g.partitioned ? ' The table is partitioned: dropping the parent\'s index drops it on every partition.' : ''}${withConstraint.length > 0 ? ` ${withConstraint.map((m) => `${m.index} backs constraint ${m.constraint}`).join('; ')}, so it goes with its constraint.` : ''}${blocked.length > 0 ? ` Foreign keys depend on ${blocked.join(', ')}: drop and re-create them against ${keep.index} first.` : ''}`,
      recommendation: `${statements.join(' ')} (keeps ${keep.index}${keep.constraint ? `, constraint ${keep.constraint}` : ''})`,
      data: { table: `${g.schema}.${g.table}`, indexes: names, keep: keep.index, drop: drop.map((m) => m.index), partitioned: g.partitioned, bytes: Number(g.bytes), statements },
    });
  }
}

async function sequences(ctx: CheckContext, db: ReadOnlySession, schemas: string[]): Promise<void> {
  const { sequence_warn_share: warnAt } = ctx.config.integrity;
  let max = 0;
  for (const s of await db.query<SequenceRow>(SEQUENCES_SQL, [schemas])) {
    const share = sequenceShare(s);
    max = Math.max(max, share);
    if (share < warnAt) continue;
    const fed = Number(s.fed);
    const shared = fed > 1 || s.owned === false ? `, shared by ${fed} column(s) through DEFAULT nextval()${s.owned === false ? ' and owned by none' : ''}` : '';
    const feeds = s.table && s.column ? ` feeding ${s.table_schema}.${s.table}.${s.column} (${s.column_type}${s.identity ? ', identity' : ''}${shared})` : '';
    const plan = await widenPlan(db, s.fed_cols);
    const seq = s.owned === false ? [] : [`ALTER SEQUENCE ${qualified(s.schema, s.sequence)} AS bigint;`];
    const statements = plan.alters.length > 0 ? [...plan.statements, ...seq] : [`ALTER SEQUENCE ${qualified(s.schema, s.sequence)} AS bigint MAXVALUE 9223372036854775807;`];
    ctx.finding({
      severity: share >= ctx.config.integrity.sequence_fail_share ? 'error' : 'warn', subject: `${s.schema}.${s.sequence}`,
      title: `sequence ${s.schema}.${s.sequence}${feeds} has used ${(share * 100).toFixed(1)}% of its range (${s.last_value} of ${s.limit})`,
      detail: `When it reaches the end, every insert that needs a new value fails until the type is widened.${widenDetail(plan)}`,
      recommendation: plan.alters.length > 0
        ? `Widen ${plan.alters.length === 1 ? 'the column' : 'the columns'} before it runs out (each rewrites its table; plan it), in this order: ${statements.join(' ')}`
        : `Raise the sequence's MAXVALUE or move to a wider type: ${statements.join(' ')}`,
      data: { sequence: `${s.schema}.${s.sequence}`, lastValue: s.last_value, limit: s.limit, share, column: s.column ? `${s.table_schema}.${s.table}.${s.column}` : null, feeds: s.feeds, owned: s.owned, statements },
    });
  }
  ctx.metrics.gauge(SEQUENCE_MAX_USED_SHARE).set(max);
}

/** What the plan widens beyond the fed columns, and what it drops and re-creates, in words. */
function widenDetail(plan: WidenPlan): string {
  const parts: string[] = [];
  if (plan.alters.length > 0) parts.push(` The advice widens ${plan.alters.length} column(s): the ones the sequence feeds and every int2/int4 column that receives these ids through a foreign key, where the next id would not fit either.`);
  if (plan.dependents.length > 0) {
    parts.push(` ALTER COLUMN … TYPE refuses to run while a view or rule uses the column: ${plan.dependents.map((d) => d.name).join(', ')} ${plan.dependents.length === 1 ? 'is' : 'are'} dropped first and re-created after from ${plan.dependents.length === 1 ? 'its' : 'their'} current definition (privileges, comments and triggers on re-created views must be granted and added again; a materialized view is filled again).`);
  }
  return parts.join('');
}

async function neverAnalyzed(ctx: CheckContext, db: ReadOnlySession, schemas: string[]): Promise<void> {
  const rows = await db.query<{ schema: string; table: string; rows: string }>(NEVER_ANALYZED_SQL, [schemas]);
  ctx.metrics.counter(NEVER_ANALYZED_TABLES).add(rows.length);
  if (rows.length === 0) return;
  // The statement lists every table the title counts; the detail shows the first ten with their sizes.
  const statement = `ANALYZE ${rows.map((r) => qualified(r.schema, r.table)).join(', ')};`;
  const more = rows.length > 10 ? ` and ${rows.length - 10} more` : '';
  ctx.finding({
    severity: 'warn', subject: rows.map((r) => `${r.schema}.${r.table}`).join(', '), title: `${rows.length} table(s) holding data were never analysed`,
    detail: `Without statistics the planner guesses row counts and can choose very slow plans: ${rows.slice(0, 10).map((r) => `${r.schema}.${r.table} (~${r.rows} rows)`).join(', ')}${more}.`,
    recommendation: `${statement} and check that autovacuum is on (SHOW autovacuum) and not blocked.`,
    data: { tables: rows.map((r) => `${r.schema}.${r.table}`), statements: [statement] },
  });
}

export const catalogCheck: Check = {
  id: 'integrity.catalog',
  category: 'integrity',
  title: 'Catalog: invalid and duplicate indexes, sequence headroom, statistics',
  needs: ['pg'],
  metrics: [DUPLICATE_INDEXES, INVALID_INDEXES, NEVER_ANALYZED_TABLES, SEQUENCE_MAX_USED_SHARE, INTEGRITY_UNVERIFIED, INTEGRITY_DAMAGED_PROBES, INTEGRITY_PROBES],
  writes: false,
  thresholds: (config) => ({
    invalid_indexes: ['count==0'],
    duplicate_indexes: [{ warn: 'count==0' }],
    sequence_max_used_share: [{ fail: `value<${config.integrity.sequence_fail_share}`, warn: `value<${config.integrity.sequence_warn_share}` }],
    never_analyzed_tables: [{ warn: 'count==0' }],
    integrity_unverified: [{ warn: 'count==0' }],
  }),
  run: (ctx) => scoredRun(ctx, 'integrity.catalog', async () => {
    ctx.metrics.headline('sequence_max_used_share');
    const db = await readOnlySession(ctx, 'stackprobe-integrity');
    const schemas = await targetSchemas(ctx, db);
    ctx.metrics.counter(DUPLICATE_INDEXES).add(0);
    await invalidIndexes(ctx, db, schemas);
    await duplicateIndexes(ctx, db, schemas);
    await sequences(ctx, db, schemas);
    await neverAnalyzed(ctx, db, schemas);
  }),
};
