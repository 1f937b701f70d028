// integrity.foreign_keys: orphaned rows behind every foreign key (NOT VALID ones and disabled triggers included), and *_id columns with none.
import { qualified } from '../../workload/sql.js';
import type { Check, CheckContext } from '../types.js';
import { FOREIGN_KEYS_SQL, IMPLICIT_FK_SQL, orphansSql, type ForeignKey, type ImplicitCandidate } from './fk-sql.js';
import { failure, readOnlySession, type ReadOnlySession } from './read-only.js';
import { scored } from './score.js';
import { targetSchemas, unverified } from './scope.js';

interface Orphans {
  count: number;
  sample: string[];
}

async function countOrphans(ctx: CheckContext, db: ReadOnlySession, f: Parameters<typeof orphansSql>[0], what: string): Promise<Orphans | undefined> {
  try {
    const rows = await db.query<{ n: string; key: string }>(orphansSql(f, ctx.config.integrity.sample_rows));
    return { count: rows.length === 0 ? 0 : Number(rows[0]!.n), sample: ctx.config.integrity.sample_rows === 0 ? [] : rows.map((r) => r.key) };
  } catch (err) {
    const e = failure(err);
    unverified(ctx, `could not check ${what}`, e.message, `${f.schema}.${f.table}`,
      e.kind === '42501' ? `Grant the role SELECT on ${qualified(f.schema, f.table)} and ${qualified(f.ref_schema, f.ref_table)}.` : undefined);
    return undefined;
  }
}

function whyMissed(fk: ForeignKey): string {
  if (!fk.validated && fk.triggers_disabled) return 'The constraint is NOT VALID (existing rows were never checked) and its triggers are disabled (new rows are not checked).';
  if (!fk.validated) return 'The constraint is NOT VALID: rows that existed when it was added were never checked.';
  if (fk.triggers_disabled) return 'The constraint\'s triggers are disabled (ALTER TABLE … DISABLE TRIGGER), so writes since then were not checked.';
  return 'The constraint is valid and enforced, so these rows got in another way (session_replication_role = replica, a restore with triggers disabled, or corruption).';
}

async function declared(ctx: CheckContext, db: ReadOnlySession, schemas: string[]): Promise<{ probes: number; clean: number }> {
  const fks = await db.query<ForeignKey>(FOREIGN_KEYS_SQL, [schemas]);
  let clean = 0;
  let probes = 0;
  for (const fk of fks) {
    ctx.progress(`${fk.schema}.${fk.table} → ${fk.ref_table}`);
    const o = await countOrphans(ctx, db, fk, `foreign key ${fk.name}`);
    if (!o) continue;
    probes++;
    ctx.metrics.counter('fk_orphan_rows').add(o.count);
    if (o.count === 0) {
      clean++;
      if (!fk.validated || fk.triggers_disabled) {
        ctx.finding({ severity: 'info', subject: `${fk.schema}.${fk.table}`, title: `foreign key ${fk.name} is ${fk.validated ? 'not enforced (triggers disabled)' : 'NOT VALID'} but has no orphans today`,
          recommendation: fk.validated ? `ALTER TABLE ${qualified(fk.schema, fk.table)} ENABLE TRIGGER ALL;` : `ALTER TABLE ${qualified(fk.schema, fk.table)} VALIDATE CONSTRAINT ${fk.name};` });
      }
      continue;
    }
    ctx.finding({
      severity: 'error', subject: `${fk.schema}.${fk.table}`,
      title: `${o.count} orphaned row(s) in ${fk.schema}.${fk.table} (${fk.columns.join(', ')}) → ${fk.ref_schema}.${fk.ref_table} (${fk.ref_columns.join(', ')}), constraint ${fk.name}`,
      detail: `${whyMissed(fk)} Example keys: ${o.sample.join('; ')}.`,
      recommendation: `Find where these rows came from, then delete them or insert the missing parents; after that ${fk.validated ? 'keep the triggers enabled' : `run ALTER TABLE ${qualified(fk.schema, fk.table)} VALIDATE CONSTRAINT ${fk.name}`}.`,
      data: { constraint: fk.name, table: `${fk.schema}.${fk.table}`, references: `${fk.ref_schema}.${fk.ref_table}`, orphans: o.count, sample: o.sample, validated: fk.validated, triggersDisabled: fk.triggers_disabled },
    });
  }
  ctx.info('foreignKeys', fks.length);
  return { probes, clean };
}

async function implicit(ctx: CheckContext, db: ReadOnlySession, schemas: string[]): Promise<{ probes: number; clean: number }> {
  const candidates = await db.query<ImplicitCandidate>(IMPLICIT_FK_SQL, [schemas]);
  let clean = 0;
  let probes = 0;
  for (const c of candidates) {
    const f = { schema: c.schema, table: c.table, columns: [c.column], ref_schema: c.ref_schema, ref_table: c.ref_table, ref_columns: [c.ref_column] };
    const o = await countOrphans(ctx, db, f, `column ${c.schema}.${c.table}.${c.column}`);
    if (!o) continue;
    probes++;
    ctx.metrics.counter('unconstrained_fk_columns').add(1);
    ctx.metrics.counter('implicit_fk_orphan_rows').add(o.count);
    if (o.count === 0) clean++;
    ctx.finding({
      severity: o.count > 0 ? 'warn' : 'info', subject: `${c.schema}.${c.table}.${c.column}`,
      title: `${c.schema}.${c.table}.${c.column} looks like a reference to ${c.ref_table}.${c.ref_column} but has no foreign key${o.count > 0 ? `; ${o.count} row(s) point nowhere` : ''}`,
      ...(o.count > 0 ? { detail: `Example values: ${o.sample.join(', ')}.` } : {}),
      recommendation: `${o.count > 0 ? 'Fix the orphaned rows, then add' : 'Add'} the constraint: ALTER TABLE ${qualified(c.schema, c.table)} ADD FOREIGN KEY (${c.column}) REFERENCES ${qualified(c.ref_schema, c.ref_table)} (${c.ref_column}) NOT VALID; then VALIDATE CONSTRAINT (no long lock).`,
      data: { table: `${c.schema}.${c.table}`, column: c.column, references: `${c.ref_schema}.${c.ref_table}.${c.ref_column}`, orphans: o.count, sample: o.sample },
    });
  }
  return { probes, clean };
}

export const foreignKeysCheck: Check = {
  id: 'integrity.foreign_keys',
  category: 'integrity',
  title: 'Foreign keys: orphaned rows',
  needs: ['pg'],
  writes: false,
  thresholds: () => ({ fk_orphan_rows: ['count==0'], implicit_fk_orphan_rows: [{ warn: 'count==0' }], integrity_unverified: [{ warn: 'count==0' }] }),
  async run(ctx) {
    const done = await scored(ctx, 'integrity.foreign_keys');
    const db = await readOnlySession(ctx, 'stackprobe-integrity');
    const schemas = await targetSchemas(ctx, db);
    for (const name of ['fk_orphan_rows', 'implicit_fk_orphan_rows', 'unconstrained_fk_columns']) ctx.metrics.counter(name).add(0);
    const a = await declared(ctx, db, schemas);
    const b = ctx.config.integrity.implicit_foreign_keys ? await implicit(ctx, db, schemas) : { probes: 0, clean: 0 };
    done(a.probes + b.probes, a.clean + b.clean);
  },
};
