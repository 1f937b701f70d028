// integrity.foreign_keys: orphaned rows behind every foreign key (NOT VALID ones and disabled triggers included), and *_id columns with none.
import { qualified, quoteIdent } from '../../workload/sql.js';
import type { Check, CheckContext } from '../types.js';
import { FOREIGN_KEYS_SQL, IMPLICIT_FK_SQL, orphansSql, SENTINELS, type ForeignKey, type ImplicitCandidate, type OrphanRow } from './fk-sql.js';
import { failure, readOnlySession, type ReadOnlySession } from './read-only.js';
import { probe, scoredRun } from './score.js';
import { targetSchemas, unverified } from './scope.js';
import { FK_ORPHAN_ROWS, IMPLICIT_FK_ORPHAN_ROWS, IMPLICIT_FK_SENTINEL_ROWS, INTEGRITY_DAMAGED_PROBES, INTEGRITY_PROBES, INTEGRITY_UNVERIFIED, UNCONSTRAINED_FK_COLUMNS } from './metrics.js';

interface Orphans {
  count: number;
  keys: number;
  partial: number;
  /** Distinct example keys, most frequent first, with their row counts. */
  sample: Array<{ key: string; rows: number }>;
  /** The one value every orphan holds when it is a "none" placeholder (0, -1, ''). */
  sentinel?: string;
}

async function countOrphans(ctx: CheckContext, db: ReadOnlySession, f: Parameters<typeof orphansSql>[0], what: string): Promise<Orphans | undefined> {
  try {
    const rows = await db.query<OrphanRow>(orphansSql(f, ctx.config.integrity.sample_rows));
    if (rows.length === 0) return { count: 0, keys: 0, partial: 0, sample: [] };
    const first = rows[0]!;
    const o: Orphans = {
      count: Number(first.n), keys: Number(first.keys), partial: Number(first.partial),
      sample: ctx.config.integrity.sample_rows === 0 ? [] : rows.map((r) => ({ key: r.key, rows: Number(r.rows) })),
    };
    if (o.keys === 1 && o.partial === 0 && SENTINELS.has(first.key)) o.sentinel = first.key;
    return o;
  } catch (err) {
    const e = failure(err);
    unverified(ctx, `could not check ${what}`, e.message, `${f.schema}.${f.table}`,
      e.kind === '42501' ? `Grant the role SELECT on ${qualified(f.schema, f.table)} and ${qualified(f.ref_schema, f.ref_table)}.` : undefined);
    return undefined;
  }
}

const examples = (o: Orphans) => o.sample.map((s) => (s.rows > 1 ? `${s.key} (${s.rows} rows)` : s.key)).join('; ');
const literal = (v: string) => `'${v.replaceAll("'", "''")}'`;

function whyMissed(fk: ForeignKey): string {
  const off = fk.disabled_on.length > 0 ? `its triggers are disabled on ${fk.disabled_on.join(', ')} (writes there since then were not checked)` : '';
  if (!fk.validated && off) return `The constraint is NOT VALID (existing rows were never checked) and ${off}.`;
  if (!fk.validated) return 'The constraint is NOT VALID: rows that existed when it was added were never checked.';
  if (off) return `The constraint is valid, but ${off}.`;
  return 'The constraint is valid and its triggers are enabled everywhere, so these rows got in another way (session_replication_role = replica, a restore with triggers disabled, or corruption).';
}

/** toNull's text as its statements (each ends in `;`, none contains one inside a literal but the placeholder's, which is quoted). */
const statementsOf = (text: string): string[] => text.match(/(?:[^;']|'(?:[^']|'')*')+;/g)?.map((x) => x.trim()) ?? [];

const COLUMN_SQL = `SELECT attnotnull AS not_null, atthasdef AS has_default FROM pg_attribute WHERE attrelid = format('%I.%I', $1::text, $2::text)::regclass AND attname = $3`;

/** The statements that let a column hold NULL for "none": its NOT NULL and a DEFAULT of the placeholder go first. */
async function toNull(db: ReadOnlySession, schema: string, table: string, column: string, sentinel: string): Promise<string> {
  const [c] = await db.query<{ not_null: boolean; has_default: boolean }>(COLUMN_SQL, [schema, table, column]);
  const col = quoteIdent(column);
  const alter = [...(c?.has_default ? [`ALTER COLUMN ${col} DROP DEFAULT`] : []), ...(c?.not_null ? [`ALTER COLUMN ${col} DROP NOT NULL`] : [])];
  return `${alter.length > 0 ? `ALTER TABLE ${qualified(schema, table)} ${alter.join(', ')}; ` : ''}UPDATE ${qualified(schema, table)} SET ${col} = NULL WHERE ${col} = ${literal(sentinel)};`;
}

/** The statements that enforce a declared key again: its triggers back on, then VALIDATE when it is NOT VALID. */
function enforcing(fk: ForeignKey): string[] {
  return [
    ...fk.disabled_on.map((r) => `ALTER TABLE ${r} ENABLE TRIGGER ALL;`),
    ...(fk.validated ? [] : [`ALTER TABLE ${qualified(fk.schema, fk.table)} VALIDATE CONSTRAINT ${quoteIdent(fk.name)};`]),
  ];
}

/** What to do about a declared foreign key's violations: NULL for a "none" placeholder, otherwise fix rows, then enforce. */
function adviceFor(fk: ForeignKey, o: Orphans, nullify: string | undefined): string {
  const enforce = enforcing(fk).join(' ');
  if (o.sentinel !== undefined && nullify) {
    return `Every violating row holds ${literal(o.sentinel)}, a placeholder for "none", not a lost parent: store NULL instead (a foreign key accepts NULL): ${nullify} Change the application to write NULL${enforce ? `, then: ${enforce}` : '.'}`;
  }
  const partial = o.partial > 0 ? `${o.partial} row(s) have a key that is partly NULL, which MATCH FULL forbids: set all of its columns or none. ` : '';
  return `${partial}Find where these rows came from, then delete them or insert the missing parents${enforce ? `; then ${enforce}` : '.'}`;
}

async function declared(ctx: CheckContext, db: ReadOnlySession, schemas: string[]): Promise<void> {
  const fks = await db.query<ForeignKey>(FOREIGN_KEYS_SQL, [schemas]);
  for (const fk of fks) {
    ctx.progress(`${fk.schema}.${fk.table} → ${fk.ref_table}`);
    const o = await countOrphans(ctx, db, fk, `foreign key ${fk.name}`);
    if (!o) continue;
    probe(ctx, o.count > 0);
    ctx.metrics.counter(FK_ORPHAN_ROWS).add(o.count);
    if (o.count === 0) {
      if (!fk.validated || fk.disabled_on.length > 0) {
        ctx.finding({
          severity: 'info', subject: `${fk.schema}.${fk.table}`,
          title: `foreign key ${fk.name} is ${fk.validated ? `not enforced on ${fk.disabled_on.join(', ')} (triggers disabled)` : 'NOT VALID'} but no row violates it today`,
          recommendation: enforcing(fk).join(' '), data: { statements: enforcing(fk) },
        });
      }
      continue;
    }
    const what = o.sentinel !== undefined ? `all holding the placeholder ${literal(o.sentinel)}` : `${o.keys} distinct key(s)`;
    const nullify = o.sentinel !== undefined && fk.columns.length === 1 ? await toNull(db, fk.schema, fk.table, fk.columns[0]!, o.sentinel) : undefined;
    ctx.finding({
      severity: 'error', subject: `${fk.schema}.${fk.table}`,
      title: `${o.count} ${o.partial > 0 ? 'violating' : 'orphaned'} row(s) in ${fk.schema}.${fk.table} (${fk.columns.join(', ')}) → ${fk.ref_schema}.${fk.ref_table} (${fk.ref_columns.join(', ')}), constraint ${fk.name}, ${what}${o.partial > 0 ? ` (${o.partial} with a partly-NULL key under MATCH FULL)` : ''}`,
      detail: `${whyMissed(fk)} Example keys: ${examples(o)}.`,
      recommendation: adviceFor(fk, o, nullify),
      data: {
        constraint: fk.name, table: `${fk.schema}.${fk.table}`, references: `${fk.ref_schema}.${fk.ref_table}`, orphans: o.count, distinctKeys: o.keys,
        partialKeys: o.partial, sample: o.sample, sentinel: o.sentinel ?? null, validated: fk.validated, triggersDisabledOn: fk.disabled_on, matchFull: fk.match_full,
        // The rows are fixed by hand (except a placeholder, which the UPDATE turns into NULL); the rest re-enforces the key.
        statements: [...(nullify ? statementsOf(nullify) : []), ...enforcing(fk)],
      },
    });
  }
  ctx.info('foreignKeys', fks.length);
}

/** *_id columns without a constraint: a hazard (warn), never counted as damage, since nothing declares the reference. */
async function implicit(ctx: CheckContext, db: ReadOnlySession, schemas: string[]): Promise<void> {
  const candidates = await db.query<ImplicitCandidate>(IMPLICIT_FK_SQL, [schemas]);
  for (const c of candidates) {
    const f = { schema: c.schema, table: c.table, columns: [c.column], ref_schema: c.ref_schema, ref_table: c.ref_table, ref_columns: [c.ref_column] };
    const o = await countOrphans(ctx, db, f, `column ${c.schema}.${c.table}.${c.column}`);
    if (!o) continue;
    ctx.metrics.counter(UNCONSTRAINED_FK_COLUMNS).add(1);
    const subject = `${c.schema}.${c.table}.${c.column}`;
    // NOT VALID is refused on a partitioned table: there the constraint is checked as it is added (it reads every partition).
    const add = `ALTER TABLE ${qualified(c.schema, c.table)} ADD FOREIGN KEY (${quoteIdent(c.column)}) REFERENCES ${qualified(c.ref_schema, c.ref_table)} (${quoteIdent(c.ref_column)})${c.partitioned ? '' : ' NOT VALID'};`;
    const then = c.partitioned ? ' (a partitioned table takes no NOT VALID key: this checks every partition\'s rows as it runs)' : ' then VALIDATE CONSTRAINT (no long lock).';
    if (o.sentinel !== undefined) {
      const nullify = await toNull(db, c.schema, c.table, c.column, o.sentinel);
      ctx.metrics.counter(IMPLICIT_FK_SENTINEL_ROWS).add(o.count);
      ctx.finding({
        severity: 'info', subject,
        title: `${subject} uses ${literal(o.sentinel)} for "none" in ${o.count} row(s); every other value has a row in ${c.ref_table}`,
        detail: `It looks like a reference to ${c.ref_table}.${c.ref_column} without a foreign key. The rows holding ${literal(o.sentinel)} are a placeholder, not lost parents.`,
        recommendation: `Store NULL for "none": ${nullify} Then add the constraint: ${add}${c.partitioned ? '' : ' and VALIDATE it.'}`,
        data: { table: `${c.schema}.${c.table}`, column: c.column, references: `${c.ref_schema}.${c.ref_table}.${c.ref_column}`, sentinel: o.sentinel, rows: o.count, partitioned: c.partitioned,
          statements: [...statementsOf(nullify), add] },
      });
      continue;
    }
    ctx.metrics.counter(IMPLICIT_FK_ORPHAN_ROWS).add(o.count);
    ctx.finding({
      severity: o.count > 0 ? 'warn' : 'info', subject,
      title: `${subject} looks like a reference to ${c.ref_table}.${c.ref_column} but has no foreign key${o.count > 0 ? `; ${o.count} row(s) point nowhere (${o.keys} distinct value(s))` : ''}`,
      ...(o.count > 0 ? { detail: `Example values: ${examples(o)}.` } : {}),
      recommendation: `${o.count > 0 ? 'If it is a reference, fix the rows pointing nowhere, then add' : 'Add'} the constraint: ${add}${then}`,
      data: { table: `${c.schema}.${c.table}`, column: c.column, references: `${c.ref_schema}.${c.ref_table}.${c.ref_column}`, orphans: o.count, sample: o.sample, partitioned: c.partitioned, statements: [add] },
    });
  }
}

export const foreignKeysCheck: Check = {
  id: 'integrity.foreign_keys',
  category: 'integrity',
  title: 'Foreign keys: orphaned rows',
  needs: ['pg'],
  metrics: [FK_ORPHAN_ROWS, IMPLICIT_FK_ORPHAN_ROWS, IMPLICIT_FK_SENTINEL_ROWS, UNCONSTRAINED_FK_COLUMNS, INTEGRITY_UNVERIFIED, INTEGRITY_DAMAGED_PROBES, INTEGRITY_PROBES],
  writes: false,
  thresholds: () => ({ fk_orphan_rows: ['count==0'], implicit_fk_orphan_rows: [{ warn: 'count==0' }], integrity_unverified: [{ warn: 'count==0' }] }),
  run: (ctx) => scoredRun(ctx, 'integrity.foreign_keys', async () => {
    ctx.metrics.headline('fk_orphan_rows');
    const db = await readOnlySession(ctx, 'stackprobe-integrity');
    const schemas = await targetSchemas(ctx, db);
    for (const decl of [FK_ORPHAN_ROWS, IMPLICIT_FK_ORPHAN_ROWS, IMPLICIT_FK_SENTINEL_ROWS, UNCONSTRAINED_FK_COLUMNS]) ctx.metrics.counter(decl).add(0);
    await declared(ctx, db, schemas);
    if (ctx.config.integrity.implicit_foreign_keys) await implicit(ctx, db, schemas);
  }),
};
