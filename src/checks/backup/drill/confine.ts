// Keeps a physical restore inside the drill folder: where tablespaces and links of the backup go, and a walk of the restored data directory that refuses any link pointing out of it.
import { lstat, readdir, readlink } from 'node:fs/promises';
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
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isSymbolicLink()) {
        const target = path.resolve(d, await readlink(p));
        if (!inside(root, target)) out.push(`${path.relative(dir, p)} -> ${target}`);
        else if ((await lstat(target).catch(() => undefined))?.isDirectory()) await walk(target);
      } else if (e.isDirectory()) {
        await walk(p);
      }
    }
  };
  await walk(dir);
  return out;
}
