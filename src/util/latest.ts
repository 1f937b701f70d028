// The `latest` pointer of an output directory: a relative symlink to the newest finished run's directory, and
// latest.json beside it for file systems and tools without symlinks. Both are replaced atomically (rename).
import { rename, rm, stat, symlink } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write.js';
import path from 'node:path';
import { ConfigError, describeError } from './errors.js';
import { MAX_POINTER_BYTES, readBoundedText } from './read-bounded.js';

export const LATEST_LINK = 'latest';
export const LATEST_FILE = 'latest.json';

export interface LatestPointer {
  /** The run's directory, relative to the output directory. */
  dir: string;
  runJson: string;
  startedAt: string;
}

/** Points `parent/latest` and `parent/latest.json` at `runDir`. Returns a warning when the symlink could not be made. */
export async function pointLatest(runDir: string, startedAt: string): Promise<string | undefined> {
  const parent = path.dirname(runDir);
  const name = path.basename(runDir);
  const pointer: LatestPointer = { dir: name, runJson: `${name}/run.json`, startedAt };
  await writeFileAtomic(path.join(parent, LATEST_FILE), `${JSON.stringify(pointer, null, 2)}\n`);
  const tmpLink = path.join(parent, `.${LATEST_LINK}.${process.pid}`);
  try {
    await rm(tmpLink, { force: true });
    await symlink(name, tmpLink, 'dir');
    // rename over an existing symlink replaces it in one step: a reader never sees no `latest`.
    await rename(tmpLink, path.join(parent, LATEST_LINK));
    return undefined;
  } catch (err) {
    await rm(tmpLink, { force: true });
    return `could not make the symlink ${path.join(parent, LATEST_LINK)} (${describeError(err)}); ${LATEST_FILE} names the newest run`;
  }
}

/** The newest run's directory under `parent` from latest.json, or undefined when there is none. */
export async function readLatest(parent: string): Promise<string | undefined> {
  const file = path.join(parent, LATEST_FILE);
  try {
    await stat(file);
  } catch (err) {
    // No pointer is an answer (the caller says what was looked for); anything else is the user's to see.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`${file}: cannot read it (${describeError(err)})`);
  }
  const text = await readBoundedText(file, file, MAX_POINTER_BYTES);
  let dir: unknown;
  try {
    dir = (JSON.parse(text) as Partial<LatestPointer>).dir;
  } catch (err) {
    throw new ConfigError(`${file}: not a latest-run pointer (${describeError(err)})`);
  }
  return typeof dir === 'string' && dir !== '' && !dir.includes('/') && !dir.includes('..') ? path.join(parent, dir) : undefined;
}
