// health.indexes: unused, redundant and invalid indexes, and foreign keys no index supports — each with the statement
// that fixes it, written so it runs as is.
import { qualified, quoteIdent } from '../../workload/sql.js';
import type { Check, CheckContext } from '../types.js';
import { identicalIndexesSql, KEEP_RULE, resolveGroup, type IdenticalGroup } from '../integrity/index-model.js';
import { FK_WITHOUT_INDEX_SQL, INVALID_SQL, REDUNDANT_SQL, SEQ_SCAN_TABLES_SQL, STATS_SINCE_SQL, UNUSED_SQL } from './indexes-sql.js';
import { healthSession, SCHEMA_FILTER } from './session.js';
import { bytes, seconds } from './words.js';
import { FK_WITHOUT_INDEX, INDEX_DEFECTS, INVALID_INDEXES, REDUNDANT_INDEXES, SEQ_SCAN_HEAVY_TABLES, UNUSED_INDEXES, UNUSED_INDEX_BYTES } from './metrics.js';

interface IndexRow { schema: string; table: string; index: string; bytes: number; definition: string }
interface RedundantRow extends IndexRow { covered_by: string; identical: boolean; covered_definition: string; partitioned: boolean; statement: string | null }
interface FkRow { schema: string; table: string; constraint: string; columns: string[]; parent_schema: string; parent_table: string; rows: number; partitioned: boolean }
interface SeqRow { schema: string; table: string; seq_scans: number; index_scans: number; rows_per_seq_scan: number; live_rows: number }
interface Since { since: string | null; age_s: number | null; replica: boolean }

export const dropIndex = (schema: string, index: string, partitioned = false): string =>
  `DROP INDEX ${partitioned ? '' : 'CONCURRENTLY '}${qualified(schema, index)}`;

/**
 * Identical indexes as redundant rows: each one the shared model drops, covered by the one it keeps, with the same
 * statement integrity.catalog gives (null when a foreign key depends on it).
 */
function identicalRows(groups: IdenticalGroup[]): RedundantRow[] {
  return groups.flatMap((g) => {
    const { keep, drop } = resolveGroup(g);
    return drop.map((m) => ({
      schema: g.schema, table: g.table, index: m.index, bytes: Number(m.bytes), definition: m.definition, covered_by: keep.index, identical: true,
      covered_definition: keep.definition,
      partitioned: g.partitioned, statement: m.statement?.replace(/;$/, '') ?? null,
    }));
  });
}
/** pg_get_indexdef's CREATE [UNIQUE] INDEX made concurrent, so it can rebuild without blocking writes. */
export const concurrently = (definition: string): string => definition.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX CONCURRENTLY ');
/** CONCURRENTLY is refused on a partitioned table: there one CREATE INDEX on the parent builds it on every partition. */
export const fkIndex = (schema: string, table: string, columns: string[], partitioned = false): string =>
  `CREATE INDEX ${partitioned ? '' : 'CONCURRENTLY '}ON ${qualified(schema, table)} (${columns.map(quoteIdent).join(', ')})`;

export const indexesCheck: Check = {
  id: 'health.indexes',
  category: 'health',
  title: 'Indexes: unused, redundant, invalid, and foreign keys without one',
  needs: ['pg'],
  metrics: [FK_WITHOUT_INDEX, INDEX_DEFECTS, INVALID_INDEXES, REDUNDANT_INDEXES, SEQ_SCAN_HEAVY_TABLES, UNUSED_INDEXES, UNUSED_INDEX_BYTES],
  writes: false,
  thresholds: () => ({
    invalid_indexes: ['count==0'],
    unused_indexes: [{ warn: 'count==0' }],
    redundant_indexes: [{ warn: 'count==0' }],
    fk_without_index: [{ warn: 'count==0' }],
  }),
  async run(ctx) {
    const m = ctx.metrics;
    m.headline('index_defects');
    const db = await healthSession(ctx, 'stackprobe-health');
    const cfg = ctx.config.health;
    const schemas = cfg.schemas ?? null;
    const since = (await db.query<Since>(STATS_SINCE_SQL))[0]!;
    // One finding and one statement per index: a redundant index that is also unused is reported as redundant. An
    // index covered only by an unused one is not called redundant: dropping both would leave its lookups uncovered.
    const key = (r: Pick<IndexRow, 'schema' | 'index'>) => `${r.schema}.${r.index}`;
    const neverScanned = await db.query<IndexRow>(UNUSED_SQL, [schemas, cfg.indexes.unused_min_bytes]);
    const alsoUnused = new Set(neverScanned.map(key));
    // Identical indexes: the shared model names the one to keep (the rule integrity.catalog follows too); the kept
    // one is never advised dropped as unused in the same breath, or running both pieces of advice would leave none.
    const groups = await db.query<IdenticalGroup>(identicalIndexesSql(SCHEMA_FILTER), [schemas]);
    const grouped = new Set(groups.flatMap((g) => g.members.map((m) => `${g.schema}.${m.index}`)));
    const identical = identicalRows(groups);
    const prefix = (await db.query<RedundantRow>(REDUNDANT_SQL, [schemas]))
      .filter((r) => !alsoUnused.has(`${r.schema}.${r.covered_by}`) && !grouped.has(key(r)))
      .map((r) => ({ ...r, statement: dropIndex(r.schema, r.index, r.partitioned) }));
    const redundant = [...identical, ...prefix];
    const redundantKeys = new Set(redundant.map(key));
    const unused = neverScanned.filter((r) => !redundantKeys.has(key(r)) && !grouped.has(key(r)));
    const fks = await db.query<FkRow>(FK_WITHOUT_INDEX_SQL, [schemas, cfg.indexes.fk_min_rows]);
    const invalid = await db.query<IndexRow>(INVALID_SQL, [schemas]);
    // Statistics only, so it also speaks without pg_stat_statements; health.statements names the statements and columns.
    const seqHeavy = await db.query<SeqRow>(SEQ_SCAN_TABLES_SQL, [schemas, cfg.statements.big_table_rows]);
    m.counter(SEQ_SCAN_HEAVY_TABLES).add(seqHeavy.length);
    ctx.info('seq_scan_heavy_tables', seqHeavy);
    m.counter(UNUSED_INDEXES).add(unused.length);
    m.gauge(UNUSED_INDEX_BYTES).set(unused.reduce((t, r) => t + r.bytes, 0));
    m.counter(REDUNDANT_INDEXES).add(redundant.length);
    m.counter(FK_WITHOUT_INDEX).add(fks.length);
    m.counter(INVALID_INDEXES).add(invalid.length);
    m.counter(INDEX_DEFECTS).add(unused.length + redundant.length + fks.length + invalid.length);
    ctx.info('statistics_since', since.since ?? 'never reset (since initdb or the last crash recovery)');
    unusedFindings(ctx, unused, since);
    redundantFindings(ctx, redundant, alsoUnused);
    ctx.info('identical_index_rule', KEEP_RULE);
    fkFindings(ctx, fks);
    invalidFindings(ctx, invalid);
  },
};

function unusedFindings(ctx: CheckContext, rows: IndexRow[], since: Since): void {
  const window = since.age_s !== null ? `in the ${seconds(since.age_s)} since the statistics were reset (${since.since})` : 'since the statistics began (never reset)';
  for (const r of rows) {
    ctx.finding({
      severity: 'warn',
      subject: `${r.schema}.${r.index}`,
      title: `unused index ${r.schema}.${r.index} on ${r.table} (${bytes(r.bytes)}): no scans ${window}`,
      detail: `${r.definition}. Every write to ${r.table} still maintains it.${since.replica ? ' This is a replica: scans count per server, so check the primary and the other replicas too.' : ' Scans count per server: check your replicas before dropping it.'}`,
      recommendation: `${dropIndex(r.schema, r.index)}; (if the statistics window covers your monthly and yearly jobs too)`,
      data: { ...r, statement: dropIndex(r.schema, r.index), statistics_since: since.since },
    });
  }
}

function redundantFindings(ctx: CheckContext, rows: RedundantRow[], unused: Set<string>): void {
  for (const r of rows) {
    const never = unused.has(`${r.schema}.${r.index}`) ? ', and never scanned' : '';
    const how = r.identical
      ? `${r.covered_by} is kept by the rule integrity.catalog follows too (${KEEP_RULE})`
      : `${r.covered_by} serves the same lookups`;
    ctx.finding({
      severity: 'warn',
      subject: `${r.schema}.${r.index}`,
      title: `redundant index ${r.schema}.${r.index}${r.bytes > 0 ? ` (${bytes(r.bytes)})` : ''}: ${r.identical ? 'identical to' : 'its columns lead'} ${r.covered_by}${never}`,
      ...(r.definition ? { detail: `${r.definition}\n${r.covered_definition}` } : {}),
      recommendation: r.statement
        ? `${r.statement}; ${how}`
        : `A foreign key depends on ${r.index}: re-create that key against ${r.covered_by} first, then drop it; ${how}`,
      data: { ...r, ...(r.statement ? { statements: [r.statement] } : { statements: [] }) },
    });
  }
}

function fkFindings(ctx: CheckContext, rows: FkRow[]): void {
  for (const r of rows) {
    const stmt = fkIndex(r.schema, r.table, r.columns, r.partitioned);
    ctx.finding({
      severity: 'warn',
      subject: `${r.schema}.${r.table}`,
      title: `foreign key ${r.constraint} on ${r.schema}.${r.table} (${r.columns.join(', ')}) has no index`,
      detail: `Each DELETE or key UPDATE on ${r.parent_schema}.${r.parent_table} scans ~${Math.round(r.rows)} rows of ${r.table} to check it, and joins from the parent cannot use an index.${r.partitioned ? ' The table is partitioned: CONCURRENTLY is refused there, so the index is built on every partition under a lock that blocks writes (or create it CONCURRENTLY on each partition, then ON ONLY the parent and ATTACH PARTITION each).' : ''}`,
      recommendation: stmt,
      data: { ...r, statement: stmt },
    });
  }
}

function invalidFindings(ctx: CheckContext, rows: IndexRow[]): void {
  for (const r of rows) {
    ctx.finding({
      severity: 'error',
      subject: `${r.schema}.${r.index}`,
      title: `invalid index ${r.schema}.${r.index} on ${r.table}: maintained on every write, never used`,
      detail: `${r.definition}. A concurrent build or reindex failed (for a unique index, often duplicate rows).`,
      recommendation: `${dropIndex(r.schema, r.index)}; then, after fixing what made the build fail: ${concurrently(r.definition)}`,
      data: { ...r, statements: [dropIndex(r.schema, r.index), concurrently(r.definition)] },
    });
  }
}
