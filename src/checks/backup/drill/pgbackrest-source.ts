// Drill source `backup.pgbackrest`: `pgbackrest restore` of the latest (or a named) backup into a private data directory, WAL fetched by `pgbackrest archive-get`, promoted and verified.
import { execFile } from 'node:child_process';
import { chown, mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { SkipCheck } from '../../../util/errors.js';
import { redactText } from '../../../util/redact.js';
import type { CheckContext } from '../../types.js';
import type { DrillOutcome } from './outcome.js';
import { openRecovered } from './physical-source.js';
import { findServerBinaries, makeRoot, serverUser } from './server.js';
import { continuity } from './wal.js';

const exec = promisify(execFile);

export interface PgBackRestOptions {
  stanza: string;
  config?: string | undefined;
  set?: string | undefined;
}

interface InfoBackup {
  label: string;
  type: string;
  timestamp: { start: number; stop: number };
  archive?: { start: string | null; stop: string | null };
  database: { id: number };
  info?: { size?: number; repository?: { size?: number; delta?: number } };
}
interface InfoStanza {
  name: string;
  status: { code: number; message: string };
  backup: InfoBackup[];
  db: { id: number; version: string }[];
}

async function pgbackrestBinary(): Promise<{ file: string; version: string }> {
  for (const file of ['pgbackrest', '/usr/bin/pgbackrest']) {
    const out = await exec(file, ['version'], { timeout: 10_000 }).then((r) => r.stdout.trim(), (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : `error: ${err.message}`));
    if (out?.startsWith('pgBackRest')) return { file, version: out.replace(/^pgBackRest\s*/, '') };
  }
  throw new SkipCheck('backup.pgbackrest is set but pgbackrest is not installed here (not on PATH nor /usr/bin): install it (Debian: apt-get install pgbackrest) in the version your repository was written with');
}

/** The options every pgbackrest call gets: the user's config file, the stanza, no log file of ours in their log folder. */
function common(o: PgBackRestOptions, lockPath: string | undefined, consoleLevel = 'warn'): string[] {
  return [...(o.config ? [`--config=${o.config}`] : []), `--stanza=${o.stanza}`, '--log-level-file=off', `--log-level-console=${consoleLevel}`, '--log-level-stderr=error', ...(lockPath ? [`--lock-path=${lockPath}`] : [])];
}

function pickBackup(st: InfoStanza, set: string | undefined): InfoBackup {
  if (st.backup.length === 0) throw new Error(`pgBackRest stanza ${st.name} has no backup (${st.status.message})`);
  if (!set) return st.backup[st.backup.length - 1]!;
  const b = st.backup.find((x) => x.label === set);
  if (!b) throw new Error(`pgBackRest stanza ${st.name} has no backup set ${set}; it has ${st.backup.map((x) => x.label).join(', ')}`);
  return b;
}

/** Segment names in the repository's archive of this database (archive/<stanza>/<version>-<id>/<16 hex>/<segment>-<sha1>[.ext]), or why they cannot be listed. */
async function repoSegments(configFile: string | undefined, stanza: string, db: { id: number; version: string }): Promise<string[] | string> {
  const file = configFile ?? '/etc/pgbackrest/pgbackrest.conf';
  const text = await readFile(file, 'utf8').catch((err: Error) => err);
  if (text instanceof Error) return `${file} cannot be read (${text.message})`;
  const repo = /^\s*repo1-path\s*=\s*(.+?)\s*$/m.exec(text)?.[1];
  if (!repo || /^\s*repo1-type\s*=\s*(?!posix)/m.test(text)) return 'the repository is not a local repo1-path';
  const base = path.join(repo, 'archive', stanza, `${db.version}-${db.id}`);
  const dirs = await readdir(base).catch((err: Error) => err);
  if (dirs instanceof Error) return `${base} cannot be listed (${dirs.message})`;
  const out: string[] = [];
  for (const d of dirs.filter((x) => /^[0-9A-F]{16}$/.test(x))) {
    for (const f of await readdir(path.join(base, d))) if (/^[0-9A-F]{24}-/.test(f)) out.push(f.slice(0, 24));
  }
  return out;
}

/** The repository files pgbackrest verify finds damaged (its own words), or undefined when it names none. */
async function verifyNames(file: string, o: PgBackRestOptions, opts: { signal: AbortSignal; timeout: number; maxBuffer: number }): Promise<string | undefined> {
  const out = await exec(file, [...common(o, undefined, 'detail'), 'verify'], opts).then((r) => r.stdout + r.stderr, (err: Error & { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`);
  const lines = out.split('\n').filter((l) => /invalid|checksum|missing|error/i.test(l) && /pg_data\/|\/[0-9A-F]{24}/.test(l)).map((l) => l.replace(/^.*?(INFO|WARN|ERROR|DETAIL):\s*/, '').trim());
  return lines.length > 0 ? redactText(lines.slice(0, 5).join('; ')) : undefined;
}

export async function drillPgBackRest(ctx: CheckContext, o: PgBackRestOptions, targetTime: string | undefined): Promise<DrillOutcome> {
  const tool = await pgbackrestBinary();
  const root = await makeRoot();
  ctx.defer(() => root.remove());
  const lockPath = path.join(root.root, 'pgbackrest-lock');
  await mkdir(lockPath, { mode: 0o700 });
  const ids = serverUser();
  if (ids) await chown(lockPath, ids.uid, ids.gid);
  const opts = { signal: ctx.signal, timeout: ctx.config.timeouts.check_ms, maxBuffer: 16 << 20 };
  const fail = (what: string) => (err: Error & { stderr?: string }) => { throw new Error(`pgbackrest ${what} failed: ${redactText((err.stderr ?? '').trim().split('\n').filter(Boolean).slice(-3).join(' | ') || err.message)}`); };

  ctx.progress(`pgbackrest info --stanza=${o.stanza}`);
  const info = JSON.parse((await exec(tool.file, [...common(o, lockPath), '--output=json', 'info'], opts).catch(fail('info'))).stdout) as InfoStanza[];
  const st = info.find((x) => x.name === o.stanza);
  if (!st) throw new Error(`pgBackRest knows no stanza ${o.stanza}`);
  const backup = pickBackup(st, o.set);
  const db = st.db.find((d) => d.id === backup.database.id) ?? st.db[st.db.length - 1]!;
  const major = Number.parseInt(db.version, 10);
  const bins = await findServerBinaries(major, true);
  if ('reason' in bins) throw new SkipCheck(`the pgBackRest backup ${backup.label} is of PostgreSQL ${db.version}, whose server binaries a restore needs: ${bins.reason}`);
  ctx.info('tools', { pgbackrest: `${tool.file} ${tool.version}`, server: `${bins.source} (PostgreSQL ${bins.version})` });
  ctx.info('pgbackrestBackup', { label: backup.label, type: backup.type, walStart: backup.archive?.start, walStop: backup.archive?.stop, repositoryBytes: backup.info?.repository?.delta });

  // WAL continuity from the backup's first segment, when the repository is a local path we can list.
  let gapDefects = 0;
  const names = backup.archive?.start ? await repoSegments(o.config, o.stanza, db) : 'pgbackrest info names no WAL start for this backup';
  if (typeof names !== 'string' && backup.archive?.start) {
    const cont = continuity(names, backup.archive.start, 16 * 1024 * 1024);
    ctx.metrics.counter('wal_segments', {}, 'segments').add(cont.present);
    ctx.info('wal', { startSegment: backup.archive.start, newest: cont.newest, present: cont.present, gaps: cont.gaps });
    for (const g of cont.gaps) {
      gapDefects++;
      ctx.finding({ severity: 'error', subject: 'WAL archive', title: `WAL gap in pgBackRest stanza ${o.stanza}: ${g.count === 1 ? `segment ${g.from} is` : `${g.count} segments ${g.from} … ${g.to} are`} missing; a restore stops before it and loses every change after` });
    }
  } else {
    ctx.info('wal', `WAL continuity not listed (${String(names)}): left to pgbackrest archive-get during recovery`);
  }

  ctx.progress(`pgbackrest restore ${backup.label}`);
  await mkdir(root.dataDir, { mode: 0o700 });
  const target = targetTime ? ['--type=time', `--target=${targetTime.replace('T', ' ').replace(/Z$/i, '+00')}`, '--target-action=promote'] : [];
  const r0 = performance.now();
  // archive-mode=off: the restored copy must never push WAL into the team's repository.
  // One try per file (--job-retry=0): a damaged repository file fails at once, and verify then names it.
  await exec(tool.file, [...common(o, lockPath), `--pg1-path=${root.dataDir}`, `--set=${backup.label}`, '--archive-mode=off', '--job-retry=0', ...target, 'restore'], opts).catch(async (err: Error & { stderr?: string }) => {
    const named = await verifyNames(tool.file, o, opts);
    const e = new Error(`${err.message}`) as Error & { stderr?: string };
    e.stderr = `${err.stderr ?? ''}${named ? `\npgbackrest verify names the damaged file: ${named}` : ''}`;
    return fail('restore')(e);
  });
  if (ids) await exec('chown', ['-R', `${ids.uid}:${ids.gid}`, root.dataDir], opts);
  const restoreMs = performance.now() - r0;

  const restoreCommand = [tool.file, ...common(o, lockPath), `--pg1-path=${root.dataDir}`, 'archive-get', '%f', '"%p"'].map((a) => (a.startsWith('--config=') ? `--config='${a.slice(9).replace(/'/g, `'\\''`)}'` : a)).join(' ').replace(/%(?![fp])/g, '%%');
  const recovered = await openRecovered(ctx, bins, root, restoreCommand, targetTime);
  recovered.verified.defects += gapDefects;
  return {
    tool: `pgBackRest ${tool.version} restore of ${backup.label} (${backup.type}), PostgreSQL ${bins.version} recovery (${bins.source})`,
    restoreMs, consistencyMs: recovered.consistencyMs, recoveryPoint: recovered.recoveryPoint,
    backupTime: new Date(backup.timestamp.stop * 1000), verified: recovered.verified, sizeBytes: backup.info?.repository?.delta,
  };
}
