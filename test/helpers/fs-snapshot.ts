// Test helper: a snapshot of paths (each file and folder under them: kind, size, modification time, link target) to show a run wrote nothing there.
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

export type Snapshot = Record<string, string>;

/** For each path: "absent", or one entry per file, folder and link under it (links are not followed). */
export async function snapshot(paths: string[]): Promise<Snapshot> {
  const out: Snapshot = {};
  const walk = async (p: string): Promise<void> => {
    const s = await lstat(p);
    if (s.isSymbolicLink()) out[p] = `link -> ${await readlink(p)}`;
    else if (s.isDirectory()) {
      out[p] = `dir mtime=${s.mtimeMs}`;
      for (const e of await readdir(p)) await walk(path.join(p, e));
    } else out[p] = `${s.isFile() ? 'file' : 'other'} size=${s.size} mtime=${s.mtimeMs}`;
  };
  for (const p of paths) {
    const s = await lstat(p).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return undefined; throw err; });
    if (s === undefined) out[p] = 'absent';
    else await walk(p);
  }
  return out;
}
