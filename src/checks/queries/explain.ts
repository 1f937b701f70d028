// Runs EXPLAIN ANALYZE for the slowest measured queries (in a transaction that is rolled back) and records the advice.
import type { PgPool, PgPooledSession } from '../../targets/pg/types.js';
import { describeError } from '../../util/errors.js';
import { createRng } from '../../workload/prng.js';
import type { CheckContext } from '../types.js';
import { explainAdvice, planRelations, type ExplainOutput, type TableInfo } from './explain-advice.js';
import type { QueryOutcome } from './measure.js';

/** The PRNG sub-stream of the parameters an EXPLAIN runs with (apart from the measured executions' streams). */
const EXPLAIN_KEYS = 0xe0;

/** Leading columns of valid indexes and of foreign keys, and all columns, of the tables a plan reads. */
const TABLE_INFO_SQL = `
  SELECT n.nspname AS schema, c.relname AS table,
    ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns,
    ARRAY(SELECT DISTINCT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
          WHERE i.indrelid = c.oid AND i.indisvalid) AS indexed,
    ARRAY(SELECT DISTINCT a.attname::text FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
          WHERE k.conrelid = c.oid AND k.contype = 'f') AS fks
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE (n.nspname, c.relname) IN (SELECT s, t FROM unnest($1::text[], $2::text[]) AS r(s, t))`;

async function tableInfo(client: PgPooledSession, relations: Array<[string, string]>): Promise<TableInfo[]> {
  if (relations.length === 0) return [];
  const res = await client.query<{ schema: string; table: string; columns: string[]; indexed: string[]; fks: string[] }>(
    TABLE_INFO_SQL, [relations.map((r) => r[0]), relations.map((r) => r[1])],
  );
  return res.rows.map((r) => ({ schema: r.schema, table: r.table, columns: r.columns, indexedColumns: r.indexed, foreignKeyColumns: r.fks }));
}

/** EXPLAIN (ANALYZE) executes the statement: always inside a transaction that is rolled back, read-only unless it writes. */
async function explainOnce(client: PgPooledSession, o: QueryOutcome, seedStream: number, ctx: CheckContext): Promise<{ plan: ExplainOutput[]; tables: TableInfo[] }> {
  const q = o.query;
  const values = q.params(createRng(ctx.config.workload.seed, seedStream, EXPLAIN_KEYS));
  await client.query(q.writes ? 'BEGIN' : 'BEGIN READ ONLY');
  try {
    // A named statement uses the extended protocol, which refuses more than one statement in the text.
    const res = await client.query<{ 'QUERY PLAN': ExplainOutput[] }>({
      name: `${q.statement}_explain`, text: `EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) ${q.text}`, values,
    });
    const plan = res.rows[0]!['QUERY PLAN'];
    return { plan, tables: await tableInfo(client, planRelations(plan)) };
  } finally {
    await client.query('ROLLBACK');
  }
}

/** EXPLAINs the `config.queries.explain_slowest` slowest queries (by p95) that succeeded at least once. */
export async function explainSlowest(ctx: CheckContext, pool: PgPool, outcomes: QueryOutcome[], seedStream: number): Promise<void> {
  const slowest = outcomes.filter((o) => o.count > 0).sort((a, b) => b.p95 - a.p95).slice(0, ctx.config.queries.explain_slowest);
  for (const o of slowest) {
    if (ctx.signal.aborted) return;
    ctx.progress(`EXPLAIN ${o.query.name}`);
    const client = await pool.connect();
    let broken = false;
    try {
      const { plan, tables } = await explainOnce(client, o, seedStream, ctx);
      const findings = explainAdvice({ query: o.query.name, plan, withinThreshold: o.p95 < o.query.limitMs, tables });
      for (const f of findings) ctx.finding({ ...f, data: { ...f.data, p95Ms: o.p95, limitMs: o.query.limitMs } });
    } catch (err) {
      broken = (err as { code?: unknown }).code === undefined;
      // The measurement stands; an EXPLAIN that fails (e.g. no privilege on a function it would execute) is reported, not hidden.
      ctx.finding({ severity: 'warn', subject: o.query.name, title: `could not EXPLAIN ${o.query.name}: ${describeError(err)}` });
    } finally {
      client.release(broken ? true : undefined);
    }
  }
}
