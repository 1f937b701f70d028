// Writes an output file whole or not at all: into a temporary file in the same directory, flushed to disk, then renamed
// over the target. A full disk leaves neither a truncated run.json nor the temporary file, and says which directory.
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { OutputError } from './errors.js';

const WHY: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EFBIG: 'file too large for this file system',
  EIO: 'input/output error',
};

function outputError(file: string, err: unknown): OutputError {
  const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
  return new OutputError(`cannot write ${path.basename(file)} in ${path.dirname(file)}: ${WHY[code] ?? 'write failed'} (${code})`, { cause: err });
}

/** Writes `data` to `file` atomically (temp file, fsync, rename). Throws OutputError naming the directory and why. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let created = false;
  try {
    const fh = await open(tmp, 'wx', 0o644);
    created = true;
    try {
      await fh.writeFile(data);
      // Flushed before the rename: after a crash the name holds the old file or the whole new one, never a prefix.
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    created = false;
  } catch (err) {
    if (created) await unlink(tmp).catch((e: unknown) => void e); // the write's own error is the one to report
    throw outputError(file, err);
  }
}
