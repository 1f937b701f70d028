// Drill source `backup.pgbackrest`: `pgbackrest restore` of the latest (or a named) backup into a private data directory (tablespaces and links kept inside it), WAL fetched by `pgbackrest archive-get`, promoted and verified; run as the OS user that can read the repository.
import { chown, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { SkipCheck } from '../../../util/errors.js';
import type { CheckContext } from '../../types.js';
import { linksOutside, tablespaceDir, type BackupTablespace } from './confine.js';
import type { DrillOutcome } from './outcome.js';
import { chooseDrillUser, common, pgbackrestBinary, pgbr, repositoryOf, type DrillUser, type PgBackRest, type PgBackRestOptions } from './pgbackrest-cli.js';
import { checkPgBackRestConfig } from './pgbackrest-config.js';
import { openRecovered } from './physical-source.js';
import { findServerBinaries, makeRoot, type DrillRoot, type OsUser } from './server.js';
import { continuity } from './wal.js';
import { WAL_SEGMENTS } from '../metrics.js';

export type { PgBackRestOptions } from './pgbackrest-cli.js';

interface InfoBackup {
  label: string;
  type: string;
  timestamp: { start: number; stop: number };
  archive?: { start: string | null; stop: string | null };
  database: { id: number };
  info?: { size?: number; repository?: { size?: number; delta?: number } };
  /** Only with `info --set`: the backup's tablespaces and links (pgBackRest 2.x). */
  tablespace?: { destination: string; name: string; oid: number }[] | null;
  link?: { destination: string; name: string }[] | null;
}
interface InfoStanza {
  name: string;
  status: { code: number; message: string };
  backup: InfoBackup[];
  db: { id: number; version: string }[];
}

function pickBackup(st: InfoStanza, set: string | undefined): InfoBackup {
  if (st.backup.length === 0) throw new Error(`pgBackRest stanza ${st.name} has no backup (${st.status.message})`);
  if (!set) return st.backup[st.backup.length - 1]!;
  const b = st.backup.find((x) => x.label === set);
  if (!b) throw new Error(`pgBackRest stanza ${st.name} has no backup set ${set}; it has ${st.backup.map((x) => x.label).join(', ')}`);
  return b;
}

/** Segment names in a local repository's archive of this database (archive/<stanza>/<version>-<id>/<16 hex>/<segment>-<sha1>[.ext]), or why they cannot be listed. */
async function repoSegments(repoPath: string | undefined, stanza: string, db: { id: number; version: string }): Promise<string[] | string> {
  if (!repoPath) return 'the repository is not a local folder';
  const base = path.join(repoPath, 'archive', stanza, `${db.version}-${db.id}`);
  const dirs = await readdir(base).catch((err: Error) => err);
  if (dirs instanceof Error) return `${base} cannot be listed (${dirs.message})`;
  const out: string[] = [];
  for (const d of dirs.filter((x) => /^[0-9A-F]{16}$/.test(x))) {
    for (const f of await readdir(path.join(base, d))) if (/^[0-9A-F]{24}-/.test(f)) out.push(f.slice(0, 24));
  }
  return out;
}

/** The repository files pgbackrest verify finds damaged (its own words), or undefined when it names none. */
async function verifyNames(b: PgBackRest): Promise<string | undefined> {
  // verify takes no lock-path (it takes no lock).
  const out = await pgbr({ ...b, lockPath: undefined }, ['verify'], 'verify', 'detail').then((r) => r.stdout + r.stderr, (err: Error & { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  const lines = out.split('\n').filter((l) => /invalid|checksum|missing|error/i.test(l) && /pg_data\/|\/[0-9A-F]{24}/.test(l)).map((l) => l.replace(/^.*?(INFO|WARN|ERROR|DETAIL):\s*/, '').trim());
  return lines.length > 0 ? lines.slice(0, 5).join('; ') : undefined;
}

/** A folder in the drill root for the drill's user. */
async function ownFolder(dir: string, user: OsUser | undefined): Promise<string> {
  await mkdir(dir, { mode: 0o700 });
  if (user) await chown(dir, user.uid, user.gid);
  return dir;
}

/**
 * Restore options that keep every file inside the drill folder, whatever the user's config says: each tablespace of
 * the backup mapped by oid into <root>/tblspc, any other one under <root>/tblspc/other, links restored as plain
 * folders and files (the default, forced over a link-all or link-map in the config), the spool folder ours.
 */
function confinedRestoreArgs(root: string, tablespaces: BackupTablespace[]): string[] {
  // A restore clears the archive-get queue in the spool folder (by default /var/spool/pgbackrest, the team's own).
  // Options on the command line replace the config's whole list; with no tablespace to map, the config's list is reset.
  const maps = tablespaces.length > 0 ? tablespaces.map((t) => `--tablespace-map=${t.oid}=${tablespaceDir(root, t.oid)}`) : ['--reset-tablespace-map'];
  return [`--spool-path=${path.join(root, 'spool')}`, ...maps, `--tablespace-map-all=${path.join(root, 'tblspc', 'other')}`, '--no-link-all', '--reset-link-map'];
}

/**
 * Lists the stanza's backup and archive folders as the drill's user (what restore and the restored server's
 * archive-get read): a repository that user cannot read is said here, before anything is restored, with what to change.
 */
async function probeRepository(b: PgBackRest, who: DrillUser, repo: { path: string | undefined }, config: string | undefined): Promise<void> {
  for (const dir of [`backup/${b.o.stanza}`, `archive/${b.o.stanza}`]) {
    // repo-ls takes no lock.
    await pgbr({ ...b, lockPath: undefined }, ['repo-ls', dir], `repo-ls ${dir}`).catch((err: Error) => {
      throw new Error(`${err.message}. The drill runs pgbackrest restore and the restored server's archive-get as ${who.name}${b.user ? ` (${who.why})` : ''}; nothing was restored. Make the repository${repo.path ? ` ${repo.path}` : ''} (its ${dir.split('/')[0]} folder and everything in it)${config ? ` and the config ${config}` : ''} readable by that user`);
    });
  }
}

/** The stanza and the backup to drill, read as the drill's user, with the backup's tablespaces and links (info --set). */
async function readBackup(b: PgBackRest, who: DrillUser, repo: { path: string | undefined }, config: string | undefined) {
  await probeRepository(b, who, repo, config);
  const listed = await pgbr(b, ['--output=json', 'info'], 'info').catch((err: Error) => {
    if (!who.user) throw err;
    throw new Error(`${err.message}. The drill runs pgbackrest and the restored server as ${who.name} (${who.why}); make the repository${repo.path ? ` ${repo.path}` : ''} and the config${config ? ` ${config}` : ''} readable by that user (pgBackRest's standard set-up: both owned by or readable to the user PostgreSQL runs as)`);
  });
  const st = (JSON.parse(listed.stdout) as InfoStanza[]).find((x) => x.name === b.o.stanza);
  if (!st) throw new Error(`pgBackRest knows no stanza ${b.o.stanza}`);
  const backup = pickBackup(st, b.o.set);
  const detail = (JSON.parse((await pgbr(b, ['--output=json', `--set=${backup.label}`, 'info'], 'info --set')).stdout) as InfoStanza[])[0]?.backup.find((x) => x.label === backup.label);
  const tablespaces: BackupTablespace[] = (detail?.tablespace ?? []).map((t) => ({ oid: t.oid, name: t.name, destination: t.destination }));
  const db = st.db.find((d) => d.id === backup.database.id) ?? st.db[st.db.length - 1]!;
  return { backup, db, tablespaces, links: detail?.link ?? [] };
}

/** WAL continuity from the backup's first segment, when the repository is a local path we can list; returns the gaps found (each a defect). */
async function walGaps(ctx: CheckContext, repoPath: string | undefined, stanza: string, db: { id: number; version: string }, start: string | null | undefined): Promise<number> {
  const names = start ? await repoSegments(repoPath, stanza, db) : 'pgbackrest info names no WAL start for this backup';
  if (typeof names === 'string' || !start) {
    ctx.info('wal', `WAL continuity not listed (${String(names)}): left to pgbackrest archive-get during recovery`);
    return 0;
  }
  const cont = continuity(names, start, 16 * 1024 * 1024);
  ctx.metrics.counter(WAL_SEGMENTS).add(cont.present);
  ctx.info('wal', { startSegment: start, newest: cont.newest, present: cont.present, gaps: cont.gaps });
  for (const g of cont.gaps) {
    ctx.finding({ severity: 'error', subject: 'WAL archive', title: `WAL gap in pgBackRest stanza ${stanza}: ${g.count === 1 ? `segment ${g.from} is` : `${g.count} segments ${g.from} … ${g.to} are`} missing; a restore stops before it and loses every change after` });
  }
  return cont.gaps.length;
}

/** pgbackrest restore into the drill folder only; a failure names the damaged file pgbackrest verify finds. Returns its duration. */
async function restoreConfined(b: PgBackRest, root: DrillRoot, label: string, tablespaces: BackupTablespace[], targetTime: string | undefined): Promise<number> {
  await ownFolder(root.dataDir, b.user);
  await ownFolder(path.join(root.root, 'tblspc'), b.user);
  for (const t of tablespaces) await ownFolder(tablespaceDir(root.root, t.oid), b.user);
  await ownFolder(path.join(root.root, 'tblspc', 'other'), b.user);
  await ownFolder(path.join(root.root, 'spool'), b.user);
  const target = targetTime ? ['--type=time', `--target=${targetTime.replace('T', ' ').replace(/Z$/i, '+00')}`, '--target-action=promote'] : [];
  const r0 = performance.now();
  // archive-mode=off: the restored copy must never push WAL into the team's repository.
  // One try per file (--job-retry=0): a damaged repository file fails at once, and verify then names it.
  await pgbr(b, [`--pg1-path=${root.dataDir}`, `--set=${label}`, '--archive-mode=off', '--job-retry=0', ...confinedRestoreArgs(root.root, tablespaces), ...target, 'restore'], 'restore').catch(async (err: Error) => {
    const named = await verifyNames(b);
    throw new Error(`${err.message}${named ? `; pgbackrest verify names the damaged file: ${named}` : ''}`);
  });
  const restoreMs = performance.now() - r0;
  // The options above should make this impossible; a restored copy that points out of the folder is never started.
  const outside = await linksOutside(root.dataDir, root.root);
  if (outside.length > 0) throw new Error(`the restored data directory links out of the drill folder (${outside.slice(0, 5).join('; ')}); the drill does not start a server that would write there`);
  return restoreMs;
}

export async function drillPgBackRest(ctx: CheckContext, o: PgBackRestOptions, targetTime: string | undefined): Promise<DrillOutcome> {
  // pgbackrest echoes lines of a config it cannot parse: the file is checked to be one before pgbackrest reads it.
  const conf = await checkPgBackRestConfig(o.config);
  const tool = await pgbackrestBinary();
  const repo = await repositoryOf(tool.file, o, conf.scrub);
  const who = await chooseDrillUser(repo);
  ctx.info('drillUser', { runsAs: who.name, why: who.why });
  const root = await makeRoot(who.user);
  ctx.defer(() => root.remove());
  const b: PgBackRest = {
    ...tool, o, user: who.user, scrub: conf.scrub, signal: ctx.signal, timeoutMs: ctx.config.timeouts.check_ms,
    lockPath: await ownFolder(path.join(root.root, 'pgbackrest-lock'), who.user),
  };

  ctx.progress(`pgbackrest info --stanza=${o.stanza} as ${who.name}`);
  const { backup, db, tablespaces, links } = await readBackup(b, who, repo, conf.file);
  const bins = await findServerBinaries(Number.parseInt(db.version, 10), true);
  if ('reason' in bins) throw new SkipCheck(`the pgBackRest backup ${backup.label} is of PostgreSQL ${db.version}, whose server binaries a restore needs: ${bins.reason}`);
  ctx.info('tools', { pgbackrest: `${tool.file} ${tool.version}`, server: `${bins.source} (PostgreSQL ${bins.version})` });
  ctx.info('pgbackrestBackup', {
    label: backup.label, type: backup.type, walStart: backup.archive?.start, walStop: backup.archive?.stop, repositoryBytes: backup.info?.repository?.delta,
    tablespaces: tablespaces.map((t) => ({ name: t.name, oid: t.oid, livedAt: t.destination, restoredTo: tablespaceDir(root.root, t.oid) })),
    links: links.map((l) => ({ name: l.name, pointedTo: l.destination, restoredAs: 'a plain folder or file in the data directory' })),
  });
  const gapDefects = await walGaps(ctx, repo.path, o.stanza, db, backup.archive?.start);

  ctx.progress(`pgbackrest restore ${backup.label}`);
  const restoreMs = await restoreConfined(b, root, backup.label, tablespaces, targetTime);
  // --no-archive-async: the asynchronous archive-get would spool WAL into a folder outside the drill's.
  const restoreCommand = [tool.file, ...common(o, b.lockPath), `--pg1-path=${root.dataDir}`, '--no-archive-async', 'archive-get', '%f', '"%p"']
    .map((a) => (a.startsWith('--config=') ? `--config='${a.slice(9).replace(/'/g, `'\\''`)}'` : a)).join(' ').replace(/%(?![fp])/g, '%%');
  const recovered = await openRecovered(ctx, bins, root, restoreCommand, targetTime);
  recovered.verified.defects += gapDefects;
  return {
    tool: `pgBackRest ${tool.version} restore of ${backup.label} (${backup.type}), PostgreSQL ${bins.version} recovery (${bins.source})`,
    restoreMs, consistencyMs: recovered.consistencyMs, recoveryPoint: recovered.recoveryPoint,
    backupTime: new Date(backup.timestamp.stop * 1000), verified: recovered.verified, sizeBytes: backup.info?.repository?.delta,
  };
}
