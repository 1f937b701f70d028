// integrity.types: money-like columns stored as binary floating point or `money`, and naive timestamps in financial tables.
import { qualified, quoteIdent } from '../../workload/sql.js';
import type { Check, CheckContext } from '../types.js';
import { readOnlySession } from './read-only.js';
import { scoredRun } from './score.js';
import { targetSchemas } from './scope.js';
import { moneyMatcher } from './money-words.js';

/** Columns with their type resolved through domains (a domain over double precision is double precision). */
const COLUMNS_SQL = `
  SELECT n.nspname AS schema, c.relname AS table, a.attname::text AS column, format_type(b.oid, b.typmod) AS type,
    CASE WHEN b.oid <> a.atttypid THEN format_type(a.atttypid, a.atttypmod) END AS domain
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL (
    WITH RECURSIVE d(oid, typmod, depth) AS (
      SELECT a.atttypid, a.atttypmod, 0
      UNION ALL SELECT t.typbasetype, t.typtypmod, d.depth + 1 FROM d JOIN pg_type t ON t.oid = d.oid WHERE t.typtype = 'd' AND d.depth < 32
    ) SELECT oid, typmod FROM d ORDER BY depth DESC LIMIT 1
  ) b
  WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND n.nspname = ANY($1::text[])
    AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)
  ORDER BY n.nspname, c.relname, a.attnum`;

export interface ColumnType {
  schema: string;
  table: string;
  column: string;
  /** The base type, through any domains. */
  type: string;
  /** The domain the column is declared with, when it is one. */
  domain?: string | null;
}

const FLOATS = new Set(['real', 'double precision']);

export { moneyMatcher };

export interface TypeFindings {
  floatMoney: ColumnType[];
  moneyType: ColumnType[];
  naiveTimestamps: ColumnType[];
  moneyColumns: number;
  /** Money columns plus timestamps of tables holding money: what the score counts. */
  probes: number;
}

/** Pure classification of a schema's columns, so it can be tested without a server. */
export function classifyColumns(columns: ColumnType[], isMoney: (c: string) => boolean): TypeFindings {
  const money = columns.filter((c) => isMoney(c.column));
  const financialTables = new Set(money.map((c) => `${c.schema}.${c.table}`));
  const stamps = columns.filter((c) => c.type.startsWith('timestamp') && financialTables.has(`${c.schema}.${c.table}`));
  return {
    floatMoney: money.filter((c) => FLOATS.has(c.type)),
    moneyType: money.filter((c) => c.type === 'money'),
    naiveTimestamps: stamps.filter((c) => c.type.endsWith('without time zone')),
    moneyColumns: money.length,
    probes: money.length + stamps.length,
  };
}

function report(ctx: CheckContext, f: TypeFindings): void {
  for (const c of f.floatMoney) {
    ctx.finding({
      severity: 'error', subject: `${c.schema}.${c.table}.${c.column}`, title: `money column ${c.schema}.${c.table}.${c.column} is ${c.type}${c.domain ? ` (through domain ${c.domain})` : ''}`,
      detail: `Binary floating point cannot hold most decimal amounts exactly (0.1 + 0.2 = 0.30000000000000004), so sums drift by fractions of a cent, equal amounts can compare unequal, and rounding differs between the database and the application. Errors accumulate over balances and interest.`,
      recommendation: `ALTER TABLE ${qualified(c.schema, c.table)} ALTER COLUMN ${quoteIdent(c.column)} TYPE numeric(19,4); (or store integer cents as bigint) and check the converted values against the source of truth.`,
      data: { table: `${c.schema}.${c.table}`, column: c.column, type: c.type },
    });
  }
  for (const c of f.moneyType) {
    ctx.finding({
      severity: 'error', subject: `${c.schema}.${c.table}.${c.column}`, title: `money column ${c.schema}.${c.table}.${c.column} uses the money type${c.domain ? ` (through domain ${c.domain})` : ''}`,
      detail: 'The money type has a fixed number of decimals taken from the server\'s lc_monetary setting and no currency: the same dump restored under another locale changes meaning, and amounts with more precision (FX rates, crypto, unit prices) are rounded.',
      recommendation: `ALTER TABLE ${qualified(c.schema, c.table)} ALTER COLUMN ${quoteIdent(c.column)} TYPE numeric(19,4) USING ${quoteIdent(c.column)}::numeric; keep the currency in its own column.`,
      data: { table: `${c.schema}.${c.table}`, column: c.column, type: c.type },
    });
  }
  for (const c of f.naiveTimestamps) {
    ctx.finding({
      severity: 'warn', subject: `${c.schema}.${c.table}.${c.column}`, title: `${c.schema}.${c.table}.${c.column} is ${c.type} in a table holding money`,
      detail: 'A timestamp without time zone records a wall-clock reading, not an instant: events around a DST change or written by clients in other time zones are ambiguous, which misplaces transactions across day, month and statement boundaries.',
      recommendation: `ALTER TABLE ${qualified(c.schema, c.table)} ALTER COLUMN ${quoteIdent(c.column)} TYPE timestamptz USING ${quoteIdent(c.column)} AT TIME ZONE 'UTC'; (replace UTC with the zone the values were written in; it rewrites the table)`,
      data: { table: `${c.schema}.${c.table}`, column: c.column, type: c.type },
    });
  }
}

export const typesCheck: Check = {
  id: 'integrity.types',
  category: 'integrity',
  title: 'Types: money in floating point, naive timestamps',
  needs: ['pg'],
  writes: false,
  thresholds: () => ({ float_money_columns: ['count==0'], naive_timestamp_columns: [{ warn: 'count==0' }], integrity_unverified: [{ warn: 'count==0' }] }),
  run: (ctx) => scoredRun(ctx, 'integrity.types', async () => {
    ctx.metrics.describe('float_money_columns', { meaning: 'defects', description: 'money-like columns stored as real, double precision or money (a hazard, not damage)' });
    ctx.metrics.describe('naive_timestamp_columns', { meaning: 'defects', description: 'timestamp without time zone columns in tables holding money (a hazard)' });
    ctx.metrics.headline('float_money_columns');
    const db = await readOnlySession(ctx, 'stackprobe-integrity');
    const schemas = await targetSchemas(ctx, db);
    const columns = await db.query<ColumnType>(COLUMNS_SQL, [schemas]);
    const f = classifyColumns(columns, moneyMatcher(ctx.config.integrity.money_columns));
    ctx.metrics.counter('float_money_columns').add(f.floatMoney.length + f.moneyType.length);
    ctx.metrics.counter('naive_timestamp_columns').add(f.naiveTimestamps.length);
    ctx.info('moneyColumns', f.moneyColumns);
    report(ctx, f);
  }),
};
