// One temporary directory for the bench's scratch files (pgbench scripts), removed when the process exits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let dir: string | undefined;

/** A path inside the bench's own temp dir; the dir and everything in it go away at exit, also after an error. */
export function benchTempFile(name: string): string {
  if (!dir) {
    const made = mkdtempSync(join(tmpdir(), 'stackprobe-bench-'));
    dir = made;
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  return join(dir, name);
}
