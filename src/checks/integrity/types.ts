// integrity.types: money columns (judged from declarations and values) stored as binary floating point or `money`, and naive timestamps in tables holding money.
import { qualified, quoteIdent } from '../../workload/sql.js';
import type { Check, CheckContext } from '../types.js';
import { judgeMoney, type MoneyJudgement, type ValueStats } from './money-evidence.js';
import { COLUMNS_SQL, sampleSql, toStats } from './money-sql.js';
import { moneyMatcher } from './money-words.js';
import { failure, readOnlySession, type ReadOnlySession } from './read-only.js';
import { scoredRun } from './score.js';
import { targetSchemas, unverified } from './scope.js';
import { FLOAT_MONEY_COLUMNS, INTEGRITY_DAMAGED_PROBES, INTEGRITY_PROBES, INTEGRITY_UNVERIFIED, NAIVE_TIMESTAMP_COLUMNS } from './metrics.js';

export interface ColumnType {
  schema: string;
  table: string;
  column: string;
  /** The base type, through any domains, as format_type writes it. */
  type: string;
  /** numeric, real, double precision or money for number columns; null for the others. */
  number_type?: string | null;
  scale?: number | null;
  /** The domain the column is declared with, when it is one. */
  domain?: string | null;
  domain_comment?: string | null;
  comment?: string | null;
  partitioned?: boolean;
  est_rows?: number;
}

/** A column judged money, with the evidence that decided. */
export interface MoneyColumn extends ColumnType {
  judgement: MoneyJudgement;
}

const FLOATS = new Set(['real', 'double precision']);

export { moneyMatcher };

export interface TypeFindings {
  floatMoney: MoneyColumn[];
  moneyType: MoneyColumn[];
  naiveTimestamps: ColumnType[];
  moneyColumns: number;
  /** Money columns plus timestamps of tables holding money: what the score counts. */
  probes: number;
}

const key = (c: Pick<ColumnType, 'schema' | 'table' | 'column'>) => `${c.schema}.${c.table}.${c.column}`;

/**
 * Pure classification of a schema's columns, given each number column's sampled values (by schema.table.column): a
 * column is money by judgeMoney's evidence, and the name matcher only adds weight to it.
 */
export function classifyColumns(columns: ColumnType[], stats: Map<string, ValueStats>, isMoneyName: (c: string) => boolean): TypeFindings {
  const money: MoneyColumn[] = [];
  for (const c of columns) {
    if (!c.number_type) continue;
    const judgement = judgeMoney({
      type: c.number_type, scale: c.scale ?? null, column: c.column, domain: c.domain ?? null, domainComment: c.domain_comment ?? null,
      comment: c.comment ?? null, stats: stats.get(key(c)) ?? null,
    }, isMoneyName(c.column));
    if (judgement.money) money.push({ ...c, judgement });
  }
  const financialTables = new Set(money.map((c) => `${c.schema}.${c.table}`));
  const stamps = columns.filter((c) => c.type.startsWith('timestamp') && financialTables.has(`${c.schema}.${c.table}`));
  return {
    floatMoney: money.filter((c) => FLOATS.has(c.number_type!)),
    moneyType: money.filter((c) => c.number_type === 'money'),
    naiveTimestamps: stamps.filter((c) => c.type.endsWith('without time zone')),
    moneyColumns: money.length,
    probes: money.length + stamps.length,
  };
}

/** Samples every number column of each table in one bounded statement; a table that cannot be read is reported as not verified. */
async function sampleValues(ctx: CheckContext, db: ReadOnlySession, columns: ColumnType[]): Promise<Map<string, ValueStats>> {
  const byTable = new Map<string, ColumnType[]>();
  for (const c of columns.filter((x) => x.number_type)) {
    const t = `${c.schema}.${c.table}`;
    byTable.set(t, [...(byTable.get(t) ?? []), c]);
  }
  const out = new Map<string, ValueStats>();
  for (const cols of byTable.values()) {
    const { schema, table, est_rows: est, partitioned } = cols[0]!;
    try {
      const sql = sampleSql(schema, table, cols.map((c) => ({ column: c.column, type: c.number_type! })), est ?? 0, partitioned ?? false);
      const [row] = await db.query<{ stats: Array<Record<string, unknown>> }>(sql, [], { timeoutMs: 10_000 });
      row!.stats.forEach((s, i) => out.set(key(cols[i]!), toStats(s)));
    } catch (err) {
      const e = failure(err);
      unverified(ctx, `could not sample the values of ${schema}.${table}`, `${e.message} Its number columns were judged by their declarations alone.`, `${schema}.${table}`,
        e.kind === '42501' ? `Grant the role SELECT on ${qualified(schema, table)}.` : undefined);
    }
  }
  return out;
}

const why = (c: MoneyColumn) => `Judged money because: ${c.judgement.signals.join('; ')}.`;

function report(ctx: CheckContext, f: TypeFindings): void {
  for (const c of f.floatMoney) {
    const statement = `ALTER TABLE ${qualified(c.schema, c.table)} ALTER COLUMN ${quoteIdent(c.column)} TYPE numeric(19,4);`;
    ctx.finding({
      severity: 'error', subject: key(c), title: `money column ${key(c)} is ${c.number_type}${c.domain ? ` (through domain ${c.domain})` : ''}`,
      detail: `${why(c)} Binary floating point cannot hold most decimal amounts exactly (0.1 + 0.2 = 0.30000000000000004), so sums drift by fractions of a cent, equal amounts can compare unequal, and rounding differs between the database and the application. Errors accumulate over balances and interest.`,
      recommendation: `${statement} (or store integer cents as bigint) and check the converted values against the source of truth.`,
      data: { table: `${c.schema}.${c.table}`, column: c.column, type: c.number_type, signals: c.judgement.signals, statements: [statement] },
    });
  }
  for (const c of f.moneyType) {
    const statement = `ALTER TABLE ${qualified(c.schema, c.table)} ALTER COLUMN ${quoteIdent(c.column)} TYPE numeric(19,4) USING ${quoteIdent(c.column)}::numeric;`;
    ctx.finding({
      severity: 'error', subject: key(c), title: `money column ${key(c)} uses the money type${c.domain ? ` (through domain ${c.domain})` : ''}`,
      detail: 'The money type has a fixed number of decimals taken from the server\'s lc_monetary setting and no currency: the same dump restored under another locale changes meaning, and amounts with more precision (FX rates, crypto, unit prices) are rounded.',
      recommendation: `${statement} keep the currency in its own column.`,
      data: { table: `${c.schema}.${c.table}`, column: c.column, type: c.number_type, signals: c.judgement.signals, statements: [statement] },
    });
  }
  for (const c of f.naiveTimestamps) {
    const statement = `ALTER TABLE ${qualified(c.schema, c.table)} ALTER COLUMN ${quoteIdent(c.column)} TYPE timestamptz USING ${quoteIdent(c.column)} AT TIME ZONE 'UTC';`;
    ctx.finding({
      severity: 'warn', subject: key(c), title: `${key(c)} is ${c.type} in a table holding money`,
      detail: 'A timestamp without time zone records a wall-clock reading, not an instant: events around a DST change or written by clients in other time zones are ambiguous, which misplaces transactions across day, month and statement boundaries.',
      recommendation: `${statement} (replace UTC with the zone the values were written in; it rewrites the table)`,
      data: { table: `${c.schema}.${c.table}`, column: c.column, type: c.type, statements: [statement] },
    });
  }
}

export const typesCheck: Check = {
  id: 'integrity.types',
  category: 'integrity',
  title: 'Types: money in floating point, naive timestamps',
  needs: ['pg'],
  metrics: [INTEGRITY_UNVERIFIED, INTEGRITY_DAMAGED_PROBES, INTEGRITY_PROBES, FLOAT_MONEY_COLUMNS, NAIVE_TIMESTAMP_COLUMNS],
  writes: false,
  thresholds: () => ({ float_money_columns: ['count==0'], naive_timestamp_columns: [{ warn: 'count==0' }], integrity_unverified: [{ warn: 'count==0' }] }),
  run: (ctx) => scoredRun(ctx, 'integrity.types', async () => {
    ctx.metrics.headline('float_money_columns');
    const db = await readOnlySession(ctx, 'stackprobe-integrity');
    const schemas = await targetSchemas(ctx, db);
    const columns = await db.query<ColumnType>(COLUMNS_SQL, [schemas]);
    const stats = await sampleValues(ctx, db, columns);
    const f = classifyColumns(columns, stats, moneyMatcher(ctx.config.integrity.money_columns));
    ctx.metrics.counter(FLOAT_MONEY_COLUMNS).add(f.floatMoney.length + f.moneyType.length);
    ctx.metrics.counter(NAIVE_TIMESTAMP_COLUMNS).add(f.naiveTimestamps.length);
    ctx.info('moneyColumns', f.moneyColumns);
    ctx.info('moneyEvidence', Object.fromEntries([...f.floatMoney, ...f.moneyType].map((c) => [key(c), c.judgement.signals])));
    report(ctx, f);
  }),
};
