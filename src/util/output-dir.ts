// Makes sure the output directory can be written before anything runs: a path under /proc, a file in the way or a
// directory without permission is a usage error (exit 2) found in milliseconds, not after minutes of measuring.
import { randomBytes } from 'node:crypto';
import { mkdir, open, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from './errors.js';

/** A file system that does not answer (a hung network mount) must not hang the run either. */
const ANSWER_WITHIN_MS = 5000;

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOENT: 'cannot create a directory there',
  ENOTDIR: 'a file is in the way',
  ENOSPC: 'no space left',
  EDQUOT: 'disk quota exceeded',
};

const why = (code: string) => (WHY[code] ? `${WHY[code]} (${code})` : code);

/**
 * `mkdir -p`, one level at a time. Node's own `mkdir({ recursive: true })` loops forever on paths such as `/proc/x`
 * (the kernel answers ENOENT for a parent that exists), so it is not used for a path the user typed.
 */
async function makeDirs(dir: string, label: string): Promise<void> {
  const parts: string[] = [];
  for (let p = dir; ; p = path.dirname(p)) {
    parts.unshift(p);
    if (path.dirname(p) === p) break;
  }
  for (const p of parts) {
    let isDir: boolean | undefined;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch (err) {
      if (codeOf(err) !== 'ENOENT') throw new ConfigError(`${label} ${dir}: cannot use ${p}: ${why(codeOf(err))}`);
    }
    if (isDir === false) throw new ConfigError(`${label} ${dir}: ${p} is a file, not a directory`);
    if (isDir) continue;
    try {
      await mkdir(p);
    } catch (err) {
      if (codeOf(err) !== 'EEXIST') throw new ConfigError(`${label} ${dir}: cannot create ${p}: ${why(codeOf(err))}`);
    }
  }
}

/** Creates a probe file and removes it: the only sure test that reports can be written there. */
async function probeWrite(dir: string, label: string): Promise<void> {
  const probe = path.join(dir, `.stackprobe-write-test-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const fh = await open(probe, 'wx');
    await fh.close();
  } catch (err) {
    throw new ConfigError(`${label} ${dir}: cannot write there: ${why(codeOf(err))}`);
  }
  await unlink(probe);
}

/**
 * Creates `dir` when needed and checks a file can be written in it; returns its absolute path.
 * `label` is how the user set it (`--output`, `config.output`), so the message points at the right place.
 */
export async function prepareOutputDir(dir: string, label: string): Promise<string> {
  const abs = path.resolve(dir);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConfigError(`${label} ${abs}: the file system did not answer within ${ANSWER_WITHIN_MS / 1000} s`)), ANSWER_WITHIN_MS);
    timer.unref();
  });
  try {
    await Promise.race([(async () => {
      await makeDirs(abs, label);
      await probeWrite(abs, label);
    })(), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return abs;
}

/** `2026-11-30T05-40-12.000Z-a1b2c3`: sorts by time, safe on every file system (no colons), unique per run. */
export function runDirName(started: Date, id = randomBytes(3).toString('hex')): string {
  // Milliseconds kept: two runs started within one second still sort in the order they started.
  return `${started.toISOString().replace(/:/g, '-')}-${id}`;
}

/**
 * Makes this run's own directory under `parent` (which `prepareOutputDir` checked), so nothing of an older run is ever
 * left beside a newer run.json. Returns its absolute path.
 */
export async function prepareRunDir(parent: string, label: string, started = new Date()): Promise<string> {
  const base = await prepareOutputDir(parent, label);
  const dir = path.join(base, runDirName(started));
  try {
    await mkdir(dir);
  } catch (err) {
    throw new ConfigError(`${label} ${base}: cannot create the run's directory ${path.basename(dir)}: ${why(codeOf(err))}`);
  }
  return dir;
}
