// Verifies a restored copy on the drill's private server: amcheck, the user's invariants, and row counts per table against the live database.
import type { PgClient } from '../../../targets/pg/types.js';
import { queryReadOnly } from '../../../targets/pg/read-only.js';
import { openPrivateClient } from '../../../targets/pg/target.js';
import { redactText } from '../../../util/redact.js';
import { quoteIdent } from '../../../workload/sql.js';
import type { CheckContext } from '../../types.js';
import { INVARIANTS_CHECKED, RELATIONS_AMCHECKED, ROWS_RESTORED, TABLES_RESTORED } from '../metrics.js';

export interface Verified {
  defects: number;
  tables: number;
  rowsRestored: number;
  changedSinceBackup: string[];
}

const TABLES_SQL = `SELECT n.nspname AS schema, c.relname AS name, c.oid::int8 AS oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2`;
const BTREES_SQL = `SELECT i.indexrelid::int8 AS oid, format('%I.%I', n.nspname, ic.relname) AS name FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam JOIN pg_namespace n ON n.oid = ic.relnamespace
  WHERE am.amname = 'btree' AND i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;

/** A supervised session on the private server (trust over its private socket). */
export async function privateClient(ctx: CheckContext, host: string, port: number, user: string, database: string): Promise<PgClient> {
  const client = openPrivateClient({ host, port, user, database }, { applicationName: 'stackprobe-drill', connectTimeoutMs: 10_000, queryTimeoutMs: ctx.config.timeouts.check_ms });
  const onAbort = () => void client.end();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  ctx.defer(() => { ctx.signal.removeEventListener('abort', onAbort); return client.end(); });
  await client.connect();
  return client;
}

function defect(ctx: CheckContext, v: Verified, subject: string, title: string, recommendation?: string): void {
  v.defects++;
  ctx.finding({ severity: 'error', subject, title, ...(recommendation ? { recommendation } : {}) });
}

async function amcheck(ctx: CheckContext, db: PgClient, major: number, tables: { name: string; oid: string }[], v: Verified): Promise<void> {
  ctx.progress('amcheck over the restored copy');
  // The extension goes into the private copy only: it is ours and thrown away.
  await db.query('CREATE EXTENSION IF NOT EXISTS amcheck');
  let checked = 0;
  for (const ix of (await db.query<{ oid: string; name: string }>(BTREES_SQL)).rows) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    await db.query('SELECT bt_index_check($1::oid, true)', [ix.oid]).then(() => checked++, (err: Error) => defect(ctx, v, ix.name, `amcheck: index ${ix.name} of the restored copy is corrupt: ${redactText(err.message)}`));
  }
  if (major >= 14) {
    for (const t of tables) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const bad = await db.query<{ n: string; msg: string | null }>('SELECT count(*) AS n, min(msg) AS msg FROM verify_heapam($1::oid)', [t.oid]);
      checked++;
      if (Number(bad.rows[0]!.n) > 0) defect(ctx, v, t.name, `amcheck: table ${t.name} of the restored copy has ${bad.rows[0]!.n} corrupt tuples (${bad.rows[0]!.msg})`);
    }
  }
  ctx.metrics.counter(RELATIONS_AMCHECKED).add(checked);
}

async function invariants(ctx: CheckContext, db: PgClient, v: Verified): Promise<void> {
  for (const inv of ctx.config.integrity.invariants) {
    ctx.progress(`invariant ${inv.name} on the restored copy`);
    const rows = await queryReadOnly(db, inv.sql, [], { timeoutMs: ctx.config.timeouts.check_ms }).then((r) => r.rowCount ?? r.rows.length, (err: Error) => err);
    if (rows instanceof Error) defect(ctx, v, inv.name, `invariant ${inv.name} could not run on the restored copy: ${redactText(rows.message)}`);
    else if (rows > 0) defect(ctx, v, inv.name, `invariant ${inv.name} is broken in the restored copy: ${rows} rows${inv.description ? ` (${inv.description})` : ''}`);
  }
  ctx.metrics.counter(INVARIANTS_CHECKED).add(ctx.config.integrity.invariants.length);
}

/**
 * Row counts of each restored table against the live one. Equal: fine. Different, and the live statistics show rows
 * inserted or deleted at least by the difference: changed since the backup (said, not a defect). Otherwise a defect.
 */
async function rowCounts(ctx: CheckContext, db: PgClient, tables: { schema: string; name: string }[], v: Verified): Promise<void> {
  const pgt = ctx.targets.pg;
  const counts = new Map<string, number>();
  for (const t of tables) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const n = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(t.schema)}.${quoteIdent(t.name)}`)).rows[0]!.n);
    counts.set(`${t.schema}.${t.name}`, n);
    v.rowsRestored += n;
  }
  v.tables = tables.length;
  // stackprobe's own private stand-in is not the database the backup was taken of: comparing with it would mislead.
  if (!pgt || pgt.facts.private) {
    ctx.info('liveComparison', 'no DATABASE_URL: row counts not compared with a live database');
    return;
  }
  ctx.info('liveComparison', pgt.facts.url);
  ctx.progress('row counts of the live database');
  const pool = pgt.createPool({ readOnly: true, max: 1, applicationName: 'stackprobe-drill-live', statementTimeoutMs: ctx.config.timeouts.check_ms });
  ctx.defer(() => pool.end());
  const live = await pool.connect();
  try {
    let exact = 0;
    for (const t of tables) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const qn = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
      const st = (await live.query<{ reg: string | null; changed: string | null }>(
        // to_regclass parses its text as a name list, which has no U&"…" form: the server quotes the name itself.
        `WITH r AS (SELECT to_regclass(format('%I.%I', $1::text, $2::text)) AS oid) SELECT r.oid::text AS reg, (SELECT n_tup_ins + n_tup_del FROM pg_stat_user_tables WHERE relid = r.oid) AS changed FROM r`, [t.schema, t.name])).rows[0]!;
      const label = `${t.schema}.${t.name}`;
      if (st.reg === null) { ctx.finding({ severity: 'info', subject: label, title: `table ${label} is in the backup but no longer in the live database` }); continue; }
      const liveN = Number((await live.query<{ n: string }>(`SELECT count(*) AS n FROM ${qn}`)).rows[0]!.n);
      const restored = counts.get(label)!;
      if (liveN === restored) { exact++; continue; }
      const diff = Math.abs(liveN - restored);
      if (Number(st.changed ?? 0) >= diff) {
        v.changedSinceBackup.push(label);
        ctx.finding({ severity: 'info', subject: label, title: `table ${label}: ${restored} rows restored, ${liveN} live; the live statistics show ${st.changed} rows inserted or deleted since their reset, so it changed since the backup` });
      } else {
        defect(ctx, v, label, `table ${label}: ${restored} rows restored, ${liveN} live, and the live statistics (${st.changed ?? 0} rows inserted or deleted) cannot explain the difference of ${diff}`,
          'Rows are missing from (or extra in) the backup: check that the backup covers this table and that the dump is complete');
      }
    }
    ctx.info('rowCounts', { tables: tables.length, exact, changedSinceBackup: v.changedSinceBackup.slice(0, 25) });
  } finally {
    live.release();
  }
}

export async function verifyRestored(ctx: CheckContext, db: PgClient, major: number): Promise<Verified> {
  const v: Verified = { defects: 0, tables: 0, rowsRestored: 0, changedSinceBackup: [] };
  const tables = (await db.query<{ schema: string; name: string; oid: string }>(TABLES_SQL)).rows;
  ctx.progress(`row counts of ${tables.length} restored tables`);
  await rowCounts(ctx, db, tables, v);
  await amcheck(ctx, db, major, tables.map((t) => ({ name: `${t.schema}.${t.name}`, oid: t.oid })), v);
  await invariants(ctx, db, v);
  ctx.metrics.counter(TABLES_RESTORED).add(v.tables);
  ctx.metrics.counter(ROWS_RESTORED).add(v.rowsRestored);
  return v;
}
