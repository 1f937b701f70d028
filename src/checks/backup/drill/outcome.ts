// What a drill source hands back to the check: the tool used, its timings, the recovery point and what verification found.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Verified } from './verify.js';

export interface DrillOutcome {
  /** The real tool and version that restored it, e.g. "pg_restore 15.8". */
  tool: string;
  /** Copying or restoring the data (pg_restore, copy of the base backup). */
  restoreMs: number;
  /** From the start of the private server to a consistent, open server (for a dump: initdb and start). */
  consistencyMs: number;
  /** The newest data the restored copy holds (a dump's time, the last replayed transaction). */
  recoveryPoint: Date | undefined;
  /** When the backup itself was taken (judged against backup.max_age_h). */
  backupTime: Date | undefined;
  verified: Verified;
  sizeBytes: number | undefined;
}

/** Bytes under a path (a file, or a folder walked without following links). */
export async function pathBytes(p: string): Promise<number> {
  const s = await stat(p);
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const e of await readdir(p, { withFileTypes: true })) {
    if (e.isDirectory()) total += await pathBytes(path.join(p, e.name));
    else if (e.isFile()) total += (await stat(path.join(p, e.name))).size;
  }
  return total;
}
