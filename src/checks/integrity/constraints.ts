// integrity.constraints: NOT VALID check constraints that data violates, NULLs in columns declared not-null, duplicates in columns declared unique.
import { qualified, quoteIdent } from '../../workload/sql.js';
import type { Check, CheckContext } from '../types.js';
import { failure, readOnlySession, type ReadOnlySession } from './read-only.js';
import { resolveDeclaration } from './resolve.js';
import { probe as countProbe, scoredRun } from './score.js';
import { targetSchemas, unverified } from './scope.js';
import { CHECK_VIOLATION_ROWS, DECLARED_NOT_NULL_VIOLATIONS, DECLARED_UNIQUE_DUPLICATES, INTEGRITY_DAMAGED_PROBES, INTEGRITY_PROBES, INTEGRITY_UNVERIFIED } from './metrics.js';

/** Check constraints never validated: rows that existed when they were added (or were added with triggers off) may break them. */
const NOT_VALID_CHECKS_SQL = `
  SELECT k.conname AS name, n.nspname AS schema, c.relname AS table, pg_get_expr(k.conbin, k.conrelid) AS expr
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE k.contype = 'c' AND NOT k.convalidated AND k.conparentid = 0 AND n.nspname = ANY($1::text[])
  ORDER BY n.nspname, c.relname, k.conname`;

async function probe(ctx: CheckContext, db: ReadOnlySession, sql: string, what: string, subject: string): Promise<Array<Record<string, string>> | undefined> {
  try {
    return await db.query<Record<string, string>>(sql);
  } catch (err) {
    const e = failure(err);
    unverified(ctx, `could not check ${what}`, e.message, subject, e.kind === '42501' ? `Grant the role SELECT on ${subject}.` : undefined);
    return undefined;
  }
}

async function notValidChecks(ctx: CheckContext, db: ReadOnlySession, schemas: string[]): Promise<void> {
  const sample = Math.max(1, ctx.config.integrity.sample_rows);
  for (const k of await db.query<{ name: string; schema: string; table: string; expr: string }>(NOT_VALID_CHECKS_SQL, [schemas])) {
    const subject = `${k.schema}.${k.table}`;
    // A CHECK passes when its expression is true or NULL: only FALSE violates it.
    const rows = await probe(ctx, db, `SELECT count(*) OVER () AS n, stackprobe_row::text AS row FROM ${qualified(k.schema, k.table)} stackprobe_row WHERE (${k.expr}) IS FALSE LIMIT ${sample}`, `check constraint ${k.name}`, subject);
    if (!rows) continue;
    const n = rows.length === 0 ? 0 : Number(rows[0]!.n);
    countProbe(ctx, n > 0);
    ctx.metrics.counter(CHECK_VIOLATION_ROWS).add(n);
    if (n === 0) {
      const validate = `ALTER TABLE ${qualified(k.schema, k.table)} VALIDATE CONSTRAINT ${quoteIdent(k.name)};`;
      ctx.finding({ severity: 'info', subject, title: `check constraint ${k.name} is NOT VALID but all rows satisfy it`, recommendation: validate, data: { statements: [validate] } });
      continue;
    }
    ctx.finding({
      severity: 'error', subject, title: `${n} row(s) of ${subject} violate the NOT VALID check constraint ${k.name} (CHECK (${k.expr}))`,
      detail: `Rows that existed when the constraint was added were never checked. Examples: ${rows.slice(0, ctx.config.integrity.sample_rows).map((r) => r.row).join('; ')}.`,
      recommendation: `Correct those rows, then ALTER TABLE ${qualified(k.schema, k.table)} VALIDATE CONSTRAINT ${quoteIdent(k.name)};`,
      data: { constraint: k.name, table: subject, expression: k.expr, violations: n, statements: [`ALTER TABLE ${qualified(k.schema, k.table)} VALIDATE CONSTRAINT ${quoteIdent(k.name)};`] },
    });
  }
}

async function declaredNotNull(ctx: CheckContext, db: ReadOnlySession, schemas: string[]): Promise<void> {
  for (const [i, decl] of ctx.config.integrity.not_null.entries()) {
    const table = await resolveDeclaration(ctx, db, schemas, decl, `config.integrity.not_null[${i}]`);
    if (!table) continue;
    const from = qualified(table.schema, table.table);
    const sums = decl.columns.map((c, j) => `count(*) FILTER (WHERE ${quoteIdent(c)} IS NULL) AS c${j}`).join(', ');
    const rows = await probe(ctx, db, `SELECT ${sums} FROM ${from}`, `config.integrity.not_null[${i}]`, `${table.schema}.${table.table}`);
    if (!rows) continue;
    decl.columns.forEach((col, j) => {
      const n = Number(rows[0]![`c${j}`]);
      countProbe(ctx, n > 0);
      ctx.metrics.counter(DECLARED_NOT_NULL_VIOLATIONS).add(n);
      if (n === 0) return;
      ctx.finding({
        severity: 'error', subject: `${table.schema}.${table.table}.${col}`, title: `${n} NULL(s) in ${table.schema}.${table.table}.${col}, declared not-null in config.integrity.not_null[${i}]`,
        recommendation: `Fill them in, then enforce it: ALTER TABLE ${from} ALTER COLUMN ${quoteIdent(col)} SET NOT NULL;`,
        data: { table: `${table.schema}.${table.table}`, column: col, nulls: n, statements: [`ALTER TABLE ${from} ALTER COLUMN ${quoteIdent(col)} SET NOT NULL;`] },
      });
    });
  }
}

async function declaredUnique(ctx: CheckContext, db: ReadOnlySession, schemas: string[]): Promise<void> {
  for (const [i, decl] of ctx.config.integrity.unique.entries()) {
    const table = await resolveDeclaration(ctx, db, schemas, decl, `config.integrity.unique[${i}]`);
    if (!table) continue;
    const cols = decl.columns.map(quoteIdent);
    const key = cols.length === 1 ? `${cols[0]}::text` : `concat_ws(', ', ${cols.map((c) => `${c}::text`).join(', ')})`;
    // NULLs are never equal to each other, as in a UNIQUE constraint.
    const sql = `SELECT count(*) OVER () AS groups, sum(n - 1) OVER () AS extra, key, n FROM (
      SELECT ${key} AS key, count(*) AS n FROM ${qualified(table.schema, table.table)} WHERE ${cols.map((c) => `${c} IS NOT NULL`).join(' AND ')}
      GROUP BY ${cols.join(', ')} HAVING count(*) > 1) d ORDER BY n DESC, key LIMIT ${Math.max(1, ctx.config.integrity.sample_rows)}`;
    const rows = await probe(ctx, db, sql, `config.integrity.unique[${i}]`, `${table.schema}.${table.table}`);
    if (!rows) continue;
    const extra = rows.length === 0 ? 0 : Number(rows[0]!.extra);
    countProbe(ctx, extra > 0);
    ctx.metrics.counter(DECLARED_UNIQUE_DUPLICATES).add(extra);
    if (extra === 0) continue;
    ctx.finding({
      severity: 'error', subject: `${table.schema}.${table.table}`,
      title: `${rows[0]!.groups} value(s) of (${decl.columns.join(', ')}) in ${table.schema}.${table.table} occur more than once (${extra} extra row(s)), declared unique in config.integrity.unique[${i}]`,
      detail: `Most repeated: ${rows.map((r) => `${r.key} ×${r.n}`).join('; ')}.`,
      recommendation: `Merge or remove the duplicates, then enforce it: CREATE UNIQUE INDEX CONCURRENTLY ON ${qualified(table.schema, table.table)} (${cols.join(', ')});`,
      data: {
        table: `${table.schema}.${table.table}`, columns: decl.columns, duplicateValues: Number(rows[0]!.groups), extraRows: extra,
        statements: [`CREATE UNIQUE INDEX CONCURRENTLY ON ${qualified(table.schema, table.table)} (${cols.join(', ')});`],
      },
    });
  }
}

export const constraintsCheck: Check = {
  id: 'integrity.constraints',
  category: 'integrity',
  title: 'Constraints: NOT VALID checks, declared not-null and unique columns',
  needs: ['pg'],
  metrics: [CHECK_VIOLATION_ROWS, DECLARED_NOT_NULL_VIOLATIONS, DECLARED_UNIQUE_DUPLICATES, INTEGRITY_UNVERIFIED, INTEGRITY_DAMAGED_PROBES, INTEGRITY_PROBES],
  writes: false,
  thresholds: () => ({
    check_violation_rows: ['count==0'], declared_not_null_violations: ['count==0'], declared_unique_duplicates: ['count==0'], integrity_unverified: [{ warn: 'count==0' }],
  }),
  run: (ctx) => scoredRun(ctx, 'integrity.constraints', async () => {
    ctx.metrics.headline('check_violation_rows');
    const db = await readOnlySession(ctx, 'stackprobe-integrity');
    const schemas = await targetSchemas(ctx, db);
    for (const decl of [CHECK_VIOLATION_ROWS, DECLARED_NOT_NULL_VIOLATIONS, DECLARED_UNIQUE_DUPLICATES]) ctx.metrics.counter(decl).add(0);
    await notValidChecks(ctx, db, schemas);
    await declaredNotNull(ctx, db, schemas);
    await declaredUnique(ctx, db, schemas);
  }),
};
