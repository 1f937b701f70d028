// Runs pg_dump/pg_restore as child processes: a built environment, connection data only in private files, the password as an unlinked file the child alone holds open, killed on abort or timeout.
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { spawnChild } from '../../util/child.js';
import { redactText } from '../../util/redact.js';

export interface ToolRun {
  /**
   * PGSERVICEFILE/PGSERVICE/PGPASSFILE from libpqEnvFiles (or PG* connection parts without a password): the tool reads
   * its connection from there, never from argv. The PGPASSFILE named here is opened, unlinked before the child starts,
   * and handed over as descriptor 3 (`/dev/fd/3`): the password is on disk only for the moment between its writing and
   * this run, and a SIGKILL of stackprobe during the run leaves no passfile behind.
   */
  env: Record<string, string>;
  signal: AbortSignal;
  /** Killed (SIGTERM, then the close rejects) after this long: no wait without a deadline. */
  timeoutMs: number;
  /** Called with the child's pid once it runs (tests read its argv from /proc). */
  onSpawn?: (pid: number) => void;
}

/** The descriptor the child reads its passfile from. */
export const PASSFILE_FD = 3;

/** Resolves when the tool exits 0; rejects with its first error line (redacted) otherwise, or when the signal aborts. */
export async function runTool(file: string, args: string[], opts: ToolRun): Promise<void> {
  const { PGPASSFILE: passfile, ...env } = opts.env;
  const held = passfile === undefined ? undefined : await open(passfile, 'r');
  try {
    if (passfile !== undefined) await rm(passfile, { force: true });
    await spawnTool(file, args, opts, held === undefined ? env : { ...env, PGPASSFILE: `/dev/fd/${PASSFILE_FD}` }, held?.fd);
  } finally {
    await held?.close();
  }
}

function spawnTool(file: string, args: string[], opts: ToolRun, env: Record<string, string>, passFd: number | undefined): Promise<void> {
  const { signal } = opts;
  return new Promise((resolve, reject) => {
    // HOME: with no password in the URL, libpq reads ~/.pgpass as node-postgres does for the same URL.
    const child = spawnChild(file, args, {
      signal, killSignal: 'SIGTERM', timeout: opts.timeoutMs, stdio: ['ignore', 'ignore', 'pipe', ...(passFd === undefined ? [] : [passFd])],
      env: { ...env, PGAPPNAME: 'stackprobe-backup' }, home: passFd === undefined,
    });
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('error', (err) => reject(signal.aborted ? signal.reason : err));
    child.on('close', (code, sig) => {
      if (code === 0) return resolve();
      if (signal.aborted) return reject(signal.reason);
      // pg_restore ends with the failed command; the line naming the error is the one a user needs.
      const lines = stderr.trim().split('\n');
      const firstError = lines.find((l) => /error:/i.test(l));
      const tail = redactText((firstError ?? lines.slice(-3).join(' | ')).trim());
      const how = sig ? `was killed (${sig}${sig === 'SIGTERM' ? `, after the ${opts.timeoutMs} ms limit or on abort` : ''})` : `exited with ${code}`;
      reject(new Error(`${path.basename(file)} ${how}${tail ? `: ${tail}` : ''}`));
    });
  });
}
