// integrity.catalog: invalid indexes, duplicate indexes, sequences and identity columns near the end of their range, tables never analysed.
import { qualified, quoteIdent } from '../../workload/sql.js';
import type { Check, CheckContext } from '../types.js';
import { DUPLICATE_INDEXES_SQL, INVALID_INDEXES_SQL, NEVER_ANALYZED_SQL, SEQUENCES_SQL } from './catalog-sql.js';
import { readOnlySession, type ReadOnlySession } from './read-only.js';
import { scored } from './score.js';
import { targetSchemas } from './scope.js';

/** Objects examined (tables, indexes, sequences) and defects found among them, for the score. */
interface Tally {
  objects: number;
  defects: number;
}

/** Tables and indexes examined, the denominator of the score next to sequences. */
const RELATIONS_SQL = `SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'i') AND n.nspname = ANY($1::text[])`;

export interface SequenceRow {
  schema: string;
  sequence: string;
  last_value: string | null;
  start: string;
  limit: string;
  table: string | null;
  column: string | null;
  column_type: string | null;
  identity: boolean | null;
}

/** The share of a sequence's usable range already consumed: 0 before first use, 1 at the limit. */
export function sequenceShare(s: Pick<SequenceRow, 'last_value' | 'start' | 'limit'>): number {
  if (s.last_value === null) return 0;
  const range = Number(s.limit) - Number(s.start);
  if (range === 0) return 1;
  return Math.min(1, Math.max(0, (Number(s.last_value) - Number(s.start)) / range));
}

async function invalidIndexes(ctx: CheckContext, db: ReadOnlySession, schemas: string[], t: Tally): Promise<void> {
  const rows = await db.query<{ schema: string; table: string; index: string; unique: boolean; bytes: string }>(INVALID_INDEXES_SQL, [schemas]);
  ctx.metrics.counter('invalid_indexes').add(rows.length);
  t.defects += rows.length;
  for (const r of rows) {
    ctx.finding({
      severity: 'error', subject: `${r.schema}.${r.index}`, title: `index ${r.schema}.${r.index} on ${r.table} is invalid`,
      detail: `A CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY failed part-way. Queries do not use it, but every write still maintains it${r.unique ? ', and as a unique index it may have been left because the data has duplicates' : ''}.`,
      recommendation: `${r.unique ? 'Look for duplicates first, then ' : ''}DROP INDEX CONCURRENTLY ${qualified(r.schema, r.index)}; and create it again (or REINDEX INDEX CONCURRENTLY ${qualified(r.schema, r.index)}).`,
      data: { index: `${r.schema}.${r.index}`, table: r.table, unique: r.unique, bytes: Number(r.bytes) },
    });
  }
}

async function duplicateIndexes(ctx: CheckContext, db: ReadOnlySession, schemas: string[], t: Tally): Promise<void> {
  const rows = await db.query<{ schema: string; table: string; indexes: string[]; bytes: string }>(DUPLICATE_INDEXES_SQL, [schemas]);
  for (const r of rows) {
    const extra = r.indexes.slice(1);
    ctx.metrics.counter('duplicate_indexes').add(extra.length);
    t.defects += extra.length;
    ctx.finding({
      severity: 'warn', subject: `${r.schema}.${r.table}`, title: `${r.schema}.${r.table} has identical indexes: ${r.indexes.join(', ')}`,
      detail: 'They index the same columns the same way; every write pays for each, and they use memory and disk for nothing.',
      recommendation: extra.map((i) => `DROP INDEX CONCURRENTLY ${qualified(r.schema, i)};`).join(' ') + ` (keeps ${r.indexes[0]})`,
      data: { table: `${r.schema}.${r.table}`, indexes: r.indexes, bytes: Number(r.bytes) },
    });
  }
}

async function sequences(ctx: CheckContext, db: ReadOnlySession, schemas: string[], t: Tally): Promise<void> {
  const { sequence_warn_share: warnAt } = ctx.config.integrity;
  let max = 0;
  for (const s of await db.query<SequenceRow>(SEQUENCES_SQL, [schemas])) {
    const share = sequenceShare(s);
    max = Math.max(max, share);
    t.objects++;
    if (share < warnAt) continue;
    t.defects++;
    const feeds = s.table && s.column ? ` feeding ${s.schema}.${s.table}.${s.column} (${s.column_type}${s.identity ? ', identity' : ''})` : '';
    const target = s.table && s.column ? qualified(s.schema, s.table) : undefined;
    ctx.finding({
      severity: share >= ctx.config.integrity.sequence_fail_share ? 'error' : 'warn', subject: `${s.schema}.${s.sequence}`,
      title: `sequence ${s.schema}.${s.sequence}${feeds} has used ${(share * 100).toFixed(1)}% of its range (${s.last_value} of ${s.limit})`,
      detail: 'When it reaches the end, every insert that needs a new value fails until the type is widened.',
      recommendation: target && s.column_type !== 'bigint'
        ? `Widen the column before it runs out: ALTER TABLE ${target} ALTER COLUMN ${quoteIdent(s.column!)} TYPE bigint (rewrites the table; plan it), and ALTER SEQUENCE ${qualified(s.schema, s.sequence)} AS bigint.`
        : `Raise the sequence's MAXVALUE or move to a wider type: ALTER SEQUENCE ${qualified(s.schema, s.sequence)} AS bigint MAXVALUE 9223372036854775807.`,
      data: { sequence: `${s.schema}.${s.sequence}`, lastValue: s.last_value, limit: s.limit, share, column: s.column ? `${s.schema}.${s.table}.${s.column}` : null },
    });
  }
  ctx.metrics.gauge('sequence_max_used_share', {}, 'ratio').set(max);
}

async function neverAnalyzed(ctx: CheckContext, db: ReadOnlySession, schemas: string[], t: Tally): Promise<void> {
  const rows = await db.query<{ schema: string; table: string; rows: string }>(NEVER_ANALYZED_SQL, [schemas]);
  ctx.metrics.counter('never_analyzed_tables').add(rows.length);
  t.defects += rows.length;
  if (rows.length === 0) return;
  ctx.finding({
    severity: 'warn', subject: rows.map((r) => `${r.schema}.${r.table}`).join(', '), title: `${rows.length} table(s) holding data were never analysed`,
    detail: `Without statistics the planner guesses row counts and can choose very slow plans: ${rows.slice(0, 10).map((r) => `${r.schema}.${r.table} (~${r.rows} rows)`).join(', ')}.`,
    recommendation: `ANALYZE ${rows.slice(0, 10).map((r) => qualified(r.schema, r.table)).join(', ')}; and check that autovacuum is on (SHOW autovacuum) and not blocked.`,
    data: { tables: rows.map((r) => `${r.schema}.${r.table}`) },
  });
}

export const catalogCheck: Check = {
  id: 'integrity.catalog',
  category: 'integrity',
  title: 'Catalog: invalid and duplicate indexes, sequence headroom, statistics',
  needs: ['pg'],
  writes: false,
  thresholds: (config) => ({
    invalid_indexes: ['count==0'],
    duplicate_indexes: [{ warn: 'count==0' }],
    sequence_max_used_share: [{ fail: `value<${config.integrity.sequence_fail_share}`, warn: `value<${config.integrity.sequence_warn_share}` }],
    never_analyzed_tables: [{ warn: 'count==0' }],
    integrity_unverified: [{ warn: 'count==0' }],
  }),
  async run(ctx) {
    const done = await scored(ctx, 'integrity.catalog');
    const db = await readOnlySession(ctx, 'stackprobe-integrity');
    const schemas = await targetSchemas(ctx, db);
    ctx.metrics.counter('duplicate_indexes').add(0);
    const relations = await db.query<{ n: string }>(RELATIONS_SQL, [schemas]);
    const t: Tally = { objects: Number(relations[0]!.n), defects: 0 };
    await invalidIndexes(ctx, db, schemas, t);
    await duplicateIndexes(ctx, db, schemas, t);
    await sequences(ctx, db, schemas, t);
    await neverAnalyzed(ctx, db, schemas, t);
    done(t.objects, Math.max(0, t.objects - t.defects));
  },
};
