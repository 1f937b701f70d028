// Keeps a physical restore inside the drill folder: where tablespaces and links of the backup go, a base backup's copy made self-contained, and a walk of the restored data directory that refuses any link pointing out of it.
import { lstat, mkdir, readdir, readFile, readlink, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface BackupTablespace {
  oid: number;
  name: string;
  /** Where the backup says it lived (where a plain restore would write it). */
  destination: string;
}

/** `<root>/tblspc/<oid>`: by oid, since a tablespace's name may hold `/` or `..` and so may not be a path. */
export function tablespaceDir(root: string, oid: number): string {
  return path.join(root, 'tblspc', String(oid));
}

/** A missing path is an answer (undefined); any other error is not. */
function notFound(err: NodeJS.ErrnoException): undefined {
  if (err.code === 'ENOENT') return undefined;
  throw err;
}

const inside = (root: string, p: string) => {
  const rel = path.relative(root, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};

/**
 * The symbolic links under `dir` whose target lies outside `root` (relative targets resolved from the link's folder),
 * as "link -> target". A copy of a cluster whose pg_tblspc or pg_wal points elsewhere would write there once started.
 */
export async function linksOutside(dir: string, root: string): Promise<string[]> {
  const out: string[] = [];
  // A link to a folder inside the root may lead back to one already walked (a loop): each folder is walked once.
  const seen = new Set<string>();
  const walk = async (d: string): Promise<void> => {
    const real = await realpath(d);
    if (seen.has(real)) return;
    seen.add(real);
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isSymbolicLink()) {
        const target = path.resolve(d, await readlink(p));
        if (!inside(root, target)) out.push(`${path.relative(dir, p)} -> ${target}`);
        else if ((await lstat(target).catch(notFound))?.isDirectory()) await walk(target);
      } else if (e.isDirectory()) {
        await walk(p);
      }
    }
  };
  await walk(dir);
  return out;
}

/** Runs a copy tool (cp, tar) with the check's signal and budget. */
export type CopyRun = (file: string, args: string[]) => Promise<unknown>;

export interface MovedIn {
  oid: string;
  /** Where the backup pointed it (a live path, or the backup's own folder). */
  from: string;
  to: string;
}

const TAR_SUFFIXES = ['.tar', '.tar.gz', '.tar.lz4', '.tar.zst'];

/**
 * Brings what a copied base backup links to inside the drill folder, before a server starts on it: pg_tblspc links
 * (plain format) get a copy of their folder under <root>/tblspc/<oid>; other links (a pg_wal elsewhere) become plain
 * folders; a tablespace_map (tar format, which PostgreSQL would turn into links to the live paths) is rewritten to
 * <root>/tblspc/<oid>, filled from <oid>.tar beside base.tar, refused when that file is missing.
 */
export async function confineBaseCopy(dataDir: string, root: string, backupDir: string, run: CopyRun): Promise<MovedIn[]> {
  const moved: MovedIn[] = [];
  const tblspc = path.join(dataDir, 'pg_tblspc');
  for (const e of (await readdir(tblspc, { withFileTypes: true }).catch(notFound)) ?? []) {
    if (!e.isSymbolicLink()) continue;
    const link = path.join(tblspc, e.name);
    const from = path.resolve(tblspc, await readlink(link));
    const to = tablespaceDir(root, Number(e.name));
    await mkdir(to, { recursive: true, mode: 0o700 });
    await run('cp', ['-a', '--', `${from}/.`, to]);
    await rm(link);
    await symlink(to, link);
    moved.push({ oid: e.name, from, to });
  }
  for (const e of await readdir(dataDir, { withFileTypes: true })) {
    if (!e.isSymbolicLink()) continue;
    const link = path.join(dataDir, e.name);
    const from = path.resolve(dataDir, await readlink(link));
    await rm(link);
    if ((await stat(from)).isDirectory()) {
      await mkdir(link, { mode: 0o700 });
      await run('cp', ['-a', '--', `${from}/.`, link]);
    } else {
      await run('cp', ['-a', '--', from, link]);
    }
    moved.push({ oid: e.name, from, to: link });
  }
  const mapFile = path.join(dataDir, 'tablespace_map');
  const map = await readFile(mapFile, 'utf8').catch(notFound);
  if (map === undefined) return moved;
  const lines: string[] = [];
  for (const line of map.split('\n').filter(Boolean)) {
    const sp = line.indexOf(' ');
    const oid = line.slice(0, sp);
    const from = line.slice(sp + 1);
    if (!/^\d+$/.test(oid)) throw new Error(`the base backup's tablespace_map has a line the drill cannot read (no tablespace oid at its start)`);
    const tars = TAR_SUFFIXES.map((s) => path.join(backupDir, `${oid}${s}`));
    const tar = (await Promise.all(tars.map(async (t) => ((await stat(t).catch(notFound))?.isFile() ? t : undefined)))).find(Boolean);
    if (!tar) throw new Error(`the base backup has tablespace ${oid} (at ${from}) but no ${oid}.tar beside base.tar: the drill restores a tablespace only from the backup, never from its live folder`);
    const to = tablespaceDir(root, Number(oid));
    await mkdir(to, { recursive: true, mode: 0o700 });
    await run('tar', ['-xf', tar, '-C', to]);
    lines.push(`${oid} ${to}`);
    moved.push({ oid, from, to });
  }
  await writeFile(mapFile, `${lines.join('\n')}\n`);
  return moved;
}
