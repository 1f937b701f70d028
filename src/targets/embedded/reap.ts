// Removes private servers left behind by a stackprobe process that was killed outright (SIGKILL, OOM, a CI timeout),
// which had no chance to clean up: each private server's directory records its owner's pid.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const OWNER_FILE = 'owner.pid';

/** Marks a private server's directory as owned by this process. */
export function claim(dir: string): Promise<void> {
  return writeFile(path.join(dir, OWNER_FILE), `${process.pid}\n`);
}

/** True while a process with this pid exists, whoever owns it. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else — alive all the same.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readPid(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The server process of a directory, only if its command line really names that directory (pids get reused). */
async function serverOf(dir: string, pidFile: string): Promise<number | undefined> {
  const pid = await readPid(pidFile);
  if (pid === undefined || !alive(pid)) return undefined;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.includes(dir) ? pid : undefined;
}

/**
 * For every `<tmp>/<prefix>*` directory whose owner process is gone: stops the server still running from it
 * (SIGQUIT, PostgreSQL's immediate shutdown; redis-server exits on it too) and removes the directory.
 * Directories without an owner file are left alone: they may be another tool's, or still starting.
 */
export async function reapOrphans(prefix: string, serverPidFile: (dir: string) => string): Promise<string[]> {
  const reaped: string[] = [];
  const root = os.tmpdir();
  for (const name of await readdir(root)) {
    if (!name.startsWith(prefix)) continue;
    const dir = path.join(root, name);
    const owner = await readPid(path.join(dir, OWNER_FILE));
    if (owner === undefined || alive(owner)) continue;
    const server = await serverOf(dir, serverPidFile(dir));
    if (server !== undefined) process.kill(server, 'SIGQUIT');
    await rm(dir, { recursive: true, force: true });
    reaped.push(dir);
  }
  return reaped;
}
