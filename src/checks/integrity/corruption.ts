// integrity.corruption: amcheck over btree indexes (bt_index_check) and tables (verify_heapam) within a time budget, plus data checksums.
import { qualified } from '../../workload/sql.js';
import type { Check, CheckContext } from '../types.js';
import { RELATIONS_SQL, useAmcheck, type Amcheck, type Relation } from './amcheck.js';
import { failure, readOnlySession, type ReadOnlySession } from './read-only.js';
import { scored } from './score.js';
import { targetSchemas, unverified } from './scope.js';

const CHECKSUMS_SQL = `
  SELECT current_setting('data_checksums') = 'on' AS enabled, current_database() AS database,
    coalesce(d.checksum_failures, 0) AS failures, d.checksum_last_failure::text AS last_failure
  FROM pg_stat_database d WHERE d.datname = current_database()`;

/** SQLSTATE class XX: data_corrupted (XX001) and index_corrupted (XX002) are how amcheck and the buffer manager report damage. */
export const isCorruption = (kind: string) => kind.startsWith('XX');

async function checksums(ctx: CheckContext, db: ReadOnlySession): Promise<{ database: string; failures: number }> {
  const r = (await db.query<{ enabled: boolean; database: string; failures: string; last_failure: string | null }>(CHECKSUMS_SQL))[0]!;
  const failures = Number(r.failures);
  ctx.metrics.gauge('data_checksums_enabled').set(r.enabled ? 1 : 0);
  ctx.metrics.counter('checksum_failures').add(failures);
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

async function verify(ctx: CheckContext, db: ReadOnlySession, am: Amcheck, rel: Relation, remainingMs: number): Promise<'clean' | 'corrupt' | 'unverified' | 'budget'> {
  const name = qualified(rel.schema, rel.name);
  const t0 = performance.now();
  try {
    if (rel.kind === 'index') {
      await db.query(`SELECT ${am.schema}.bt_index_check($1::regclass, $2)`, [rel.oid, ctx.config.integrity.amcheck.heapallindexed], { timeoutMs: remainingMs });
      return 'clean';
    }
    const rows = await db.query<{ blkno: string; offnum: number; msg: string }>(`SELECT blkno, offnum, msg FROM ${am.schema}.verify_heapam($1::regclass) LIMIT 100`, [rel.oid], { timeoutMs: remainingMs });
    ctx.metrics.counter('heap_corruption_items').add(rows.length);
    if (rows.length === 0) return 'clean';
    ctx.finding({
      severity: 'error', subject: `${rel.schema}.${rel.name}`, title: `verify_heapam found ${rows.length}${rows.length === 100 ? '+' : ''} corrupt item(s) in table ${rel.schema}.${rel.name}`,
      detail: rows.slice(0, 5).map((r) => `block ${r.blkno}, item ${r.offnum}: ${r.msg}`).join('; '),
      recommendation: `Restore ${name} from a backup (or salvage the readable rows into a new table); check disks and memory, and enable data checksums.`,
    });
    return 'corrupt';
  } catch (err) {
    const e = failure(err);
    if (isCorruption(e.kind)) {
      ctx.metrics.counter('corrupt_indexes').add(rel.kind === 'index' ? 1 : 0);
      ctx.metrics.counter('heap_corruption_items').add(rel.kind === 'heap' ? 1 : 0);
      ctx.finding({
        severity: 'error', subject: `${rel.schema}.${rel.name}`, title: `${rel.kind === 'index' ? 'index' : 'table'} ${rel.schema}.${rel.name} is corrupt: ${e.message}`,
        detail: `amcheck (${rel.kind === 'index' ? 'bt_index_check' : 'verify_heapam'}) stopped with ${e.kind}.`,
        recommendation: rel.kind === 'index' ? `REINDEX INDEX CONCURRENTLY ${name}; then find the cause (disk, memory, a collation change after an OS upgrade) before it recurs.` : `Restore ${name} from a backup; check disks and memory.`,
        data: { relation: `${rel.schema}.${rel.name}`, kind: rel.kind, sqlstate: e.kind },
      });
      return 'corrupt';
    }
    // Cancelled by the budget's statement_timeout: not verified in time, not an error.
    if (e.kind === '57014' && remainingMs <= performance.now() - t0 + 50) return 'budget';
    unverified(ctx, `amcheck could not verify ${rel.schema}.${rel.name}`, e.message, `${rel.schema}.${rel.name}`);
    return 'unverified';
  } finally {
    ctx.metrics.trend('amcheck_duration', { kind: rel.kind }).record(performance.now() - t0);
  }
}

export const corruptionCheck: Check = {
  id: 'integrity.corruption',
  category: 'integrity',
  title: 'Corruption: amcheck, data checksums',
  needs: ['pg'],
  writes: false,
  thresholds: () => ({ corrupt_indexes: ['count==0'], heap_corruption_items: ['count==0'], checksum_failures: ['count==0'], integrity_unverified: [{ warn: 'count==0' }] }),
  async run(ctx) {
    const done = await scored(ctx, 'integrity.corruption');
    const db = await readOnlySession(ctx, 'stackprobe-integrity');
    const schemas = await targetSchemas(ctx, db);
    for (const name of ['corrupt_indexes', 'heap_corruption_items']) ctx.metrics.counter(name).add(0);
    const sums = await checksums(ctx, db);
    const am = await useAmcheck(ctx, db, sums.database);
    ctx.info('amcheck', am.version);
    const rels = await db.query<Relation>(RELATIONS_SQL, [schemas, am.heap && ctx.config.integrity.amcheck.heap]);
    const deadline = performance.now() + ctx.config.integrity.amcheck.budget_ms;
    let probes = 1;
    let clean = sums.failures === 0 ? 1 : 0;
    let unchecked = 0;
    for (const rel of rels) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        unchecked++;
        continue;
      }
      ctx.progress(`${rel.kind} ${rel.schema}.${rel.name}`);
      const outcome = await verify(ctx, db, am, rel, remaining);
      if (outcome === 'budget') unchecked++;
      if (outcome === 'budget' || outcome === 'unverified') continue;
      probes++;
      if (outcome === 'clean') clean++;
      ctx.metrics.counter('amcheck_relations_checked', { kind: rel.kind }).add(1);
    }
    ctx.info('relationsChecked', probes - 1);
    if (unchecked > 0) {
      ctx.finding({
        severity: 'info', title: `${unchecked} of ${rels.length} relation(s) were not verified within amcheck's budget of ${ctx.config.integrity.amcheck.budget_ms} ms`,
        recommendation: 'Raise config.integrity.amcheck.budget_ms (or run amcheck off-peak: pg_amcheck --heapallindexed) to cover the largest relations.',
      });
    }
    done(probes, clean);
  },
};
