// backup.roundtrip: pg_dump -Fc, pg_restore into a scratch database, then every table's row count and checksum compared with the source.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SkipCheck } from '../../util/errors.js';
import { SCHEMA } from '../../workload/sql.js';
import { useWorkload } from '../queries/workload.js';
import type { Check, CheckContext } from '../types.js';
import { compareSums, DATA_SIZE_SQL, TABLES_SQL, tableSums, type TableRef } from './compare.js';
import { findPgTools, type PgTools } from './pg-tools.js';
import { createScratch } from './scratch.js';
import { runTool } from './spawn.js';

export interface RoundTripHooks {
  /** Runs after the restore and before the comparison (tests use it to alter the restored copy). */
  beforeCompare?: (scratchUrl: string) => Promise<void>;
}

const MB = 1024 * 1024;

async function tools(ctx: CheckContext): Promise<PgTools> {
  const num = Number((await ctx.targets.pg!.admin.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v);
  const found = await findPgTools(Math.floor(num / 10000), ctx.config.backup.pg_dump_path);
  if ('reason' in found) throw new SkipCheck(found.reason);
  ctx.info('pgDump', { path: found.pgDump, version: found.version });
  return found;
}

/** The schemas to dump (null = whole database); the workload is set up when its schema is asked for. */
async function scope(ctx: CheckContext): Promise<string[] | null> {
  const cfg = ctx.config.backup;
  if (cfg.whole_database) return null;
  if (cfg.schemas.includes(SCHEMA)) await useWorkload(ctx);
  const existing = new Set((await ctx.targets.pg!.admin.query<{ n: string }>(`SELECT nspname AS n FROM pg_namespace WHERE nspname = ANY($1::text[])`, [cfg.schemas])).rows.map((r) => r.n));
  const missing = cfg.schemas.filter((s) => !existing.has(s));
  for (const s of missing) {
    ctx.finding({ severity: 'warn', subject: s, title: `schema "${s}" in config.backup.schemas does not exist; it was not dumped`, recommendation: 'Fix the name in config.backup.schemas (names are case-sensitive).' });
  }
  ctx.metrics.counter('backup_missing_schemas').add(missing.length);
  const present = cfg.schemas.filter((s) => existing.has(s));
  if (present.length === 0) throw new SkipCheck(`none of config.backup.schemas (${cfg.schemas.join(', ')}) exists in this database`);
  return present;
}

async function timed(ctx: CheckContext, metric: string, fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  ctx.metrics.trend(metric).record(ms);
  return ms;
}

async function restoredSums(url: string, ctx: CheckContext, schemas: string[] | null) {
  const client = new pg.Client({ connectionString: url, application_name: 'stackprobe-backup-verify', statement_timeout: ctx.config.timeouts.check_ms, connectionTimeoutMillis: ctx.targets.pg!.timeouts.connectMs });
  await client.connect();
  try {
    const tables = (await client.query<TableRef>(TABLES_SQL, [schemas])).rows;
    return await tableSums(client, tables, ctx.signal);
  } finally {
    await client.end();
  }
}

export async function roundTrip(ctx: CheckContext, hooks: RoundTripHooks = {}): Promise<void> {
  const pgt = ctx.targets.pg!;
  const bin = await tools(ctx);
  const schemas = await scope(ctx);
  ctx.info('scope', schemas ?? 'whole database');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-dump-'));
  ctx.defer(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'dump.pgdump');

  // The source is read in one REPEATABLE READ snapshot that pg_dump shares, so concurrent writes cannot fake a mismatch.
  const source = new pg.Client({ connectionString: pgt.url, application_name: 'stackprobe-backup-source', statement_timeout: ctx.config.timeouts.check_ms, connectionTimeoutMillis: pgt.timeouts.connectMs });
  await source.connect();
  ctx.defer(() => source.end());
  await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const snapshot = (await source.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
  const tables = (await source.query<TableRef>(TABLES_SQL, [schemas])).rows;
  const dataBytes = Number((await source.query<{ bytes: string }>(DATA_SIZE_SQL, [tables.map((t) => t.schema), tables.map((t) => t.table)])).rows[0]!.bytes);

  ctx.progress('pg_dump');
  const nArgs = (schemas ?? []).flatMap((s) => ['-n', s]);
  const dumpMs = await timed(ctx, 'dump_duration', () => runTool(bin.pgDump, ['-Fc', `--snapshot=${snapshot}`, '-f', file, ...nArgs], pgt.url, ctx.signal));
  const dumpBytes = (await stat(file)).size;
  ctx.progress('checksums of the source');
  const sourceSums = await tableSums(source, tables, ctx.signal);
  await source.query('ROLLBACK');

  const scratch = await createScratch(ctx);
  ctx.progress('pg_restore');
  const restoreMs = await timed(ctx, 'restore_duration', () => runTool(bin.pgRestore, ['--no-owner', '--no-privileges', '--exit-on-error', file], scratch.url, ctx.signal)
    .catch((err: unknown) => { throw new Error(`the restore failed: ${(err as Error).message}`); }));
  await hooks.beforeCompare?.(scratch.url);
  ctx.progress('checksums of the restore');
  const restored = await restoredSums(scratch.url, ctx, schemas);
  record(ctx, { dumpMs, restoreMs, dumpBytes, dataBytes, tables: tables.length, rows: [...sourceSums.values()].reduce((s, t) => s + t.rows, 0) });
  const mismatches = compareSums(sourceSums, restored);
  ctx.metrics.counter('restore_mismatched_tables').add(mismatches.length);
  for (const m of mismatches) {
    ctx.finding({
      severity: 'error', subject: m.table,
      title: m.restored ? `restored ${m.table} differs from the source (${m.source.rows} rows → ${m.restored.rows}${m.source.sum !== m.restored.sum ? ', content checksum differs' : ''})` : `restored database lacks ${m.table}`,
      detail: 'The dump did not bring this table back as it was: a restore from such a backup would lose or change data.',
      recommendation: 'Run pg_restore by hand with the same archive and read its messages; check for objects the dump leaves out (other schemas, extensions, large objects, unlogged tables).',
      data: { table: m.table, source: m.source, restored: m.restored ?? null },
    });
  }
}

function record(ctx: CheckContext, f: { dumpMs: number; restoreMs: number; dumpBytes: number; dataBytes: number; tables: number; rows: number }): void {
  ctx.metrics.gauge('dump_size_bytes', {}, 'bytes').set(f.dumpBytes);
  ctx.metrics.gauge('data_size_bytes', {}, 'bytes').set(f.dataBytes);
  ctx.metrics.gauge('dump_throughput_mb_s', {}, 'MB/s').set(f.dataBytes / MB / Math.max(f.dumpMs / 1000, 1e-3));
  ctx.metrics.gauge('restore_throughput_mb_s', {}, 'MB/s').set(f.dataBytes / MB / Math.max(f.restoreMs / 1000, 1e-3));
  ctx.metrics.counter('tables_compared', {}, 'tables').add(f.tables);
  ctx.metrics.counter('rows_compared', {}, 'rows').add(f.rows);
  ctx.info('rtoEstimateS', Math.round(f.restoreMs) / 1000);
}

export const roundtripCheck: Check = {
  id: 'backup.roundtrip',
  category: 'backup',
  title: 'Backup round trip: pg_dump, pg_restore, compare',
  needs: ['pg'],
  writes: true,
  thresholds: (config) => ({
    restore_mismatched_tables: ['count==0'],
    ...(config.backup.max_restore_s !== undefined ? { restore_duration: [`max<${config.backup.max_restore_s * 1000}`] } : {}),
  }),
  run: (ctx) => roundTrip(ctx),
};
