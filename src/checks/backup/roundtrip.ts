// backup.roundtrip: pg_dump -Fc of the scope, pg_restore into a scratch copy with the source's locale, then data (tables, views, sequences, large objects) and definitions compared (by meaning: see normalise.ts).
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PgClient, PgSession } from '../../targets/pg/types.js';
import { errorKind, SkipCheck } from '../../util/errors.js';
import { redactText } from '../../util/redact.js';
import type { Check, CheckContext } from '../types.js';
import { chooseScope, type Scope } from './choose.js';
import { type Lost, session } from './session.js';
import { key, largeObjectSum, matviewQuerySum, relationSums, SEQUENCES_SQL, sequencePositions, type Fingerprint } from './compare.js';
import { compareText, definitions, type Definitions } from './definitions.js';
import { judge } from './judge.js';
import { settle } from './normalise.js';
import { claimDir, currentOwner, DUMP_DIR_PREFIX, reapDumpDirs } from './owner.js';
import { findPgTools, type PgTools } from './pg-tools.js';
import { reportScope } from './report.js';
import { createScratch, reapScratch, sourceLocale } from './scratch.js';
import { applyBudget, type Budgeted, dumpArgs, EXTENSIONS_SQL, FK_SQL, RELATIONS_SQL, schemaParams, UNCOMPARED_SQL, UNREADABLE_LO_SQL, UNREADABLE_SQL, type Relation } from './scope.js';
import { runTool } from './spawn.js';
import { BACKUP_MISSING_SCHEMAS, BYTES_LEFT_OUT, DATA_SIZE_BYTES, DEFINITIONS_COMPARED, DUMP_DURATION, DUMP_SIZE_BYTES, DUMP_THROUGHPUT_MB_S, LARGE_OBJECTS_COMPARED, LEFT_OUT_BY_DESIGN, MATVIEWS_COMPARED, OBJECTS_NOT_COMPARED, RESTORE_DURATION, RESTORE_MISMATCHES, RESTORE_THROUGHPUT_MB_S, ROWS_COMPARED, SEQUENCES_COMPARED, TABLES_COMPARED, TABLES_LEFT_OUT } from './metrics.js';
import type { TrendDecl } from '../../metrics/declare.js';

export interface RoundTripHooks {
  /** Runs after the dump (tests terminate the source session here). */
  afterDump?: () => Promise<void>;
  /** Runs after the restore and before the comparison (tests use it to alter the restored copy). */
  beforeCompare?: (scratchDatabase: string) => Promise<void>;
  /** Each pg_dump/pg_restore child's pid as it starts (tests read its argv). */
  onSpawn?: (pid: number) => void;
}

async function tools(ctx: CheckContext): Promise<PgTools & { major: number }> {
  const num = Number((await ctx.targets.pg!.admin.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v);
  const major = Math.floor(num / 10000);
  const found = await findPgTools(major, ctx.config.backup.pg_dump_path);
  if ('reason' in found) throw new SkipCheck(found.reason);
  ctx.info('pgDump', { path: found.pgDump, version: found.version });
  return { ...found, major };
}

function declare(ctx: CheckContext): void {
  const m = ctx.metrics;
  m.headline('restore_mismatches');
}

/** Removes what killed runs left: scratch databases and dump directories whose marked owner process is gone. */
async function reapLeftovers(ctx: CheckContext): Promise<void> {
  const dbs = await reapScratch(ctx.targets.pg!.admin);
  const dirs = await reapDumpDirs();
  if (dbs.reaped.length + dirs.length > 0) {
    ctx.info('reaped', { databases: dbs.reaped, dumpDirs: dirs });
    ctx.log.info(`backup.roundtrip: removed leftovers of killed runs: ${[...dbs.reaped, ...dirs].join(', ')}`);
  }
  for (const f of dbs.failed) {
    ctx.finding({ severity: 'warn', subject: 'scratch database', title: `a scratch database left by a killed run could not be dropped: ${redactText(f)}`, recommendation: 'Drop it as its owner or a superuser: DROP DATABASE <name> WITH (FORCE).' });
  }
}

async function timed(ctx: CheckContext, metric: TrendDecl, fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  ctx.metrics.trend(metric).record(ms);
  return ms;
}

async function readSide(db: PgSession, rels: Relation[], withBlobs: boolean, signal: AbortSignal): Promise<{ rels: Map<string, Fingerprint>; lo: Fingerprint | undefined }> {
  return { rels: await relationSums(db, rels, signal), lo: withBlobs ? await largeObjectSum(db) : undefined };
}

export async function roundTrip(ctx: CheckContext, hooks: RoundTripHooks = {}): Promise<void> {
  const lost: Lost = [];
  try {
    await roundTripIn(ctx, hooks, lost);
  } catch (err) {
    if (lost.length > 0) throw new Error(`${lost[0]}; then: ${(err as Error).message}`);
    if (errorKind(err) === '55P03' || /lock timeout|could not obtain lock/i.test((err as Error).message)) {
      throw new Error(`a table in scope stayed locked by another session for longer than config.backup.lock_wait_ms (${ctx.config.backup.lock_wait_ms} ms): ${(err as Error).message}`);
    }
    throw err;
  }
}

/** What the source holds in scope, read in the dump's snapshot, and what of it fits the size limit. */
interface Plan {
  params: [string[] | null, string[]];
  chosen: Budgeted;
  withBlobs: boolean;
  /** Why large objects are left out, when they are. */
  loWhy: string;
  loUnreadable: number;
  seqNames: { schema: string; name: string }[];
  uncompared: { why: string; n: number }[];
  extensions: string[];
  defs: Definitions;
}

async function plan(source: PgClient, scope: Scope, major: number): Promise<Plan> {
  const params = schemaParams(scope.set);
  const unreadable = (await source.query<{ what: string }>(UNREADABLE_SQL, params)).rows.map((r) => r.what);
  if (unreadable.length > 0) {
    throw new SkipCheck(`the role stackprobe connects as may not read everything in ${scope.how}, so pg_dump cannot dump it: no privilege on ${unreadable.slice(0, 10).join(', ')}${unreadable.length > 10 ? ', …' : ''}. Connect as the role your backups run as, GRANT it SELECT (and USAGE on the schema), or narrow config.backup.schemas`);
  }
  const rels = (await source.query<Relation>(RELATIONS_SQL, params)).rows.map((r) => ({ ...r, oid: Number(r.oid), root: Number(r.root), bytes: Number(r.bytes) }));
  const fks = (await source.query<{ child: string; parent: string }>(FK_SQL)).rows.map((r) => ({ child: Number(r.child), parent: Number(r.parent) }));
  const seqNames = (await source.query<{ schema: string; name: string }>(SEQUENCES_SQL, params)).rows;
  const uncompared = (await source.query<{ why: string; n: number }>(UNCOMPARED_SQL, params)).rows;
  const loBytes = Number((await source.query<{ b: string }>(`SELECT pg_table_size('pg_largeobject') AS b`)).rows[0]!.b);
  const extensions = 'only' in scope.set && major >= 14 ? (await source.query<{ name: string }>(EXTENSIONS_SQL, [scope.set.only])).rows.map((r) => r.name) : [];
  const defs = await definitions(source, params);
  const chosen = applyBudget(rels, fks, scope.maxBytes);
  const loUnreadable = (await source.query<{ n: number }>(UNREADABLE_LO_SQL)).rows[0]!.n;
  const withBlobs = chosen.keptBytes + loBytes <= scope.maxBytes && loUnreadable === 0;
  const loWhy = loUnreadable > 0 ? `${loUnreadable} of them this role may not read` : `${(loBytes / 1024 / 1024).toFixed(1)} MiB would exceed the limit`;
  if (chosen.kept.length === 0 && seqNames.length === 0 && !withBlobs) throw new SkipCheck(`nothing to compare in ${scope.how}: no tables, views, sequences or large objects fit`);
  return { params, chosen, withBlobs, loWhy, loUnreadable, seqNames, uncompared, extensions, defs };
}

/** The source's fingerprints in the dump's snapshot; a restore refreshes materialised views, so their queries' answers are kept too. */
async function readSource(ctx: CheckContext, source: PgClient, p: Plan): Promise<{ rels: Map<string, Fingerprint>; lo: Fingerprint | undefined; mvQuery: Map<string, Fingerprint> }> {
  const side = await readSide(source, p.chosen.kept, p.withBlobs, ctx.signal);
  const mvQuery = new Map<string, Fingerprint>();
  for (const mv of p.chosen.kept.filter((r) => r.kind === 'm' && r.populated)) mvQuery.set(key(mv), await matviewQuerySum(source, mv));
  return { ...side, mvQuery };
}

/** The restored copy's fingerprints and definitions, for the objects the source had. */
async function readRestored(ctx: CheckContext, verify: PgClient, p: Plan) {
  const byKey = new Map((await verify.query<Relation>(RELATIONS_SQL, p.params)).rows.map((r) => [key(r), r]));
  const present = p.chosen.kept.flatMap((r) => { const x = byKey.get(key(r)); return x ? [{ ...r, populated: x.populated }] : []; });
  await verify.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const side = await readSide(verify, present, p.withBlobs, ctx.signal);
  const seqs = await sequencePositions(verify, p.seqNames, ctx.signal);
  const defs = await definitions(verify, p.params);
  await verify.query('ROLLBACK');
  return { ...side, seqs, defs };
}

async function roundTripIn(ctx: CheckContext, hooks: RoundTripHooks, lost: Lost): Promise<void> {
  declare(ctx);
  const pgt = ctx.targets.pg!;
  const bin = await tools(ctx);
  if ((await pgt.admin.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]!.r) {
    throw new SkipCheck('the server is a standby (read-only), and the round trip restores into a scratch database it creates on the server it reads: point it at a primary or a writable copy');
  }
  const owner = await currentOwner();
  await reapLeftovers(ctx);
  const scope = await chooseScope(ctx);
  const dir = await mkdtemp(path.join(os.tmpdir(), DUMP_DIR_PREFIX));
  ctx.defer(() => rm(dir, { recursive: true, force: true }));
  await claimDir(dir, owner);
  const file = path.join(dir, 'dump.pgdump');
  const spawnOpts = { signal: ctx.signal, timeoutMs: ctx.config.timeouts.check_ms, onSpawn: hooks.onSpawn };

  // The source is read in one REPEATABLE READ snapshot that pg_dump shares, so concurrent writes cannot fake a mismatch.
  const source = await session(ctx, lost, undefined, 'source', 'stackprobe-backup-source');
  await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  // A table locked by someone else's DDL fails the check quickly with the reason, instead of waiting out the budget.
  await source.query(`SELECT set_config('lock_timeout', $1, true)`, [String(ctx.config.backup.lock_wait_ms)]);
  const snapshot = (await source.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
  const p = await plan(source, scope, bin.major);
  const seqBefore = await sequencePositions(source, p.seqNames, ctx.signal);
  ctx.progress('pg_dump');
  const dumpArgv = ['-Fc', `--snapshot=${snapshot}`, `--lock-wait-timeout=${ctx.config.backup.lock_wait_ms}`, '-f', file, ...dumpArgs(scope.set, p.chosen.left.map((l) => l.rel), p.withBlobs, p.extensions), '--dbname=service=stackprobe'];
  const sourceEnv = await pgt.libpqEnv(dir, 'source', { applicationName: 'stackprobe-backup' });
  const dumpMs = await timed(ctx, DUMP_DURATION, () => runTool(bin.pgDump, dumpArgv, { ...spawnOpts, env: sourceEnv }));
  const seqAfter = await sequencePositions(source, p.seqNames, ctx.signal);
  const dumpBytes = (await stat(file)).size;
  await hooks.afterDump?.();
  ctx.progress('checksums of the source');
  const src = await readSource(ctx, source, p);
  const locale = await sourceLocale(source);
  // The snapshot is released before the restore: a long restore must not hold back vacuum on the source.
  await source.query('ROLLBACK');
  ctx.info('sourceLocale', locale);

  const scratch = await createScratch(ctx, locale, owner);
  const verify = await session(ctx, lost, scratch.name, 'verify', 'stackprobe-backup-verify');
  // A dump of `public` by name creates it, and a new database already has it.
  if ('only' in scope.set && scope.set.only.includes('public')) await verify.query('DROP SCHEMA public');
  ctx.progress('pg_restore');
  const scratchEnv = await pgt.libpqEnv(dir, 'scratch', { applicationName: 'stackprobe-backup', database: scratch.name });
  const restoreMs = await timed(ctx, RESTORE_DURATION, () => runTool(bin.pgRestore, ['--no-owner', '--no-privileges', '--exit-on-error', '--dbname=service=stackprobe', file], { ...spawnOpts, env: scratchEnv })
    .catch((err: unknown) => { throw new Error(`the restore failed: ${(err as Error).message}`); }));
  await hooks.beforeCompare?.(scratch.name);
  ctx.progress('checksums of the restore');
  const dst = await readRestored(ctx, verify, p);
  ctx.progress('definitions');
  const text = compareText(p.defs, dst.defs);
  const t0 = performance.now();
  const settled = await settle(verify, p.defs, dst.defs, text.candidates, ctx.signal);
  ctx.info('definitionsByMeaning', { printedDifferently: text.candidates.length, sameMeaning: settled.sameMeaning.length, ms: Math.round(performance.now() - t0) });
  judge(ctx, { ...src, seqs: seqBefore, seqAfter }, dst, p.chosen.kept, { compared: p.defs.size, diffs: [...text.diffs, ...settled.diffs], sameMeaning: settled.sameMeaning });
  ctx.metrics.counter(OBJECTS_NOT_COMPARED).add(p.loUnreadable);
  reportScope(ctx, { scope, chosen: p.chosen, seqs: p.seqNames.length, definitions: p.defs.size, extensions: p.extensions, withBlobs: p.withBlobs, loWhy: p.loWhy, loCount: src.lo?.rows, uncompared: p.uncompared });
  record(ctx, { dumpMs, restoreMs, dumpBytes, dataBytes: p.chosen.keptBytes, left: p.chosen.left.length, leftBytes: p.chosen.leftBytes });
}

function record(ctx: CheckContext, f: { dumpMs: number; restoreMs: number; dumpBytes: number; dataBytes: number; left: number; leftBytes: number }): void {
  const MB = 1024 * 1024;
  ctx.metrics.gauge(DUMP_SIZE_BYTES).set(f.dumpBytes);
  ctx.metrics.gauge(DATA_SIZE_BYTES).set(f.dataBytes);
  ctx.metrics.gauge(BYTES_LEFT_OUT).set(f.leftBytes);
  ctx.metrics.counter(TABLES_LEFT_OUT).add(f.left);
  ctx.metrics.gauge(DUMP_THROUGHPUT_MB_S).set(f.dataBytes / MB / Math.max(f.dumpMs / 1000, 1e-3));
  ctx.metrics.gauge(RESTORE_THROUGHPUT_MB_S).set(f.dataBytes / MB / Math.max(f.restoreMs / 1000, 1e-3));
  ctx.info('rtoEstimateS', Math.round(f.restoreMs) / 1000);
}

export const roundtripCheck: Check = {
  id: 'backup.roundtrip',
  category: 'backup',
  typicalQuickMs: 5000,
  title: 'Backup round trip: pg_dump, pg_restore, compare',
  needs: ['pg'],
  metrics: [BACKUP_MISSING_SCHEMAS, DEFINITIONS_COMPARED, LARGE_OBJECTS_COMPARED, LEFT_OUT_BY_DESIGN, MATVIEWS_COMPARED, OBJECTS_NOT_COMPARED, RESTORE_MISMATCHES, ROWS_COMPARED, SEQUENCES_COMPARED, TABLES_COMPARED, BYTES_LEFT_OUT, DATA_SIZE_BYTES, DUMP_DURATION, DUMP_SIZE_BYTES, DUMP_THROUGHPUT_MB_S, RESTORE_DURATION, RESTORE_THROUGHPUT_MB_S, TABLES_LEFT_OUT],
  writes: true,
  thresholds: (config) => ({
    restore_mismatches: ['count==0'],
    // Data left out (size limit) or unreadable (privileges) makes a pass partial: say so with a warn.
    tables_left_out: [{ warn: 'count==0' }],
    objects_not_compared: [{ warn: 'count==0' }],
    // An invalid index is not in any dump: advice about the source, not a broken backup.
    left_out_by_design: [{ warn: 'count==0' }],
    ...(config.backup.max_restore_s !== undefined ? { restore_duration: [`max<${config.backup.max_restore_s * 1000}`] } : {}),
  }),
  run: (ctx) => roundTrip(ctx),
};
