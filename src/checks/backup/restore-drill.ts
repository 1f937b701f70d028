// backup.restore_drill: restores the team's own backups (a pg_dump archive; a base backup with its WAL archive) into a throwaway private server and verifies what comes back.
import path from 'node:path';
import { SkipCheck } from '../../util/errors.js';
import type { Check, CheckContext } from '../types.js';
import { drillDumpFile } from './drill/dump-source.js';
import { checkInput } from './drill/input-file.js';
import { type DrillOutcome, pathBytes } from './drill/outcome.js';
import { drillBaseBackup } from './drill/physical-source.js';
import { drillPgBackRest } from './drill/pgbackrest-source.js';
import { reapDrills } from './drill/server.js';
import { BACKUP_AGE_H, BACKUP_SIZE_BYTES, CONSISTENCY_S, DRILL_DEFECTS, INVARIANTS_CHECKED, RECOVERY_POINT_AGE_S, RELATIONS_AMCHECKED, RESTORE_S, ROWS_RESTORED, RTO_S, TABLES_RESTORED, WAL_SEGMENTS } from './metrics.js';

function declare(ctx: CheckContext): void {
  const m = ctx.metrics;
  m.headline('rto_s');
}

interface Source {
  name: 'dump_file' | 'base_backup' | 'pgbackrest';
  /** The local backup path, when the source is one (its size is reported). */
  path: string | undefined;
  /** The paths of the config checked for kind and size before anything reads them (a FIFO would block the run). */
  check: () => Promise<unknown>;
  run: () => Promise<DrillOutcome>;
}

/** A dump is a non-empty custom-format file, or a directory-format folder whose toc.dat is one. */
async function checkDump(file: string): Promise<void> {
  const field = 'backup.dump_file';
  const { kind } = await checkInput(file, { field, kinds: ['file', 'directory'], nonEmpty: true });
  if (kind === 'directory') await checkInput(path.join(file, 'toc.dat'), { field: `${field} (a directory-format dump's table of contents)`, kinds: ['file'], nonEmpty: true });
}

function sources(ctx: CheckContext): Source[] {
  const b = ctx.config.backup;
  const out: Source[] = [];
  if (b.dump_file) out.push({ name: 'dump_file', path: b.dump_file, check: () => checkDump(b.dump_file!), run: () => drillDumpFile(ctx, b.dump_file!) });
  if (b.base_backup) {
    if (!b.wal_archive) throw new SkipCheck('backup.base_backup is set without backup.wal_archive: a base backup alone cannot be brought to consistency. Set backup.wal_archive to the directory your archive_command writes to');
    const check = () => Promise.all([checkInput(b.base_backup!, { field: 'backup.base_backup', kinds: ['directory', 'file'], nonEmpty: true }), checkInput(b.wal_archive!, { field: 'backup.wal_archive', kinds: ['directory'] })]);
    out.push({ name: 'base_backup', path: b.base_backup, check, run: () => drillBaseBackup(ctx, b.base_backup!, b.wal_archive!, b.target_time) });
  }
  // The pgBackRest config is checked by the source itself, before pgbackrest reads it.
  if (b.pgbackrest) out.push({ name: 'pgbackrest', path: undefined, check: () => Promise.resolve(), run: () => drillPgBackRest(ctx, b.pgbackrest!, b.target_time) });
  return out;
}

function record(ctx: CheckContext, source: string, o: DrillOutcome): void {
  const tags = { source };
  const m = ctx.metrics;
  m.trend(RESTORE_S, tags).record(o.restoreMs / 1000);
  m.trend(CONSISTENCY_S, tags).record(o.consistencyMs / 1000);
  m.trend(RTO_S, tags).record((o.restoreMs + o.consistencyMs) / 1000);
  m.counter(DRILL_DEFECTS, tags).add(o.verified.defects);
  if (o.sizeBytes !== undefined) m.gauge(BACKUP_SIZE_BYTES, tags).set(o.sizeBytes);
  // Ages are between wall-clock timestamps (the backup's and now), not durations measured here.
  const now = new Date().getTime();
  if (o.recoveryPoint) m.gauge(RECOVERY_POINT_AGE_S, tags).set(Math.max(0, (now - o.recoveryPoint.getTime()) / 1000));
  if (o.backupTime) m.trend(BACKUP_AGE_H, tags).record(Math.max(0, (now - o.backupTime.getTime()) / 3_600_000));
  ctx.info(`drill_${source}`, {
    tool: o.tool, restoreS: round(o.restoreMs / 1000), consistencyS: round(o.consistencyMs / 1000), rtoS: round((o.restoreMs + o.consistencyMs) / 1000),
    recoveryPoint: o.recoveryPoint?.toISOString(), backupTime: o.backupTime?.toISOString(), tables: o.verified.tables, rows: o.verified.rowsRestored,
    changedSinceBackup: o.verified.changedSinceBackup.length,
  });
}

const round = (x: number) => Math.round(x * 1000) / 1000;

export async function restoreDrill(ctx: CheckContext): Promise<void> {
  declare(ctx);
  const list = sources(ctx);
  if (list.length === 0) throw new SkipCheck('no backup to drill: set backup.dump_file (a pg_dump -Fc file or -Fd folder), backup.base_backup with backup.wal_archive, or backup.pgbackrest.stanza');
  // A stackprobe killed outright left its private server running: stop it and remove its copy of the data now.
  const reaped = await reapDrills();
  if (reaped.length > 0) ctx.info('reaped', reaped);
  for (const s of list) {
    ctx.progress(`restore drill of ${s.name}${s.path ? ` ${s.path}` : ''}`);
    await s.check();
    const sizeBytes = s.path === undefined ? undefined : await pathBytes(s.path).catch((err: Error) => { throw new Error(`backup.${s.name} ${s.path} cannot be read: ${err.message}`); });
    let outcome: DrillOutcome;
    try {
      const o = await s.run();
      outcome = { ...o, sizeBytes: sizeBytes ?? o.sizeBytes };
    } catch (err) {
      if (err instanceof SkipCheck || ctx.signal.aborted) throw err;
      // A restore that does not come back is the defect this check exists to find: counted, then the check fails with it.
      ctx.metrics.counter(DRILL_DEFECTS, { source: s.name }).add(1);
      throw err;
    }
    record(ctx, s.name, outcome);
  }
}

export const restoreDrillCheck: Check = {
  id: 'backup.restore_drill',
  category: 'backup',
  typicalQuickMs: 10_000,
  title: 'Restore drill: the team\'s real backup restored into a throwaway private server and verified',
  needs: [],
  metrics: [BACKUP_AGE_H, BACKUP_SIZE_BYTES, CONSISTENCY_S, DRILL_DEFECTS, RECOVERY_POINT_AGE_S, RESTORE_S, RTO_S, WAL_SEGMENTS, INVARIANTS_CHECKED, RELATIONS_AMCHECKED, ROWS_RESTORED, TABLES_RESTORED],
  uses: ['pg'],
  // It writes only into its own private server in a temp directory; the live database is read through read-only sessions.
  writes: false,
  thresholds: (config) => ({
    drill_defects: ['count==0'],
    ...(config.backup.max_restore_s !== undefined ? { rto_s: [`max<${config.backup.max_restore_s}`] } : {}),
    backup_age_h: [`max<${config.backup.max_age_h}`],
  }),
  run: restoreDrill,
};
