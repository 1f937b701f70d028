// Fingerprints of data computed the same way on the source and the restore: per table/matview row count + checksum, sequence positions, large objects.
import type { PgSession } from '../../targets/pg/types.js';
import { errorKind } from '../../util/errors.js';
import { qualified, quoteIdent } from '../../workload/sql.js';
import type { Relation } from './scope.js';
import { IN_SCOPE } from './scope.js';

/** What one object looked like: `null` fingerprint when it could not be read (then it is reported as not compared). */
export interface Fingerprint {
  rows: number;
  sum: string | null;
}

const ALIAS = 'stackprobe_row';

/**
 * One scan: the row count and md5 over the md5 of each row's text, in primary-key order (by the whole row's text
 * without one). Both sides run with the same settings and, since the scratch copy has the source's locale, the same
 * collation, so text forms and orders are comparable.
 */
export function relationSumSql(r: Pick<Relation, 'schema' | 'name' | 'pk'>, from = `ONLY ${qualified(r.schema, r.name)}`): string {
  const order = r.pk.length > 0 ? r.pk.map((c) => `${ALIAS}.${quoteIdent(c)}`).join(', ') : `${ALIAS}::text`;
  return `SELECT count(*) AS rows, md5(string_agg(md5(${ALIAS}::text), '' ORDER BY ${order})) AS sum FROM ${from} ${ALIAS}`;
}

export async function relationSums(db: PgSession, rels: Relation[], signal: AbortSignal): Promise<Map<string, Fingerprint>> {
  const out = new Map<string, Fingerprint>();
  for (const r of rels) {
    signal.throwIfAborted();
    // An unpopulated materialised view cannot be read; pg_dump leaves it unpopulated too.
    if (r.kind === 'm' && !r.populated) {
      out.set(key(r), { rows: -1, sum: 'not populated' });
      continue;
    }
    const row = (await db.query<{ rows: string; sum: string | null }>(relationSumSql(r))).rows[0]!;
    out.set(key(r), { rows: Number(row.rows), sum: row.sum });
  }
  return out;
}

/** The checksum of a materialised view's defining query now (to tell a stale source view from a bad restore). */
export async function matviewQuerySum(db: PgSession, r: Relation): Promise<Fingerprint> {
  const def = (await db.query<{ d: string }>(`SELECT pg_get_viewdef($1::oid) AS d`, [r.oid])).rows[0]!.d.trim().replace(/;$/, '');
  const row = (await db.query<{ rows: string; sum: string | null }>(relationSumSql({ ...r, pk: [] }, `(${def})`))).rows[0]!;
  return { rows: Number(row.rows), sum: row.sum };
}

export const key = (r: Pick<Relation, 'schema' | 'name'>): string => `${r.schema}.${r.name}`;

export const SEQUENCES_SQL = `
  SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'S' AND ${IN_SCOPE} ORDER BY 1, 2`;

/** Each sequence's position (`last_value`, `is_called`: what nextval() returns next); a sequence we may not read is `sum: null`. */
export async function sequencePositions(db: PgSession, seqs: { schema: string; name: string }[], signal: AbortSignal): Promise<Map<string, Fingerprint>> {
  const out = new Map<string, Fingerprint>();
  for (const s of seqs) {
    signal.throwIfAborted();
    await db.query('SAVEPOINT stackprobe_seq');
    try {
      const r = (await db.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text, is_called FROM ${qualified(s.schema, s.name)}`)).rows[0]!;
      out.set(key(s), { rows: 1, sum: `${r.last_value}${r.is_called ? '' : ' (not called)'}` });
      await db.query('RELEASE SAVEPOINT stackprobe_seq');
    } catch (err) {
      if (errorKind(err) !== '42501') throw err;
      // No SELECT privilege on it: reported as not compared, and the transaction goes on.
      await db.query('ROLLBACK TO SAVEPOINT stackprobe_seq');
      out.set(key(s), { rows: 1, sum: null });
    }
  }
  return out;
}

/** Count and checksum of every large object (its oid and content); pg_dump keeps oids, so the order matches. */
export const LARGE_OBJECTS_SQL = `
  SELECT count(*) AS rows, md5(string_agg(m.oid::text || ':' || md5(lo_get(m.oid)), ',' ORDER BY m.oid)) AS sum FROM pg_largeobject_metadata m`;

export async function largeObjectSum(db: PgSession): Promise<Fingerprint> {
  const r = (await db.query<{ rows: string; sum: string | null }>(LARGE_OBJECTS_SQL)).rows[0]!;
  return { rows: Number(r.rows), sum: r.sum };
}
