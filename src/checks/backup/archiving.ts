// backup.archiving: WAL archiving health from pg_stat_archiver and the archive settings, and the age of the user's latest backup.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { SkipCheck } from '../../util/errors.js';
import type { Check, CheckContext } from '../types.js';
import { ARCHIVE_FAILED_COUNT, ARCHIVE_FAILING, LATEST_BACKUP_AGE_H, WAL_ARCHIVE_STALE, WAL_ARCHIVING_ENABLED } from './metrics.js';

const ARCHIVER_SQL = `
  SELECT current_setting('archive_mode') AS mode, current_setting('archive_command') AS command,
    coalesce(current_setting('archive_library', true), '') AS library, current_setting('wal_level') AS wal_level,
    a.archived_count, a.last_archived_wal, a.last_archived_time::text AS last_archived_time,
    a.failed_count, a.last_failed_wal, a.last_failed_time::text AS last_failed_time,
    extract(epoch FROM now() - coalesce(a.last_archived_time, pg_postmaster_start_time())) AS age_s,
    a.last_failed_time IS NOT NULL AND (a.last_archived_time IS NULL OR a.last_failed_time > a.last_archived_time) AS failing
  FROM pg_stat_archiver a`;

interface Archiver {
  mode: string;
  command: string;
  library: string;
  wal_level: string;
  archived_count: string;
  last_archived_wal: string | null;
  last_archived_time: string | null;
  failed_count: string;
  last_failed_wal: string | null;
  last_failed_time: string | null;
  age_s: string;
  failing: boolean;
}

/** The newest modification time of any file under `dir` (three levels deep), in ms since the epoch. */
export async function newestFile(dir: string, depth = 3): Promise<number | undefined> {
  let newest: number | undefined;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    const t = entry.isDirectory() ? (depth > 0 ? await newestFile(p, depth - 1) : undefined) : entry.isFile() ? (await stat(p)).mtimeMs : undefined;
    if (t !== undefined && (newest === undefined || t > newest)) newest = t;
  }
  return newest;
}

function reportArchiver(ctx: CheckContext, a: Archiver): void {
  const on = a.mode === 'on' || a.mode === 'always';
  const configured = a.command !== '' || a.library !== '';
  ctx.info('archiver', { archive_mode: a.mode, archive_command: a.command ? '(set)' : '', archive_library: a.library, wal_level: a.wal_level, archived: Number(a.archived_count), failed: Number(a.failed_count), lastArchivedWal: a.last_archived_wal, lastArchivedAt: a.last_archived_time, lastFailedWal: a.last_failed_wal, lastFailedAt: a.last_failed_time });
  ctx.metrics.gauge(WAL_ARCHIVING_ENABLED).set(on && configured ? 1 : 0);
  ctx.metrics.gauge(ARCHIVE_FAILING).set(a.failing ? 1 : 0);
  ctx.metrics.counter(ARCHIVE_FAILED_COUNT).add(Number(a.failed_count));
  const stale = on && configured && Number(a.age_s) > ctx.config.backup.max_archive_age_s;
  ctx.metrics.gauge(WAL_ARCHIVE_STALE).set(stale ? 1 : 0);
  if (!on || !configured) {
    ctx.finding({
      severity: 'warn', subject: 'archive_mode', title: on ? 'archive_mode is on but neither archive_command nor archive_library is set: WAL is kept, not archived' : 'WAL archiving is off: only the last full backup can be restored, not a point in time',
      recommendation: 'Set archive_mode = on and an archive tool (pgBackRest, WAL-G, barman) in archive_command or archive_library, or use a managed service\'s point-in-time recovery.',
    });
  }
  if (a.failing) {
    ctx.finding({
      severity: 'error', subject: 'pg_stat_archiver', title: `WAL archiving is failing: last failure ${a.last_failed_wal} at ${a.last_failed_time}, after the last success (${a.last_archived_wal ?? 'none'} at ${a.last_archived_time ?? 'never'})`,
      detail: 'Unarchived WAL accumulates in pg_wal until the disk fills, and point-in-time recovery has a gap from the last archived segment.',
      recommendation: 'Read the server log for the archive_command error and fix it (permissions, space, credentials of the archive target).',
    });
  }
  if (stale) {
    ctx.finding({
      severity: 'warn', subject: 'pg_stat_archiver', title: `no WAL segment archived for ${Math.round(Number(a.age_s))} s (more than config.backup.max_archive_age_s = ${ctx.config.backup.max_archive_age_s})`,
      recommendation: 'On a busy server this means archiving stalled; on a quiet one set archive_timeout so segments are archived at least that often.',
    });
  }
}

async function latestBackup(ctx: CheckContext): Promise<void> {
  const { backup_dir: dir, latest_backup_at: at, max_age_h: maxAge } = ctx.config.backup;
  if (!dir && !at) return;
  let newest = at ? new Date(at).getTime() : undefined;
  if (dir) {
    const fromDir = await newestFile(dir).catch((err: unknown) => {
      ctx.finding({ severity: 'error', subject: dir, title: `config.backup.backup_dir cannot be read: ${(err as Error).message}`, recommendation: 'Point it at the directory your backups are written to, readable by this user.' });
      return undefined;
    });
    if (fromDir !== undefined && (newest === undefined || fromDir > newest)) newest = fromDir;
  }
  // Wall-clock ages: backups are stamped with wall-clock times.
  const ageH = newest === undefined ? Number.MAX_SAFE_INTEGER : (new Date().getTime() - newest) / 3_600_000;
  ctx.metrics.gauge(LATEST_BACKUP_AGE_H).set(ageH);
  if (newest === undefined) {
    ctx.finding({ severity: 'error', title: 'no backup found', detail: `${dir} holds no files`, recommendation: 'Check that your backup job runs and writes where config.backup.backup_dir says.' });
  } else {
    ctx.info('latestBackupAt', new Date(newest).toISOString());
    if (ageH >= maxAge) ctx.finding({ severity: 'error', title: `the latest backup is ${ageH.toFixed(1)} h old (limit ${maxAge} h)`, recommendation: 'Check the backup job\'s schedule and its last runs.' });
  }
}

export const archivingCheck: Check = {
  id: 'backup.archiving',
  category: 'backup',
  title: 'WAL archiving and backup age',
  needs: ['pg'],
  metrics: [ARCHIVE_FAILED_COUNT, ARCHIVE_FAILING, LATEST_BACKUP_AGE_H, WAL_ARCHIVE_STALE, WAL_ARCHIVING_ENABLED],
  writes: false,
  thresholds: (config) => ({
    archive_failing: ['value==0'],
    wal_archiving_enabled: [{ warn: 'value==1' }],
    wal_archive_stale: [{ warn: 'value==0' }],
    ...(config.backup.backup_dir || config.backup.latest_backup_at ? { latest_backup_age_h: [`value<${config.backup.max_age_h}`] } : {}),
  }),
  async run(ctx) {
    const pg = ctx.targets.pg!;
    const userBackup = ctx.config.backup.backup_dir || ctx.config.backup.latest_backup_at;
    if (pg.facts.private && !userBackup) throw new SkipCheck('the private embedded PostgreSQL is thrown away after the run: it has no WAL archive to check');
    const a = (await pg.admin.query<Archiver>(ARCHIVER_SQL)).rows[0]!;
    reportArchiver(ctx, a);
    await latestBackup(ctx);
  },
};
