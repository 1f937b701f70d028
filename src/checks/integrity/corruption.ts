// integrity.corruption: amcheck over btree indexes (bt_index_check) and tables (verify_heapam) within a time budget, plus data checksums.
import { qualified } from '../../workload/sql.js';
import type { Check, CheckContext } from '../types.js';
import { RELATIONS_SQL, useAmcheck, whyNoHeapCheck, type Amcheck, type Relation } from './amcheck.js';
import { failure, readOnlySession, type ReadOnlySession } from './read-only.js';
import { probe, scoredRun } from './score.js';
import { targetSchemas, unverified } from './scope.js';
import { AMCHECK_DURATION, AMCHECK_RELATIONS_CHECKED, CHECKSUM_FAILURES, CORRUPT_INDEXES, DATA_CHECKSUMS_ENABLED, HEAP_CORRUPTION_ITEMS, HEAP_CORRUPT_PAGES, INTEGRITY_DAMAGED_PROBES, INTEGRITY_PROBES, INTEGRITY_UNVERIFIED } from './metrics.js';

const CHECKSUMS_SQL = `
  SELECT current_setting('data_checksums') = 'on' AS enabled, current_database() AS database,
    coalesce(d.checksum_failures, 0) AS failures, d.checksum_last_failure::text AS last_failure
  FROM pg_stat_database d WHERE d.datname = current_database()`;

/** SQLSTATE class XX: data_corrupted (XX001) and index_corrupted (XX002) are how amcheck and the buffer manager report damage. */
export const isCorruption = (kind: string) => kind.startsWith('XX');

async function checksums(ctx: CheckContext, db: ReadOnlySession): Promise<{ database: string; failures: number }> {
  const r = (await db.query<{ enabled: boolean; database: string; failures: string; last_failure: string | null }>(CHECKSUMS_SQL))[0]!;
  const failures = Number(r.failures);
  ctx.metrics.gauge(DATA_CHECKSUMS_ENABLED).set(r.enabled ? 1 : 0);
  ctx.metrics.counter(CHECKSUM_FAILURES).add(failures);
  if (!r.enabled) {
    ctx.finding({
      severity: 'info', subject: 'data_checksums', title: 'data checksums are off: damaged pages are not detected when they are read',
      recommendation: 'Enable them with pg_checksums --enable on a stopped cluster (PostgreSQL 12+), or initdb --data-checksums for a new one; expect a few percent more CPU on I/O.',
    });
  }
  if (failures > 0) {
    ctx.finding({
      severity: 'error', subject: 'checksum_failures', title: `${failures} data checksum failure(s) recorded in database "${r.database}" (last at ${r.last_failure})`,
      detail: 'A page read from disk did not match its checksum: storage or memory damaged it.',
      recommendation: 'Check the server log for the relation, check the disks and memory, and restore the damaged relation from a backup.',
    });
  }
  return { database: r.database, failures };
}

async function verify(ctx: CheckContext, db: ReadOnlySession, am: Amcheck, rel: Relation, remainingMs: number, damagedTables: Set<string>): Promise<'clean' | 'corrupt' | 'unverified' | 'budget'> {
  const name = qualified(rel.schema, rel.name);
  const t0 = performance.now();
  try {
    if (rel.kind === 'index') {
      // Over a damaged table, heapallindexed would report the table's damage as the index's: check the index's own structure.
      const heapallindexed = ctx.config.integrity.amcheck.heapallindexed && !damagedTables.has(rel.table_oid);
      await db.query(`SELECT ${am.schema}.bt_index_check($1::regclass, $2)`, [rel.oid, heapallindexed], { timeoutMs: remainingMs });
      return 'clean';
    }
    // Counted in full (a damaged page can hold hundreds of items); only the examples are limited.
    const rows = await db.query<{ items: string; pages: string; blkno: string | null; offnum: number | null; msg: string | null }>(
      `WITH h AS MATERIALIZED (SELECT blkno, offnum, msg FROM ${am.schema}.verify_heapam($1::regclass))
       SELECT (SELECT count(*) FROM h) AS items, (SELECT count(DISTINCT blkno) FROM h) AS pages, blkno, offnum, msg FROM h ORDER BY blkno, offnum LIMIT 5`,
      [rel.oid], { timeoutMs: remainingMs },
    );
    const items = rows.length === 0 ? 0 : Number(rows[0]!.items);
    const relation = `${rel.schema}.${rel.name}`;
    ctx.metrics.counter(HEAP_CORRUPTION_ITEMS, { relation }).add(items);
    if (items === 0) return 'clean';
    ctx.metrics.counter(HEAP_CORRUPT_PAGES, { relation }).add(Number(rows[0]!.pages));
    ctx.finding({
      severity: 'error', subject: relation, title: `verify_heapam found ${items} corrupt item(s) on ${rows[0]!.pages} page(s) of table ${relation}`,
      detail: rows.map((r) => `block ${r.blkno}, item ${r.offnum}: ${r.msg}`).join('; '),
      recommendation: `Restore ${name} from a backup (or salvage the readable rows into a new table); check disks and memory, and enable data checksums.`,
      data: { relation, kind: 'heap', items, pages: Number(rows[0]!.pages) },
    });
    return 'corrupt';
  } catch (err) {
    const e = failure(err);
    if (isCorruption(e.kind)) {
      // bt_index_check stops at the first damaged page of an index; a table whose read fails outright counts as one item.
      const relation = `${rel.schema}.${rel.name}`;
      ctx.metrics.counter(rel.kind === 'index' ? CORRUPT_INDEXES : HEAP_CORRUPTION_ITEMS, { relation }).add(1);
      const block = /block (\d+)/.exec(e.message)?.[1];
      ctx.finding({
        severity: 'error', subject: `${rel.schema}.${rel.name}`, title: `${rel.kind === 'index' ? 'index' : 'table'} ${rel.schema}.${rel.name} is corrupt: ${e.message}`,
        detail: `amcheck (${rel.kind === 'index' ? 'bt_index_check' : 'verify_heapam'}) stopped with ${e.kind}.`,
        recommendation: rel.kind === 'index' ? `REINDEX INDEX CONCURRENTLY ${name}; then find the cause (disk, memory, a collation change after an OS upgrade) before it recurs.` : `Restore ${name} from a backup; check disks and memory.`,
        data: { relation, kind: rel.kind, sqlstate: e.kind, ...(block ? { block: Number(block) } : {}) },
      });
      return 'corrupt';
    }
    // Cancelled by the budget's statement_timeout: not verified in time, not an error.
    if (e.kind === '57014' && remainingMs <= performance.now() - t0 + 50) return 'budget';
    unverified(ctx, `amcheck could not verify ${rel.schema}.${rel.name}`, e.message, `${rel.schema}.${rel.name}`);
    return 'unverified';
  } finally {
    ctx.metrics.trend(AMCHECK_DURATION, { kind: rel.kind }).record(performance.now() - t0);
  }
}

export const corruptionCheck: Check = {
  id: 'integrity.corruption',
  category: 'integrity',
  title: 'Corruption: amcheck, data checksums',
  needs: ['pg'],
  metrics: [AMCHECK_DURATION, AMCHECK_RELATIONS_CHECKED, CHECKSUM_FAILURES, CORRUPT_INDEXES, DATA_CHECKSUMS_ENABLED, HEAP_CORRUPTION_ITEMS, HEAP_CORRUPT_PAGES, INTEGRITY_UNVERIFIED, INTEGRITY_DAMAGED_PROBES, INTEGRITY_PROBES],
  writes: false,
  thresholds: () => ({ corrupt_indexes: ['count==0'], heap_corruption_items: ['count==0'], checksum_failures: ['count==0'], integrity_unverified: [{ warn: 'count==0' }] }),
  run: (ctx) => scoredRun(ctx, 'integrity.corruption', async () => {
    ctx.metrics.headline('corrupt_indexes');
    const db = await readOnlySession(ctx, 'stackprobe-integrity');
    const schemas = await targetSchemas(ctx, db);
    for (const decl of [CORRUPT_INDEXES, HEAP_CORRUPTION_ITEMS]) ctx.metrics.counter(decl).add(0);
    const sums = await checksums(ctx, db);
    probe(ctx, sums.failures > 0);
    const am = await useAmcheck(ctx, db, sums.database);
    ctx.info('amcheck', am.version);
    const noHeap = ctx.config.integrity.amcheck.heap ? whyNoHeapCheck(am) : undefined;
    if (noHeap) ctx.finding({ severity: 'info', subject: 'verify_heapam', title: noHeap });
    const rels = await db.query<Relation>(RELATIONS_SQL, [schemas, am.heap && ctx.config.integrity.amcheck.heap]);
    const deadline = performance.now() + ctx.config.integrity.amcheck.budget_ms;
    let unchecked = 0;
    let checked = 0;
    const damagedTables = new Set<string>();
    for (const rel of rels) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        unchecked++;
        continue;
      }
      ctx.progress(`${rel.kind} ${rel.schema}.${rel.name}`);
      const outcome = await verify(ctx, db, am, rel, remaining, damagedTables);
      if (outcome === 'corrupt' && rel.kind === 'heap') damagedTables.add(rel.oid);
      if (outcome === 'budget') unchecked++;
      if (outcome === 'budget' || outcome === 'unverified') continue;
      checked++;
      probe(ctx, outcome === 'corrupt');
      ctx.metrics.counter(AMCHECK_RELATIONS_CHECKED, { kind: rel.kind }).add(1);
    }
    ctx.info('relationsChecked', checked);
    if (unchecked > 0) {
      // Not verified is not clean: counted as unverified, so the score says it is incomplete.
      unverified(ctx, `${unchecked} of ${rels.length} relation(s) were not verified within amcheck's budget of ${ctx.config.integrity.amcheck.budget_ms} ms`,
        'amcheck verifies the smallest relations first; the largest were left.', undefined,
        'Raise config.integrity.amcheck.budget_ms (or run amcheck off-peak: pg_amcheck --heapallindexed) to cover the largest relations.');
    }
  }),
};
