// Owner markers on the round trip's scratch databases and dump directories, and the reaping of those whose owner process is gone (after a SIGKILL).
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const DUMP_DIR_PREFIX = 'stackprobe-dump-';
const OWNER_FILE = 'owner';

export interface Owner {
  pid: number;
  host: string;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat field 22): tells a reused pid apart. */
  start: string;
}

/** Start time of a process, or undefined when it does not exist (or /proc is not there). */
async function startTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ESRCH') return undefined;
    throw err;
  });
  if (stat === undefined) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

export async function currentOwner(): Promise<Owner> {
  return { pid: process.pid, host: os.hostname(), start: (await startTime(process.pid)) ?? '?' };
}

export function formatOwner(o: Owner): string {
  return `stackprobe owner pid=${o.pid} host=${o.host} start=${o.start}`;
}

export function parseOwner(text: string | null | undefined): Owner | undefined {
  const m = /^stackprobe owner pid=(\d+) host=(\S+) start=(\S+)$/.exec((text ?? '').trim());
  return m ? { pid: Number(m[1]), host: m[2]!, start: m[3]! } : undefined;
}

/**
 * True when the owner is certainly gone: same host, and its pid no longer runs or now belongs to a process started
 * at another time. False when it lives or when that cannot be known (another host: its processes are not visible here).
 */
export async function ownerIsGone(o: Owner): Promise<boolean> {
  if (o.host !== os.hostname() || o.start === '?') return false;
  const now = await startTime(o.pid);
  return now === undefined || now !== o.start;
}

export async function claimDir(dir: string, owner: Owner): Promise<void> {
  await writeFile(path.join(dir, OWNER_FILE), `${formatOwner(owner)}\n`, { mode: 0o600 });
}

/** Removes `<tmp>/stackprobe-dump-*` directories of dead owners; directories without a readable marker are left alone. */
export async function reapDumpDirs(root = os.tmpdir()): Promise<string[]> {
  const reaped: string[] = [];
  for (const name of await readdir(root)) {
    if (!name.startsWith(DUMP_DIR_PREFIX)) continue;
    const dir = path.join(root, name);
    // No readable owner file (another user's directory, or one still being made): not ours to judge, left alone.
    const owner = parseOwner(await readFile(path.join(dir, OWNER_FILE), 'utf8').catch(() => undefined));
    if (!owner || !(await ownerIsGone(owner))) continue;
    await rm(dir, { recursive: true, force: true });
    reaped.push(dir);
  }
  return reaped;
}
