// Drill source `backup.base_backup` + `backup.wal_archive`: the base backup copied into a private data directory, recovered from the archive (to its end or a target time), promoted and verified.
import { access, chmod, constants, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execChild } from '../../../util/child.js';
import { SkipCheck } from '../../../util/errors.js';
import type { CheckContext } from '../../types.js';
import { confineBaseCopy, linksOutside } from './confine.js';
import { checkInput } from './input-file.js';
import type { DrillOutcome } from './outcome.js';
import { binPath, findServerBinaries, makeRoot, runAsServer, serverUser, startServer, type DrillRoot, type Running, type ServerBinaries } from './server.js';
import { privateClient, verifyRestored } from './verify.js';
import { archiveNames, continuity } from './wal.js';
import { WAL_SEGMENTS } from '../metrics.js';

const exec = execChild;

const exists = (p: string) => access(p, constants.F_OK).then(() => true, (err: Error) => { void err; return false; });

/** Copies a plain base backup folder, or extracts base.tar[.gz] (and pg_wal.tar) of a tar-format one, into the data directory. */
async function copyIn(ctx: CheckContext, base: string, r: DrillRoot): Promise<string> {
  const opts = { signal: ctx.signal, timeout: ctx.config.timeouts.check_ms, maxBuffer: 1 << 20 };
  await mkdir(r.dataDir, { mode: 0o700 });
  const isDir = (await stat(base)).isDirectory();
  if (isDir && (await exists(path.join(base, 'PG_VERSION')))) {
    await exec('cp', ['-a', '--', `${base}/.`, r.dataDir], opts);
    return 'plain';
  }
  const tar = isDir ? (await Promise.all(['base.tar', 'base.tar.gz', 'base.tar.lz4', 'base.tar.zst'].map(async (n) => ((await exists(path.join(base, n))) ? path.join(base, n) : undefined)))).find(Boolean) : base;
  if (!tar) throw new Error(`${base} is neither a base backup folder (no PG_VERSION) nor a folder holding base.tar[.gz]`);
  // tar would wait forever on a FIFO: the archive must be a regular, non-empty file.
  await checkInput(tar, { field: 'backup.base_backup', kinds: ['file'], nonEmpty: true });
  await exec('tar', ['-xf', tar, '-C', r.dataDir], opts);
  const walTar = (await Promise.all(['pg_wal.tar', 'pg_wal.tar.gz'].map(async (n) => ((await exists(path.join(path.dirname(tar), n))) ? path.join(path.dirname(tar), n) : undefined)))).find(Boolean);
  if (walTar) await exec('tar', ['-xf', walTar, '-C', path.join(r.dataDir, 'pg_wal')], opts);
  return 'tar';
}

interface Label {
  startSegment: string;
  startTime: Date | undefined;
}

function parseLabel(text: string): Label {
  const seg = /START WAL LOCATION: \S+ \(file ([0-9A-F]{24})\)/.exec(text);
  if (!seg) throw new Error('backup_label has no START WAL LOCATION: not a pg_basebackup backup');
  const t = /START TIME: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ?(\S+)?/.exec(text);
  const when = t ? new Date(`${t[1]!.replace(' ', 'T')}${t[2] === 'UTC' || t[2] === 'GMT' ? 'Z' : ''}`) : undefined;
  return { startSegment: seg[1]!, startTime: when && !Number.isNaN(when.getTime()) ? when : undefined };
}

async function segmentBytes(bins: ServerBinaries, dataDir: string, ctx: CheckContext): Promise<number> {
  const tool = binPath(bins, 'pg_controldata');
  if (!(await exists(tool))) return 16 * 1024 * 1024;
  const out = await runAsServer(tool, [dataDir], ctx.signal, 30_000);
  const m = /Bytes per WAL segment:\s+(\d+)/.exec(out);
  return m ? Number(m[1]) : 16 * 1024 * 1024;
}

/** restore_command's value: the archive path shell-quoted, and `%` doubled so PostgreSQL does not read it as a placeholder. */
export function restoreCommand(archive: string): string {
  const shellQuoted = `'${archive.replace(/'/g, `'\\''`)}'`;
  return `cp ${shellQuoted.replace(/%/g, '%%')}/%f %p`;
}

/** recovery_target_time is checked before time zone abbreviations load: `Z` must be spelled as a numeric offset. */
export function pgTimestamp(iso: string): string {
  return iso.replace('T', ' ').replace(/Z$/i, '+00');
}

/** Connects as the restored cluster's superuser: `postgres`, else the live URL's user. */
async function connectAs(ctx: CheckContext, server: Running, database: string) {
  const users = ['postgres', ...(ctx.targets.pg ? [ctx.targets.pg.location.user] : [])].filter((u, i, a) => u && a.indexOf(u) === i);
  let last: Error | undefined;
  for (const user of users) {
    const c = await privateClient(ctx, server.host, server.port, user, database).then((x) => x, (err: Error) => { last = err; return undefined; });
    if (c) return { client: c, user };
  }
  throw new Error(`could not connect to the restored server as ${users.join(' or ')}: ${last?.message}`);
}

export async function drillBaseBackup(ctx: CheckContext, base: string, archive: string, targetTime: string | undefined): Promise<DrillOutcome> {
  const root = await makeRoot();
  ctx.defer(() => root.remove());
  ctx.progress(`copying the base backup ${base}`);
  const c0 = performance.now();
  const layout = await copyIn(ctx, base, root);
  const copyOpts = { signal: ctx.signal, timeout: ctx.config.timeouts.check_ms, maxBuffer: 1 << 20 };
  // Tablespaces and links of the backup come inside the drill folder: a server started on the copy writes where they point.
  const backupDir = (await stat(base)).isDirectory() ? base : path.dirname(base);
  const moved = await confineBaseCopy(root.dataDir, root.root, backupDir, (file, args) => exec(file, args, copyOpts));
  if (moved.length > 0) ctx.info('movedIn', moved.map((m) => ({ name: m.oid, backupPointedTo: m.from, restoredTo: m.to })));
  const outside = await linksOutside(root.dataDir, root.root);
  if (outside.length > 0) throw new Error(`the copied base backup links out of the drill folder (${outside.slice(0, 5).join('; ')}); the drill does not start a server that would write there`);
  const ids = serverUser();
  if (ids) {
    await exec('chown', ['-R', `${ids.uid}:${ids.gid}`, root.dataDir], copyOpts);
    if (await exists(path.join(root.root, 'tblspc'))) await exec('chown', ['-R', `${ids.uid}:${ids.gid}`, path.join(root.root, 'tblspc')], copyOpts);
  }
  await chmod(root.dataDir, 0o700);
  const restoreMs = performance.now() - c0;

  const major = Number((await readFile(path.join(root.dataDir, 'PG_VERSION'), 'utf8')).trim());
  const bins = await findServerBinaries(major, true);
  if ('reason' in bins) throw new SkipCheck(`the base backup is of PostgreSQL ${major}, whose server binaries a physical restore needs: ${bins.reason}`);
  const label = parseLabel(await readFile(path.join(root.dataDir, 'backup_label'), 'utf8').catch((err: Error) => { throw new Error(`${base} has no backup_label (${err.message}): not a base backup taken with pg_basebackup`); }));
  ctx.info('tools', { server: `${bins.source} (PostgreSQL ${bins.version})`, copy: layout === 'plain' ? 'cp -a' : 'tar -x', restoreCommand: restoreCommand(archive) });

  // WAL continuity, read from the archive before recovery: a gap makes PostgreSQL end recovery early and open anyway, silently losing what follows.
  await runAsServer('/bin/ls', ['--', archive], ctx.signal, 10_000).catch((err: Error) => { throw new Error(`the WAL archive ${archive} cannot be read by the server's user (${ids ? 'nobody' : 'this user'}), so restore_command would fail: ${err.message}`); });
  // Archives are often private to the archiving user: a segment nobody may read would end recovery early, looking like the end of the archive.
  await runAsServer('/usr/bin/head', ['-c', '1', '--', path.join(archive, label.startSegment)], ctx.signal, 10_000).catch((err: Error) => {
    throw new Error(`the backup's first WAL segment ${label.startSegment} in ${archive} cannot be read by the server's user (${ids ? 'nobody' : 'this user'}): ${err.message}. Make the archive readable to it (or copy it) before the drill`);
  });
  const segBytes = await segmentBytes(bins, root.dataDir, ctx);
  const cont = continuity(await archiveNames(archive), label.startSegment, segBytes);
  ctx.metrics.counter(WAL_SEGMENTS).add(cont.present);
  ctx.info('wal', { startSegment: label.startSegment, newest: cont.newest, present: cont.present, gaps: cont.gaps });
  let gapDefects = 0;
  for (const g of cont.gaps) {
    gapDefects++;
    ctx.finding({ severity: 'error', subject: 'WAL archive', title: `WAL gap in ${archive}: ${g.count === 1 ? `segment ${g.from} is` : `${g.count} segments ${g.from} … ${g.to} are`} missing; a restore stops before it and loses every change after`, recommendation: 'Find why archive_command skipped it (pg_stat_archiver.failed_count, the server log) and take a new base backup: the changes after the gap cannot be replayed' });
  }

  ctx.progress(`recovering from ${archive}${targetTime ? ` to ${targetTime}` : ''}`);
  const recovered = await openRecovered(ctx, bins, root, restoreCommand(archive), targetTime);
  recovered.verified.defects += gapDefects;
  return { tool: `PostgreSQL ${bins.version} recovery (${bins.source}), restore_command cp`, restoreMs, ...recovered, backupTime: label.startTime, sizeBytes: undefined };
}

/**
 * Starts the restored data directory in archive recovery (to the end of the WAL, or to a target time, then promoted),
 * waits for it to open, reads the recovery point from its log, and verifies the copy.
 */
export async function openRecovered(ctx: CheckContext, bins: ServerBinaries, root: DrillRoot, command: string, targetTime: string | undefined): Promise<Pick<DrillOutcome, 'consistencyMs' | 'recoveryPoint' | 'verified'>> {
  const ids = root.user ?? serverUser();
  await writeFile(path.join(root.dataDir, 'recovery.signal'), '', { mode: 0o600 });
  if (ids) await exec('chown', [`${ids.uid}:${ids.gid}`, path.join(root.dataDir, 'recovery.signal')], { timeout: 10_000 });
  const settings = ['-c', `restore_command=${command}`, '-c', 'recovery_target_timeline=latest', '-c', 'hot_standby=on'];
  if (targetTime) settings.push('-c', `recovery_target_time=${pgTimestamp(targetTime)}`, '-c', 'recovery_target_action=promote');
  const s0 = performance.now();
  const server = await startServer(bins, root, settings);
  ctx.defer(() => server.stop());
  await server.waitFor(/database system is ready to accept connections/, ctx.config.timeouts.check_ms, 'the end of recovery and promotion', ctx.signal);
  const consistencyMs = performance.now() - s0;
  const log = server.log();
  const stopAt = /recovery stopping (?:before|after) commit of transaction \d+, time ([^\n]+)/.exec(log)?.[1];
  // The newest data is the last transaction replayed; a stop at the target names the first one left out.
  const rp = /last completed transaction was at log time ([^\n]+)/.exec(log)?.[1];
  const recoveryPoint = rp ? new Date(rp.trim().replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')) : undefined;
  ctx.info('recovery', { redoDone: /redo done at (\S+)/.exec(log)?.[1], recoveryPoint: rp?.trim(), stoppedAtTarget: stopAt !== undefined, ...(stopAt ? { firstTransactionLeftOut: stopAt.trim() } : {}) });

  const dbName = await chooseDatabase(ctx, server);
  const { client } = await connectAs(ctx, server, dbName);
  ctx.info('verifiedDatabase', dbName);
  const verified = await verifyRestored(ctx, client, bins.major);
  return { consistencyMs, recoveryPoint: recoveryPoint && !Number.isNaN(recoveryPoint.getTime()) ? recoveryPoint : undefined, verified };
}

/** The live target's database when the copy has it; else the only application database; else `postgres`. */
async function chooseDatabase(ctx: CheckContext, server: Running): Promise<string> {
  const { client } = await connectAs(ctx, server, 'postgres');
  const names = (await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname <> 'postgres'`)).rows.map((x) => x.datname);
  await client.end();
  const live = ctx.targets.pg?.location.database;
  if (live && (names.includes(live) || live === 'postgres')) return live;
  return names.length === 1 ? names[0]! : 'postgres';
}
